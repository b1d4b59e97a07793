#!/usr/bin/env bash
# The demo: build bdsweep if needed, run sweeps/demo.yaml on Fashion-MNIST under
# mpirun on every local core, and write the findings report.
#   bash sweeps/demo.sh            (after `bash .ci/deps` on a fresh machine)
# Run it again to resume: finished cells are not trained again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build > /dev/null
meson compile -C build > /dev/null
cores=$(nproc)
# One training rank per core, plus rank 0, which coordinates and writes the
# database and sleeps between messages (hence --oversubscribe).
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# On a terminal, the live display (mpirun hands the ranks a pipe, not the terminal).
progress=lines
[ -t 2 ] && progress=tty
mpirun --oversubscribe -n $((cores + 1)) build/bdsweep run sweeps/demo.yaml --db results/demo.db --progress "$progress"
build/bdsweep report results/demo.db --out results/demo-report
