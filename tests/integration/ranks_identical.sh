#!/usr/bin/env bash
# A cell's numbers depend only on its key: the smoke sweep with 1 rank and
# with 3 ranks gives bit-identical metrics.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
mpi 1 run sweeps/smoke.yaml --db "$WORK/one.db" 2> "$WORK/log1" || { cat "$WORK/log1"; fail "-n 1 run failed"; }
mpi 3 run sweeps/smoke.yaml --db "$WORK/three.db" 2> "$WORK/log3" || { cat "$WORK/log3"; fail "-n 3 run failed"; }
dump() {
  q "$1" "select c.key, m.phase, m.epoch, m.name, printf('%.17g', m.value) from metrics m join cells c on c.id = m.cell_id
          where m.name not in ('seconds') order by 1, 2, 3, 4"
}
dump "$WORK/one.db" > "$WORK/one.txt"
dump "$WORK/three.db" > "$WORK/three.txt"
[ -s "$WORK/one.txt" ] || fail "no metrics"
diff "$WORK/one.txt" "$WORK/three.txt" > "$WORK/diff" || { head -20 "$WORK/diff"; fail "metrics differ between 1 and 3 ranks"; }
echo "ranks_identical: ok ($(wc -l < "$WORK/one.txt") metric rows identical)"
