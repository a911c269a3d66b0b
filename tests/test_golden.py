"""Nothing already computed is lost: the recipe hash of every zoo entry, the checkpoint
names of the committed cpu models and the key of every committed result cell are frozen in
``tests/golden/``. A refactor must keep them; a deliberate change re-keys the committed
files (from their stored recipe or ``config_json``) and regenerates the golden files in
the same commit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from compression_robustness import zoo
from compression_robustness.core.provenance import content_hash
from compression_robustness.evaluate.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
RECIPES = json.loads((GOLDEN / "recipe_hashes.json").read_text())
CELLS = json.loads((GOLDEN / "cell_keys.json").read_text())
RESULTS = ROOT / "data" / "results" / "cpu"


def test_every_zoo_entry_keeps_its_recipe_hash():
    frozen = RECIPES["schedule"]
    assert sorted(zoo.ZOO.names()) == sorted(frozen), "zoo entries added or removed"
    changed = [
        f"{name}/{p}"
        for name in zoo.ZOO.names()
        for p, h in frozen[name].items()
        if content_hash(zoo.ZOO.get(name).schedule(p), 12) != h
    ]
    assert not changed, f"recipe hashes changed: {changed}"


@pytest.mark.parametrize("name", sorted(RECIPES["cpu_checkpoints"]))
def test_committed_cpu_checkpoints_are_found_under_the_same_name(name):
    """The full recipe (with the parent's and teacher's sha256) still names the committed
    manifest, so nothing is retrained."""
    where = zoo.checkpoint_paths(name, "cpu")
    assert where.has_manifest(), f"{name}: no manifest at {where.manifest}"
    assert where.manifest.stem == RECIPES["cpu_checkpoints"][name]


def test_the_committed_cells_are_the_frozen_ones():
    on_disk = {
        d.name: sorted(f.stem for f in d.glob("*.parquet"))
        for d in sorted(RESULTS.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    }
    assert on_disk == CELLS


@pytest.mark.parametrize("chapter", sorted(CELLS))
def test_every_committed_cell_is_named_by_the_key_of_its_config(chapter):
    store = ResultStore("cpu", chapter)
    bad = []
    for key in CELLS[chapter]:
        t = pd.read_parquet(store.root / f"{key}.parquet", columns=["config_json"])
        if store.key(json.loads(t["config_json"].iloc[0])) != key:
            bad.append(key)
    assert not bad, f"{chapter}: cells whose config no longer gives their name: {bad}"
