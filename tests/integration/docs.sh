#!/usr/bin/env bash
# The reference of axes, values and parameters in sweeps/README.md is the
# output of `bdsweep axes --markdown`: a parameter added to a registry without
# regenerating the docs fails here. To regenerate, replace the text between
# the axes:begin and axes:end markers with that command's output.
source "$(dirname "$0")/lib.sh" "$@"
"$BDSWEEP" axes --markdown > "$WORK/want.md"
sed -n '/<!-- axes:begin -->/,/<!-- axes:end -->/p' "$SRC/sweeps/README.md" | sed '1d;$d' > "$WORK/have.md"
diff -u "$WORK/have.md" "$WORK/want.md" > "$WORK/diff" || { cat "$WORK/diff"; fail "sweeps/README.md is out of date"; }
# The generated section of results/README.md is `bdsweep schema --markdown`
# (the generated columns, the metric table and every view's documentation,
# from the SQL files and the tables of the code).
"$BDSWEEP" schema --markdown > "$WORK/want-schema.md"
sed -n '/<!-- schema:begin -->/,/<!-- schema:end -->/p' "$SRC/results/README.md" | sed '1d;$d' > "$WORK/have-schema.md"
diff -u "$WORK/have-schema.md" "$WORK/want-schema.md" > "$WORK/diff" ||
  { cat "$WORK/diff"; fail "results/README.md is out of date (replace its schema section with bdsweep schema --markdown)"; }
# The schema runs in plain sqlite3.
"$BDSWEEP" schema | sqlite3 "$WORK/schema.db" || fail "bdsweep schema does not run in sqlite3"
# Every subcommand's help is complete: it names the command and exits 0.
for cmd in axes bench export plan preview report run schema status; do
  out=$("$BDSWEEP" "$cmd" --help) || fail "bdsweep $cmd --help exited $?"
  case "$out" in *"bdsweep $cmd"*) ;; *) fail "bdsweep $cmd --help does not show its usage" ;; esac
done
"$BDSWEEP" --help | grep -q "^  run " || fail "bdsweep --help does not list run"
set +e
"$BDSWEEP" frobnicate 2> "$WORK/err"; rc=$?
set -e
expect_eq "$rc" "2" "exit status of an unknown command"
grep -q "hint:" "$WORK/err" || fail "an unknown command gets no hint"
echo "docs: ok"
