"""Results that cannot be silently altered: content hashes, names, consolidated tables,
concurrent writers, no-op runs, re-keying and ``verify``."""

from __future__ import annotations

import json
import multiprocessing as mp
import os

import pandas as pd
import pytest

from compression_robustness.cli import main
from compression_robustness.evaluate.integrity import (
    CellIntegrityError,
    read_cell,
    table_cells,
    verify_results,
)
from compression_robustness.evaluate.store import ResultStore


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CRS_FORCE", raising=False)
    return tmp_path


def _rows(cfg):
    return [{"iterations": i, "accuracy": 0.5 / (1 + i), "loss": float(i)} for i in (0, 5, 10)]


def _fill(n=3, chapter="unit") -> ResultStore:
    store = ResultStore("smoke", chapter)
    store.cells([{"model": "m", "seed": s} for s in range(n)], _rows, progress=False)
    store.table()
    return store


def test_a_hand_edited_cell_is_refused_with_the_file_and_how_to_recompute(data_dir):
    store = _fill()
    f = sorted(store.root.glob("*.parquet"))[0]
    df = pd.read_parquet(f)
    df.loc[df["iterations"] > 0, "accuracy"] = 0.99  # the edit the reliability review made
    df.to_parquet(f, index=False)
    with pytest.raises(CellIntegrityError) as err:
        store.cell(json.loads(df["config_json"].iloc[0]), lambda: _rows(None))
    msg = str(err.value)
    assert str(f) in msg and "run the `unit` chapter again" in msg
    # a byte-level edit that keeps our metadata is caught too
    store2 = _fill(1, chapter="other")
    g = sorted(store2.root.glob("*.parquet"))[0]
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(g)
    acc = pa.array([0.99] * len(t), type=t.schema.field("accuracy").type)
    pq.write_table(t.set_column(t.schema.get_field_index("accuracy"), "accuracy", acc), g)
    with pytest.raises(CellIntegrityError, match="was altered"):
        read_cell(g)


def test_a_cell_under_another_name_is_refused(data_dir):
    store = _fill(2)
    a, b = sorted(store.root.glob("*.parquet"))
    os.replace(a, b)  # b now holds a's cell
    with pytest.raises(CellIntegrityError, match="its config does not give its name"):
        read_cell(b)


def test_the_table_records_its_cells_and_verify_finds_every_problem(data_dir):
    store = _fill(3)
    cells = table_cells(store.table_path)
    assert sorted(cells) == sorted(f.stem for f in store.root.glob("*.parquet"))
    assert verify_results("smoke") == (3, [])
    assert main(["verify", "--profile", "smoke"]) == 0
    f = sorted(store.root.glob("*.parquet"))[1]
    df = pd.read_parquet(f)
    df["accuracy"] = 1.0
    df.to_parquet(f, index=False)
    n, problems = verify_results("smoke")
    assert n == 3 and {p.path.name for p in problems} >= {f.name}
    assert main(["verify", "--profile", "smoke"]) == 1


def test_a_cached_run_rewrites_nothing(data_dir):
    _fill(3)
    before = {p: p.stat().st_mtime_ns for p in data_dir.rglob("*.parquet")}
    again = ResultStore("smoke", "unit")
    again.cells([{"model": "m", "seed": s} for s in range(3)], _rows, progress=False)
    again.table()
    assert again.computed == 0
    assert {p: p.stat().st_mtime_ns for p in data_dir.rglob("*.parquet")} == before


def test_rekey_moves_cells_without_recomputing(data_dir):
    store = _fill(2)
    moved = store.rekey(lambda c: {**c, "model": "renamed"} if c["seed"] == 0 else c)
    assert moved == 1
    new = ResultStore("smoke", "unit").cell({"model": "renamed", "seed": 0}, lambda: 1 / 0)
    assert (new["model"] == "renamed").all()
    assert store.rekey(lambda c: c) == 0
    assert verify_results("smoke") == (2, [])


def _worker(data_dir: str, q) -> None:
    os.environ["CRS_DATA_DIR"] = data_dir
    store = ResultStore("smoke", "unit")
    df = store.cells([{"model": "m", "seed": s} for s in range(6)], _slow_rows, progress=False)
    store.table()
    q.put((store.computed, len(df)))


def _slow_rows(cfg):
    import time

    time.sleep(0.05)
    return _rows(cfg)


def test_two_concurrent_runs_compute_each_cell_once_and_tables_have_no_duplicates(data_dir):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(data_dir), q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = [q.get(timeout=5) for _ in procs]
    assert sum(c for c, _ in results) == 6, results  # each cell computed by one of them
    table = pd.read_parquet(ResultStore("smoke", "unit").table_path)
    assert len(table) == 18 and table["config_hash"].nunique() == 6
    assert not [p for p in data_dir.rglob("*") if p.name.endswith(".tmp")]


def test_verify_passes_over_the_state_of_an_unfinished_training(data_dir):
    """The resumable state of a training run (committed so that another session resumes
    it) sits beside the checkpoints: verify checks manifests only, not that state."""
    from compression_robustness.core import paths
    from compression_robustness.evaluate.integrity import verify_checkpoints

    folder = paths.checkpoints_dir("cpu-next")
    folder.mkdir(parents=True)
    (folder / "resnet20-vanilla-0123456789ab.state.json").write_text('{"epoch": 3}')
    (folder / "resnet20-vanilla-0123456789ab.state.safetensors").write_bytes(b"x")
    assert verify_checkpoints("cpu-next") == (0, [])
    (folder / "resnet20-vanilla-0123456789ab.json").write_text(
        json.dumps({"name": "resnet20-vanilla", "sha256": "0" * 64})
    )
    n, problems = verify_checkpoints("cpu-next")  # a real manifest is still checked
    assert n == 1 and [p.message for p in problems] == ["its committed weights file is missing"]
