#!/usr/bin/env bash
# A cell's numbers depend only on its key: the smoke sweep with 1 rank and
# with 3 ranks gives bit-identical metrics, in fp32 and (where bdsweep has
# the oneDNN engine) in bf16.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
dump() {
  q "$1" "select c.key, m.phase, m.epoch, m.name, printf('%.17g', m.value) from metrics m join cells c on c.id = m.cell_id
          where m.name not in ('seconds') order by 1, 2, 3, 4"
}
identical() { # identical SWEEP NAME
  mpi 1 run "$1" --db "$WORK/$2-one.db" 2> "$WORK/log1" || { cat "$WORK/log1"; fail "$2: -n 1 run failed"; }
  mpi 3 run "$1" --db "$WORK/$2-three.db" 2> "$WORK/log3" || { cat "$WORK/log3"; fail "$2: -n 3 run failed"; }
  dump "$WORK/$2-one.db" > "$WORK/one.txt"
  dump "$WORK/$2-three.db" > "$WORK/three.txt"
  [ -s "$WORK/one.txt" ] || fail "$2: no metrics"
  diff "$WORK/one.txt" "$WORK/three.txt" > "$WORK/diff" || { head -20 "$WORK/diff"; fail "$2: metrics differ between 1 and 3 ranks"; }
  echo "ranks_identical: $2 ok ($(wc -l < "$WORK/one.txt") metric rows identical)"
}
identical sweeps/smoke.yaml fp32
if "$BDSWEEP" --version | grep -q "engine: onednn"; then
  sed -e 's/^name: smoke /name: smoke-bf16 /' -e 's/^train: {/train: {precision: bf16, /' sweeps/smoke.yaml > "$WORK/bf16.yaml"
  grep -q "precision: bf16" "$WORK/bf16.yaml" || fail "could not make the bf16 sweep"
  identical "$WORK/bf16.yaml" bf16
  # the bf16 cells are bf16 cells: their keys say so, and their numbers differ from fp32's
  grep -q "precision=bf16" "$WORK/one.txt" || fail "bf16: the cells' keys do not carry precision=bf16"
fi
