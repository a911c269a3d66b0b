#!/usr/bin/env bash
# The prepared GPU check (issue 18); see benchmarks/gpu_check.py for what it measures.
#   bash benchmarks/gpu_check.sh pack        here: write .gpu/ (about 41 MiB; git-ignored)
#   bash benchmarks/gpu_check.sh tree-out    here: move data/checkpoints and data/results
#                                            beside the checkout (the call carries <= 64 MiB)
#   device run, carry [".gpu"]:  bash benchmarks/gpu_check.sh run
#   bash benchmarks/gpu_check.sh tree-back   here: move them back (always, after the call)
#   bash benchmarks/gpu_check.sh dry-run     here: the same check on the CPU, tiny budgets
set -euo pipefail
cd "$(dirname "$0")/.."
stash="../$(basename "$PWD")-gpu-stash"
py=${PYTHON:-.venv/bin/python}
case "${1:-}" in
  pack) "$py" benchmarks/gpu_check.py pack ;;
  tree-out)
    [ -e "$stash" ] && { echo "gpu_check: $stash exists; run tree-back first" >&2; exit 1; }
    mkdir -p "$stash" && mv data/checkpoints data/results "$stash"/ && echo "moved to $stash" ;;
  tree-back)
    for d in checkpoints results; do
      if [ -d "$stash/$d" ]; then rm -rf "data/$d" && mv "$stash/$d" data/; fi
    done
    rmdir "$stash" 2>/dev/null || true; git status --short | head -5 ;;
  run)  # on the device: python3 there holds PyTorch; ART travels as a wheel
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/wheels/*.whl
    PYTHONPATH=/tmp/site:lib python3 benchmarks/gpu_check.py run ;;
  dry-run) "$py" benchmarks/gpu_check.py run --dry-run ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
