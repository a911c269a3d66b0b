#!/usr/bin/env bash
# Train models of the staging zoo `cpu-next` in the background, one thread each (training
# is bitwise reproducible for a given thread count), resuming interrupted runs from their
# last finished epoch.
#   tools/train_next_zoo.sh MODEL [MODEL ...]   train these, one after the other
#   tools/train_next_zoo.sh                     two chains at once, one per core: every
#                                               cpu-next model of ResNet20, and of ResNet56
#                                               (vanilla first: the others start from it)
# Progress: logs/train-next/<model>.log (tqdm); logs/train-next/_runs.log (start and end).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p logs/train-next
chain() {
  for m in "$@"; do
    echo "$(date -u +%FT%TZ) start $m" >> logs/train-next/_runs.log
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 5 .venv/bin/python -m compression_robustness \
      train-zoo --profile cpu-next --models "$m" > "logs/train-next/$m.log" 2>&1
    echo "$(date -u +%FT%TZ) done $m: $(tail -1 "logs/train-next/$m.log")" >> logs/train-next/_runs.log
  done
}
if [ $# -gt 0 ]; then
  chain "$@"
  exit 0
fi
models() {  # the cpu-next models of one architecture in the paper's order, vanilla first
  .venv/bin/python -c "from compression_robustness import compression as K, zoo; \
ms = [n for n in zoo.default_models('cpu-next') if n.startswith('$1-')]; \
print(' '.join(sorted(ms, key=lambda n: K.variant_rank(n.split('-', 1)[1]))))"
}
# shellcheck disable=SC2046
chain $(models resnet20) &
# shellcheck disable=SC2046
chain $(models resnet56) &
wait
