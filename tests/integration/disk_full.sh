#!/usr/bin/env bash
# A full disk is the machine's failure, not the cells': with the checkpoint
# folder on a 64 KiB file system (a tmpfs in a mount namespace of its own),
# the first checkpoint fails with ENOSPC, the run stops with exit status 3
# and says why, and every cell stays pending (none failed, no attempt
# counted) — with workers (-n 3) and with rank 0 training itself (-n 1);
# likewise a read-only file system.
# With room again, the same command finishes the sweep with the numbers of a
# run that never met a full disk.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/full.yaml" <<'YAML'
name: full
train: {epochs: 2, batch: 32, limit_train: 1000, limit_test: 200}
grid:
  dataset: [fashion-mnist]
  arch: [{name: cnn-small, conv1: 8, conv2: 16, fc: 32}]
  trigger: [square]
  poison_rate: [0, 0.1]
  seed: [1, 2]
YAML

# on_small_disk DIR CMD...: CMD with a 64 KiB tmpfs mounted on DIR (with
# $MOUNT_OPTIONS too), in a mount namespace of its own (so nothing is left
# mounted); as root, or in a user namespace of its own otherwise.
on_small_disk() {
  local dir=$1; shift
  local ns=(unshare -m); [ "$(id -u)" = 0 ] || ns=(unshare -Urm)
  "${ns[@]}" -- bash -c 'mount -t tmpfs -o "size=64k${MOUNT_OPTIONS:+,$MOUNT_OPTIONS}" tmpfs "$0" && exec "$@"' \
    "$dir" "$@"
}
mkdir -p "$WORK/probe"
if ! on_small_disk "$WORK/probe" true 2> /dev/null; then
  echo "disk_full: skipped (cannot mount a tmpfs in a mount namespace here)"
  exit 77
fi

mpi 3 run "$WORK/full.yaml" --db "$WORK/ref.db" 2> "$WORK/ref.log" || { cat "$WORK/ref.log"; fail "the reference run failed"; }

NUMBERS="select group_concat(key || '=' || printf('%.9f/%.9f', clean_acc, asr), ' ')
  from (select key, clean_acc, asr from cell_results order by key)"

for n in 3 1; do
  db="$WORK/full$n.db"
  mkdir -p "$WORK/full$n.ckpt"
  rc=0
  on_small_disk "$WORK/full$n.ckpt" mpirun --oversubscribe -n "$n" "$BDSWEEP" run "$WORK/full.yaml" --db "$db" \
    2> "$WORK/log$n" || rc=$?
  [ "$rc" = 3 ] || { cat "$WORK/log$n"; fail "-n $n: exit status $rc on a full disk, expected 3"; }
  grep -q "No space left on device" "$WORK/log$n" || { cat "$WORK/log$n"; fail "-n $n: the message does not say why"; }
  grep -q "the machine failed a job" "$WORK/log$n" || { cat "$WORK/log$n"; fail "-n $n: no summary of the stop"; }
  expect_eq "$(q "$db" "select count(*) from cells where status = 'failed'")" "0" "-n $n: failed cells"
  expect_eq "$(q "$db" "select count(*) from cells where status <> 'pending'")" "0" "-n $n: cells not pending"
  expect_eq "$(q "$db" "select coalesce(max(attempts), 0) from cells")" "0" "-n $n: attempts counted"
  # Room again: the same command finishes, with the reference's numbers.
  mpirun --oversubscribe -n "$n" "$BDSWEEP" run "$WORK/full.yaml" --db "$db" 2> "$WORK/again$n" ||
    { cat "$WORK/again$n"; fail "-n $n: the run after the disk was freed failed"; }
  expect_eq "$(q "$db" "select count(*) from cells where status = 'done' and kind = 'cell'")" "4" "-n $n: done after freeing the disk"
  expect_eq "$(q "$db" "$NUMBERS")" "$(q "$WORK/ref.db" "$NUMBERS")" "-n $n: numbers after the full disk"
done

# A read-only file system (EROFS) is the machine's too.
db="$WORK/ro.db"
mkdir -p "$WORK/ro.ckpt"
rc=0
MOUNT_OPTIONS=ro on_small_disk "$WORK/ro.ckpt" mpirun --oversubscribe -n 3 "$BDSWEEP" run "$WORK/full.yaml" --db "$db" \
  2> "$WORK/ro.log" || rc=$?
[ "$rc" = 3 ] || { cat "$WORK/ro.log"; fail "read-only: exit status $rc, expected 3"; }
grep -q "Read-only file system" "$WORK/ro.log" || { cat "$WORK/ro.log"; fail "read-only: the message does not say why"; }
expect_eq "$(q "$db" "select count(*) from cells where status <> 'pending'")" "0" "read-only: cells not pending"
echo "disk_full: ok"
