#!/usr/bin/env bash
# Exported models in PyTorch: torch_parity.py, where /usr/bin/python3 has
# PyTorch; skipped (exit 77) elsewhere, since the suite must not need it.
# Usage: torch_parity.sh BDSWEEP EXPORT_FIXTURE SRC
set -euo pipefail
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "export_torch: /usr/bin/python3 cannot import torch: skipped"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bdsweep-torch.XXXXXX")
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$3/tests/export/torch_parity.py" "$1" "$2" "$work"
