#!/usr/bin/env bash
# bdsweep bench: the command line (help, errors with exit status 2 and a
# hint) and one tiny real run whose output line has every key.
set -u
exe="$1"
fail=0
check() { # description, command... ; expects success
    local what="$1"; shift
    if ! "$@"; then echo "FAIL: $what"; fail=1; fi
}
out=$("$exe" bench --help); rc=$?
check "--help exits 0" test $rc -eq 0
for opt in --arch --batch --input --threads --steps --warmup --classes; do
    check "--help explains $opt" grep -q -- "$opt" <<<"$out"
done

err=$("$exe" bench --arch cnn-small --bogus 1 2>&1); rc=$?
check "unknown option exits 2" test $rc -eq 2
check "unknown option is named" grep -q "unknown option '--bogus'" <<<"$err"
check "unknown option gives a hint" grep -q "hint:" <<<"$err"

err=$("$exe" bench 2>&1); rc=$?
check "missing --arch exits 2" test $rc -eq 2
check "missing --arch is said" grep -q -- "--arch is required" <<<"$err"

err=$("$exe" bench --arch cnn-small --input 28x28 2>&1); rc=$?
check "bad --input exits 2" test $rc -eq 2
check "bad --input is said" grep -q "CxHxW" <<<"$err"

err=$("$exe" bench --arch cnn-small --batch 0 2>&1); rc=$?
check "bad --batch exits 2" test $rc -eq 2

err=$("$exe" bench --arch 'resnet50(stem=imagenet)' --input 3x8x8 2>&1); rc=$?
check "too small an input exits 2" test $rc -eq 2
check "too small an input is explained" grep -q "needs inputs of at least 32x32" <<<"$err"

err=$("$exe" bench --arch no-such-net 2>&1); rc=$?
check "unknown arch exits 2" test $rc -eq 2
check "unknown arch lists the known ones" grep -q "cnn-small" <<<"$err"

out=$("$exe" bench --arch 'cnn-small(conv1=4,conv2=4,fc=8)' --input 1x8x8 --batch 2 --steps 1 --warmup 0); rc=$?
check "a tiny run exits 0" test $rc -eq 0
for key in arch= batch=2 input=1x8x8 threads=1 params= train_img_per_s= eval_img_per_s= gflops= peak_rss_mb=; do
    check "the run prints $key" grep -q -- "$key" <<<"$out"
done
check "one line" test "$(wc -l <<<"$out")" -eq 1
exit $fail
