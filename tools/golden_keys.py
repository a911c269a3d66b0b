"""Rewrite tests/golden/cell_keys.json from the committed cells of a profile's results
(run after a recompute that adds or removes cells):
    .venv/bin/python tools/golden_keys.py [PROFILE]"""

import json
import pathlib
import sys

profile = sys.argv[1] if len(sys.argv) > 1 else "cpu"
root = pathlib.Path(__file__).resolve().parents[1] / "data" / "results" / profile
keys = {
    p.name: sorted(f.stem for f in p.glob("*.parquet"))
    for p in sorted(root.iterdir())
    if p.is_dir() and not p.name.startswith(".")
}
out = pathlib.Path(__file__).resolve().parents[1] / "tests" / "golden" / "cell_keys.json"
out.write_text(json.dumps(keys, indent=2, sort_keys=True) + "\n")
print(f"{out}: {sum(map(len, keys.values()))} cells in {len(keys)} chapters")
