import json
from pathlib import Path

import pandas as pd
import pytest

from compression_robustness import book
from compression_robustness.core.provenance import canonical_json
from compression_robustness.evaluate.store import (
    CORE_COLUMNS,
    PROVENANCE_COLUMNS,
    ResultStore,
    rekey,
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("CRS_FORCE", raising=False)
    return ResultStore("smoke", "unit", root=tmp_path)


def _compute_factory(calls):
    def compute(cfg):
        calls.append(cfg["seed"])
        return [
            {"iterations": i, "accuracy": 1.0 / (1 + i + cfg["seed"]), "loss": float(i)}
            for i in (0, 5)
        ]

    return compute


def test_cells_are_computed_once_and_read_back(store):
    calls = []
    cfgs = [{"model": "m", "attack": "pgd", "eps": 2.0, "seed": s} for s in range(3)]
    df1 = store.cells(cfgs, _compute_factory(calls), progress=False)
    assert calls == [0, 1, 2] and store.computed == 3
    df2 = store.cells(cfgs, _compute_factory(calls), progress=False)
    assert calls == [0, 1, 2], "a stored cell was recomputed"
    assert store.reused == 3
    pd.testing.assert_frame_equal(df1, df2)
    assert not list(store.root.glob("*.tmp*")), "a temporary file was left behind"


def test_resume_after_a_crash_keeps_finished_cells(store):
    calls = []
    cfgs = [{"model": "m", "seed": s} for s in range(4)]
    compute = _compute_factory(calls)

    def crashing(cfg):
        if cfg["seed"] == 2:
            raise KeyboardInterrupt  # killed mid-sweep
        return compute(cfg)

    with pytest.raises(KeyboardInterrupt):
        store.cells(cfgs, crashing, progress=False)
    assert calls == [0, 1]
    store.cells(cfgs, compute, progress=False)
    assert calls == [0, 1, 2, 3]


def test_force_recomputes(store, monkeypatch):
    calls = []
    cfg = [{"model": "m", "seed": 0}]
    store.cells(cfg, _compute_factory(calls), progress=False)
    monkeypatch.setenv("CRS_FORCE", "1")
    store.cells(cfg, _compute_factory(calls), progress=False)
    assert calls == [0, 0]


def test_rows_carry_config_and_provenance_and_table_consolidates(store):
    cfg = {
        "model": "m",
        "dataset": "cifar10",
        "attack": "pgd",
        "eps": 2.0,
        "seed": 7,
        "record_at": [0, 5],
    }
    df = store.cell(cfg, lambda: pd.DataFrame({"iterations": [0, 5], "accuracy": [0.9, 0.1]}))
    for col in PROVENANCE_COLUMNS:
        assert col in df.columns
    assert (df["seed"] == 7).all() and (df["eps"] == 2.0).all()
    assert df["config_hash"].iloc[0] == store.key(cfg)
    assert '"record_at":[0,5]' in df["config_json"].iloc[0]
    table = store.table()
    assert store.table_path.is_file() and len(table) == 2
    assert {"dataset", "attack", "eps", "seed"} <= set(table.columns)
    assert set(CORE_COLUMNS) >= {"accuracy", "loss", "eps_unit", "n_examples"}


def test_key_depends_on_every_config_value(store):
    a = {"model": "m", "eps": 2.0, "seed": 0}
    assert store.key(a) == store.key(dict(reversed(list(a.items()))))
    assert store.key(a) != store.key({**a, "eps": 2.5})


LEGACY = "0-255 pixel units (L-inf)"


def _to_enum(cfg):
    """The migration's kind of transform: a long free-string unit becomes the enum value."""
    return {**cfg, "eps_unit": "0-255"} if cfg["eps_unit"] == LEGACY else cfg


def _legacy_store(root: Path) -> tuple[ResultStore, list[dict]]:
    store = ResultStore("smoke", "sweep", root=root)
    cfgs = [
        {"model": "m", "attack": "pgd", "eps": 2.0, "eps_unit": LEGACY, "seed": 0},
        {"model": "m", "attack": "pgd", "eps": 4.0, "eps_unit": LEGACY, "seed": 0},
        {"model": "m", "attack": "deepfool", "eps": float("nan"), "eps_unit": "none", "seed": 0},
    ]
    store.cells(cfgs, _compute_factory([]), progress=False)
    store.table()
    return store, cfgs


def test_rekey_moves_cells_from_their_stored_configs_without_recomputing(tmp_path, monkeypatch):
    monkeypatch.delenv("CRS_FORCE", raising=False)
    store, cfgs = _legacy_store(tmp_path)
    before = {store.key(c): pd.read_parquet(store.path(c)) for c in cfgs}
    assert rekey("smoke", "sweep", _to_enum, root=tmp_path) == 2
    new_cfgs = [_to_enum(c) for c in cfgs]
    assert sorted(f.stem for f in store.root.glob("*.parquet")) == sorted(
        store.key(c) for c in new_cfgs
    )
    for old, new in zip(cfgs, new_cfgs, strict=True):
        a, b = before[store.key(old)], pd.read_parquet(store.path(new))
        assert b["config_hash"].eq(store.key(new)).all()
        assert json.loads(b["config_json"].iloc[0]) == json.loads(canonical_json(new))
        assert (b["eps_unit"] == new["eps_unit"]).all()  # the column that mirrors it
        same = [c for c in a.columns if c not in ("config_hash", "config_json", "eps_unit")]
        pd.testing.assert_frame_equal(a[same], b[same])  # nothing else changed
    calls = []
    store.cells(new_cfgs, _compute_factory(calls), progress=False)
    assert calls == [], "a re-keyed cell was recomputed"
    table = pd.read_parquet(store.table_path)  # the consolidated table follows
    assert sorted(table["config_hash"].unique()) == sorted(store.key(c) for c in new_cfgs)
    assert set(table["eps_unit"]) == {"0-255", "none"}
    assert rekey("smoke", "sweep", _to_enum, root=tmp_path) == 0  # idempotent


def test_rekey_resumes_after_an_interruption(tmp_path, monkeypatch):
    monkeypatch.delenv("CRS_FORCE", raising=False)
    store, cfgs = _legacy_store(tmp_path)
    saved = store.path(cfgs[0]).read_bytes()
    rekey("smoke", "sweep", _to_enum, root=tmp_path)
    store.path(cfgs[0]).write_bytes(saved)  # as if killed before the old file was deleted
    assert rekey("smoke", "sweep", _to_enum, root=tmp_path) == 1
    assert not store.has(cfgs[0]) and store.has(_to_enum(cfgs[0]))
    assert len(list(store.root.glob("*.parquet"))) == 3


def test_rekey_refuses_to_merge_two_cells(tmp_path, monkeypatch):
    monkeypatch.delenv("CRS_FORCE", raising=False)
    store, cfgs = _legacy_store(tmp_path)
    files = sorted(store.root.glob("*.parquet"))
    with pytest.raises(ValueError, match="would overwrite"):
        rekey("smoke", "sweep", lambda c: {**c, "eps": 1.0}, root=tmp_path)
    assert sorted(store.root.glob("*.parquet")) == files  # nothing moved


def test_compute_summary_adds_training_and_cell_time_per_chapter(isolated_data):
    import json

    ck = isolated_data / "checkpoints" / "cpu"
    ck.mkdir(parents=True)
    for name, secs in (("resnet20-vanilla-aa", 600.0), ("galloway-a64-bb", 120.0)):
        (ck / f"{name}.json").write_text(json.dumps({"name": name, "train_seconds": secs}))
    store = ResultStore("cpu", "pgd")
    # two cells of 30 s and 90 s; the first has two rows (one cell, counted once)
    store.cell({"a": 1}, lambda: pd.DataFrame({"accuracy": [0.1, 0.2]}))
    store.cell({"a": 2}, lambda: pd.DataFrame({"accuracy": [0.3]}))
    for f, secs in zip(sorted(store.root.glob("*.parquet")), (30.0, 90.0), strict=True):
        t = pd.read_parquet(f)
        t["wall_seconds"] = secs
        t.to_parquet(f)
    df = book.compute_summary("cpu").set_index("chapter")
    assert df.loc["zoo", "train_minutes"] == 10.0 and df.loc["zoo", "models"] == 1
    assert df.loc["bnn_mnist", "train_minutes"] == 2.0
    assert df.loc["pgd", "cells"] == 2 and df.loc["pgd", "cell_minutes"] == 2.0
    assert list(df.index) == ["zoo", "bnn_mnist", "pgd"]  # largest total first
    text = book.compute_markdown("cpu")
    assert "| **all** | 2 | 12 | 2 | 2 | **0.2** |" in text
    assert "within the `cpu` profile's budget of 8 CPU-hours" in text


def test_compute_summary_of_an_empty_profile(isolated_data):

    assert book.compute_summary("smoke").empty
    assert "No results" in book.compute_markdown("smoke")


def test_unused_results_lists_and_deletes_only_cells_a_logged_run_skipped(
    isolated_data, tmp_path, monkeypatch
):
    from compression_robustness.cli import main
    from compression_robustness.evaluate import store as R

    monkeypatch.delenv("CRS_FORCE", raising=False)
    old, other = ResultStore("cpu", "pgd"), ResultStore("cpu", "cam")
    for a in (1, 2, 3):
        old.cell({"a": a}, lambda a=a: pd.DataFrame({"accuracy": [a / 10]}))
    other.cell({"a": 9}, lambda: pd.DataFrame({"accuracy": [0.9]}))
    log = tmp_path / "used.log"
    monkeypatch.setenv(R.USED_LOG_ENV, str(log))
    # the new run reads cells 1 and 3 back and computes cell 4; it never runs `cam`
    for a in (1, 3, 4):
        old.cell({"a": a}, lambda a=a: pd.DataFrame({"accuracy": [a / 10]}))
    monkeypatch.delenv(R.USED_LOG_ENV)
    df = R.unused_cells("cpu", log)
    assert list(df.config_hash) == [old.key({"a": 2})] and list(df.chapter) == ["pgd"]
    assert main(["unused-results", "--used", str(log), "--delete"]) == 0
    assert not old.has({"a": 2}) and all(old.has({"a": a}) for a in (1, 3, 4))
    assert other.has({"a": 9})  # a chapter the run did not touch keeps its cells
    assert sorted(pd.read_parquet(old.table_path)["accuracy"]) == [0.1, 0.3, 0.4]
