# Shared by the integration tests: paths, mpirun as root, assertions.
# Usage from a test: source "$(dirname "$0")/lib.sh" "$@"
set -euo pipefail
BDSWEEP=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bdsweep-test.XXXXXX")
# BDSWEEP_KEEP_DBS=DIR keeps every database a test wrote (DIR/TEST-NAME.db),
# to compare the results of two builds.
keep_dbs() {
  if [ -n "${BDSWEEP_KEEP_DBS:-}" ]; then
    mkdir -p "$BDSWEEP_KEEP_DBS"
    local t db; t=$(basename "$0" .sh)
    for db in "$WORK"/*.db; do [ -f "$db" ] && cp "$db" "$BDSWEEP_KEEP_DBS/$t-$(basename "$db")"; done
  fi
  rm -rf "$WORK"
}
trap keep_dbs EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Quiet Open MPI's notices about the sandbox (no InfiniBand, no network namespace peers).
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1

mpi() { # mpi N ARGS...: bdsweep ARGS under mpirun with N ranks
  local n=$1; shift
  mpirun --oversubscribe -n "$n" "$BDSWEEP" "$@"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

q() { # q DB SQL: one value
  sqlite3 -batch -noheader "$1" "$2"
}

expect_eq() { # expect_eq GOT WANT WHAT
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

expect_true() { # expect_true SQL-BOOLEAN-RESULT WHAT
  [ "$1" = "1" ] || fail "$2"
}
