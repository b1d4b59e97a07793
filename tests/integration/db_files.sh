#!/usr/bin/env bash
# The database file as storage sees it: a run leaves it in rollback-journal
# mode with no -wal file; a damaged file is refused by run (unchanged), status
# and report; status and report read a finished database from read-only
# storage (also one left in WAL mode, also one whose views are an older
# build's); --publish leaves a snapshot with every done cell that status,
# report and sqlite3 read; --publish is refused when it is the database.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/tiny.yaml" <<'YAML'
name: tiny
train: {epochs: 1, batch: 32}
grid:
  dataset: [{name: synthetic, classes: 4, size: 12, train: 200, test: 100}]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.1]
  seed: [1, 2, 3]
YAML
db="$WORK/tiny.db"
mkdir -p "$WORK/pub"
mpi 2 run "$WORK/tiny.yaml" --db "$db" --publish "$WORK/pub/tiny.db" --publish-every 1s 2> "$WORK/log" ||
  { cat "$WORK/log"; fail "the run failed"; }

# ---- the end of a run: rollback journal, no log left ----------------------------------------------
expect_eq "$(q "$db" "pragma journal_mode")" "delete" "journal mode after the run"
for f in "$db-wal" "$db-shm" "$db-journal"; do [ ! -e "$f" ] || fail "$f is left after the run"; done

# ---- the snapshot -----------------------------------------------------------------------------------
snap="$WORK/pub/tiny.db"
expect_eq "$(ls "$WORK/pub")" "tiny.db" "the snapshot folder holds the snapshot alone (no temporary file)"
expect_eq "$(q "$snap" "pragma quick_check")" "ok" "the snapshot is intact"
expect_eq "$(q "$snap" "pragma journal_mode")" "delete" "the snapshot's journal mode"
expect_eq "$(q "$snap" "select count(*) from cells where kind = 'cell' and status = 'done'")" "6" "done cells in the snapshot"
expect_eq "$(q "$snap" "select * from cell_results order by cell_id")" \
  "$(q "$db" "select * from cell_results order by cell_id")" "cell_results of the snapshot and the database"
expect_eq "$(q "$snap" "select count(*) from runs where finished_at is not null")" "1" "the snapshot has the finished run"
"$BDSWEEP" status "$snap" > "$WORK/snap.status" || fail "status on the snapshot exited $?"
grep -q "total: 6 cells: 0 pending, 0 running, 6 done, 0 failed" "$WORK/snap.status" || fail "status of the snapshot"
"$BDSWEEP" report "$snap" --out "$WORK/snap-report" --no-previews > /dev/null || fail "report on the snapshot"

# --publish is another file than the database, in a folder that exists.
set +e
mpi 1 run "$WORK/tiny.yaml" --db "$db" --publish "$WORK/./tiny.db" 2> "$WORK/log2"; rc=$?
ln -s "$WORK" "$WORK/link"
mpi 1 run "$WORK/tiny.yaml" --db "$db" --publish "$WORK/link/tiny.db-wal" 2> "$WORK/log3"; rc3=$?
mpi 1 run "$WORK/tiny.yaml" --db "$db" --publish "$WORK/nowhere/tiny.db" 2> "$WORK/log4"; rc4=$?
set -e
expect_eq "$rc" "2" "exit status of --publish = --db"
grep -q "is the database itself" "$WORK/log2" || { cat "$WORK/log2"; fail "no reason for refusing --publish"; }
expect_eq "$rc3" "2" "exit status of --publish = the database's -wal file"
expect_eq "$rc4" "2" "exit status of --publish in a folder that does not exist"
grep -q "does not exist" "$WORK/log4" || { cat "$WORK/log4"; fail "no reason for refusing --publish"; }
expect_eq "$(q "$db" "select count(*) from runs")" "1" "a refused run leaves no trace in the database"

# ---- read-only storage ----------------------------------------------------------------------------
# ro DIR CMD...: CMD with DIR read-only: a read-only bind mount in a mount
# namespace of its own (as root), or DIR without write permission (others).
ro() {
  local dir=$1; shift
  if [ "$(id -u)" -ne 0 ]; then
    chmod -R a-w "$dir"; local rc=0; "$@" || rc=$?; chmod -R u+w "$dir"; return $rc
  fi
  unshare -m sh -c 'd=$1; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" && ! touch "$d/.w" 2>/dev/null &&
    exec "$@"' sh "$dir" "$@"
}
mkdir "$WORK/ro"
cp "$db" "$WORK/ro/done.db"                      # what a run leaves
cp "$db" "$WORK/ro/wal.db"                       # what a killed run leaves (WAL mode, log checkpointed)
q "$WORK/ro/wal.db" "pragma journal_mode = wal" > /dev/null
cp "$db" "$WORK/ro/old-views.db"                 # last run by a build whose views differ (report reads
                                                 # persistence's columns: it works only with this build's)
q "$WORK/ro/old-views.db" "drop view persistence; create view persistence as select 1 as x"
if [ "$(id -u)" -eq 0 ] && ! unshare -m true 2> /dev/null; then
  echo "SKIP: read-only storage (root without mount namespaces)"
else
  sums=$(sha256sum "$WORK"/ro/*)
  for f in done wal old-views; do
    ro "$WORK/ro" "$BDSWEEP" status "$WORK/ro/$f.db" > "$WORK/ro-$f.status" 2>&1 ||
      { cat "$WORK/ro-$f.status"; fail "status on read-only storage ($f)"; }
    grep -q "6 done, 0 failed" "$WORK/ro-$f.status" || fail "status on read-only storage ($f): $(cat "$WORK/ro-$f.status")"
    ro "$WORK/ro" "$BDSWEEP" report "$WORK/ro/$f.db" --out "$WORK/ro-$f-report" --no-previews > "$WORK/ro-$f.report" 2>&1 ||
      { cat "$WORK/ro-$f.report"; fail "report on read-only storage ($f)"; }
  done
  expect_eq "$(sha256sum "$WORK"/ro/*)" "$sums" "the read-only files are unchanged"
  expect_eq "$(ls "$WORK/ro" | tr '\n' ' ')" "done.db old-views.db wal.db " "nothing was created beside them"
fi

# ---- a damaged file -------------------------------------------------------------------------------
cp "$db" "$WORK/bad.db"
truncate -s -100 "$WORK/bad.db"
sum=$(sha256sum "$WORK/bad.db")
set +e
"$BDSWEEP" status "$WORK/bad.db" > "$WORK/bad.status" 2>&1; rs=$?
"$BDSWEEP" report "$WORK/bad.db" --out "$WORK/bad-report" --no-previews > "$WORK/bad.report" 2>&1; rr=$?
mpi 2 run "$WORK/tiny.yaml" --db "$WORK/bad.db" > "$WORK/bad.run" 2>&1; ru=$?
set -e
expect_eq "$rs" "2" "status on a damaged database"
expect_eq "$rr" "2" "report on a damaged database"
expect_eq "$ru" "3" "run on a damaged database"
for f in status report run; do
  grep -q "bad.db is damaged (" "$WORK/bad.$f" || { cat "$WORK/bad.$f"; fail "$f: no message"; }
  grep -q "sqlite3 .*bad.db .recover" "$WORK/bad.$f" || fail "$f: the message does not say what to do"
done
grep -q "cells: " "$WORK/bad.status" && fail "status printed numbers from a damaged database"
expect_eq "$(sha256sum "$WORK/bad.db")" "$sum" "run wrote nothing into the damaged file"
# Other damage: a whole page cut off, a page overwritten with garbage.
pages=$(q "$db" "pragma page_count")
cp "$db" "$WORK/short.db"
truncate -s $(((pages - 1) * 4096)) "$WORK/short.db"
cp "$db" "$WORK/garbage.db"
head -c 4096 /dev/urandom | dd of="$WORK/garbage.db" bs=4096 seek=1 conv=notrunc status=none # page 2: a table
for f in short garbage; do
  set +e
  "$BDSWEEP" status "$WORK/$f.db" > "$WORK/$f.status" 2>&1; rc=$?
  set -e
  expect_eq "$rc" "2" "status on a database with $f pages"
  grep -q "$f.db is damaged (" "$WORK/$f.status" || { cat "$WORK/$f.status"; fail "$f: no message"; }
done
echo "db_files: ok"
