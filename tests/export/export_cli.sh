#!/usr/bin/env bash
# bdsweep export: a checkpoint exported from the command line, the same bytes
# twice, the metadata in the header; every mistake exits 2 (1 for a file that
# cannot be written) with the reason and a hint.
# Usage: export_cli.sh BDSWEEP EXPORT_FIXTURE
set -u
exe="$1"
fixture="$2"
work=$(mktemp -d "${TMPDIR:-/tmp}/bdsweep-export.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
check() { # description, command... ; expects success
    local what="$1"; shift
    if ! "$@"; then echo "FAIL: $what"; fail=1; fi
}
expect_exit() { # WANT DESCRIPTION FRAGMENT ARGS...: bdsweep export ARGS exits WANT, stderr has FRAGMENT
    local want="$1" what="$2" fragment="$3"; shift 3
    local err rc
    err=$("$exe" export "$@" 2>&1 >/dev/null); rc=$?
    check "$what exits $want (got $rc)" test "$rc" -eq "$want"
    check "$what says '$fragment'" grep -qF -- "$fragment" <<<"$err"
}

out=$("$exe" export --help); rc=$?
check "--help exits 0" test $rc -eq 0
for opt in --checkpoint --arch --input --classes --out --meta; do
    check "--help explains $opt" grep -q -- "$opt" <<<"$out"
done

arch="cnn-small(conv1=4,conv2=8,fc=16)"
"$fixture" "$arch" 1x12x12 4 2 "$work/m" || { echo "FAIL: export_fixture"; exit 1; }
args=(--checkpoint "$work/m.ckpt" --arch "$arch" --input 1x12x12 --classes 4)

out=$("$exe" export "${args[@]}" --out "$work/a.safetensors" --meta cell="a b=c" --meta note=x); rc=$?
check "an export exits 0" test $rc -eq 0
check "an export says what it wrote" grep -q "wrote $work/a.safetensors: cnn-small(conv1=4,conv2=8,dropout=0,fc=16) 1x12x12, 4 classes, 8 tensors, train phase after 2 epochs" <<<"$out"
"$exe" export "${args[@]}" --out "$work/b.safetensors" --meta note=x --meta cell="a b=c" >/dev/null
check "the same export twice gives the same bytes" cmp -s "$work/a.safetensors" "$work/b.safetensors"
header=$(head -c 600 "$work/a.safetensors" | tail -c +9)
for kv in '"arch":"cnn-small(conv1=4,conv2=8,dropout=0,fc=16)"' '"cell":"a b=c"' '"classes":"4"' '"epochs":"2"' \
          '"format":"pt"' '"input":"1x12x12"' '"note":"x"' '"phase":"train"' '"conv1.weight":{"dtype":"F32","shape":[4,1,3,3]'; do
    check "the header holds $kv" grep -qF -- "$kv" <<<"$header"
done

expect_exit 2 "no options" "are all required"
expect_exit 2 "an unknown option" "unknown option '--bogus'" "${args[@]}" --bogus 1 --out "$work/c.safetensors"
expect_exit 2 "a database argument" "not supported yet" results/x.db "${args[@]}" --out "$work/c.safetensors"
expect_exit 2 "a missing value" "a value is missing after '--out'" "${args[@]}" --out
expect_exit 2 "a bad --input" "CxHxW" --checkpoint "$work/m.ckpt" --arch "$arch" --input 12x12 --classes 4 --out "$work/c.safetensors"
expect_exit 2 "a bad --classes" "a class count of at least 2" --checkpoint "$work/m.ckpt" --arch "$arch" --input 1x12x12 --classes 1 --out "$work/c.safetensors"
expect_exit 2 "an unknown arch" "unknown" --checkpoint "$work/m.ckpt" --arch frob --input 1x12x12 --classes 4 --out "$work/c.safetensors"
expect_exit 2 "another arch" "saved for architecture 'cnn-small(conv1=4,conv2=8,fc=16) input=1x12x12 classes=4'" --checkpoint "$work/m.ckpt" --arch cnn-small --input 1x12x12 --classes 4 --out "$work/c.safetensors"
expect_exit 2 "a missing checkpoint" "no such checkpoint" --checkpoint "$work/none.ckpt" --arch "$arch" --input 1x12x12 --classes 4 --out "$work/c.safetensors"
expect_exit 2 "--meta without =" "--meta expects KEY=VALUE" "${args[@]}" --meta cell --out "$work/c.safetensors"
expect_exit 2 "--meta of a fixed key" "writes itself: 'arch'" "${args[@]}" --meta arch=x --out "$work/c.safetensors"
expect_exit 2 "--meta twice" "gives this key twice: 'k'" "${args[@]}" --meta k=1 --meta k=2 --out "$work/c.safetensors"
check "nothing was written by the failures" test ! -e "$work/c.safetensors"
expect_exit 1 "an unwritable output" "cannot create" "${args[@]}" --out "$work/no/such/dir/c.safetensors"

[ $fail -eq 0 ] && echo "export_cli: ok"
exit $fail
