#!/usr/bin/env bash
# Train models of the staging zoo `cpu-next` in the background, one thread each (training
# is bitwise reproducible for a given thread count), resuming interrupted runs from their
# last finished epoch. Usage: tools/train_next_zoo.sh MODEL [MODEL ...]
# Progress: logs/train-next/<model>.log (tqdm, one line per update).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p logs/train-next
for m in "$@"; do
  echo "$(date -u +%FT%TZ) start $m" >> logs/train-next/_runs.log
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 5 .venv/bin/python -m compression_robustness \
    train-zoo --profile cpu-next --models "$m" > "logs/train-next/$m.log" 2>&1
  echo "$(date -u +%FT%TZ) done $m: $(tail -1 "logs/train-next/$m.log")" >> logs/train-next/_runs.log
done
