#!/usr/bin/env bash
# `make book` as a reader without the data would run it: a clone of HEAD with no dataset
# mirror, no data/ caches and CRS_OFFLINE=1. Fails if a chapter needs a dataset, or if the
# build leaves the clone's git status dirty (a cached build writes nothing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/build/offline"
rm -rf "$work" && mkdir -p "$work"
git clone -q "$root" "$work/repo"
cd "$work/repo"
ln -s "$root/.venv" .venv          # the built environment (its package is this checkout's)
touch -d 2000-01-01 pyproject.toml # so make does not rebuild the linked venv
echo ".venv" >> .git/info/exclude
export CRS_ROOT="$work/repo" CRS_OFFLINE=1 CRS_DATA_MIRROR="$work/no-mirror"
if ! make book > "$work/book.log" 2>&1; then
  tail -40 "$work/book.log" >&2
  echo "FAILED: make book without data (log: $work/book.log)" >&2
  exit 1
fi
ran=$(grep -c "^== chapter" "$work/book.log")
dirty=$(git status --porcelain)
if [ -n "$dirty" ]; then
  echo "FAILED: make book without data changed committed files:" >&2
  echo "$dirty" >&2
  exit 1
fi
echo "book offline: $ran chapters built with no dataset, git status clean"
