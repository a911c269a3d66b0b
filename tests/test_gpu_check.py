"""benchmarks/gpu_check.py: its CPU dry run, and the packing that the device run reads."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compression_robustness import data as D
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.studies.breakingbed import pgd

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_dry_run_runs_every_step_on_the_cpu(tmp_path):
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "run", "--dry-run", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "GPU check on cpu" in r.stdout and "largest accuracy difference 0.00" in r.stdout
    for attack in ("fgsm", "pgd", "cw_l2", "deepfool"):
        assert f"attack {attack}" in r.stdout
    for fam in ("ResNet20", "ResNet56", "XNOR ResNet20"):
        assert f"train step {fam}, batch 4" in r.stdout  # 128 on a GPU
    for profile in ("gpu", "paper"):  # the estimate of each profile's wall time
        assert f"{profile}: about" in r.stdout
    m = json.loads((tmp_path / "gpu_check.json").read_text())
    est = {(e["profile"], e["part"]): e["hours"] for e in m["estimate"]}
    assert {("gpu", "training"), ("gpu", "pgd"), ("paper", "sweep")} <= set(est)
    assert all(h >= 0 for h in est.values())
    # the paper PGD chapter (the whole test set, 1000 iterations) costs more than gpu's
    assert est[("paper", "pgd")] > est[("gpu", "pgd")] > 0


def test_the_packed_data_holds_the_very_images_and_cells_the_check_uses(tmp_path, monkeypatch):
    mod = _module()
    try:
        D.load("cifar10", "test")
    except D.DataUnavailableError:
        pytest.skip("CIFAR-10 is not available here")
    mod.pack(tmp_path / "gpu", train_images=64, wheels=False)
    size = sum(f.stat().st_size for f in (tmp_path / "gpu").rglob("*") if f.is_file())
    cfg = mod._pgd_cfg(False)
    want_test = D.load_subset("cifar10", "test", cfg.n_examples, cfg.seed)
    want_train = D.subset_indices(50_000, 64, 0)
    train_full = D.load("cifar10", "train")
    store = ResultStore("cpu", "pgd")
    committed = [store.path(c).name for c in pgd.pgd_cell_configs(cfg) if store.has(c)]
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "data"))
    mod._unpack(tmp_path / "gpu", tmp_path / "data")
    got = D.load_subset("cifar10", "test", cfg.n_examples, cfg.seed)
    np.testing.assert_array_equal(got.x.numpy(), want_test.x.numpy())
    np.testing.assert_array_equal(got.y.numpy(), want_test.y.numpy())
    tr = D.load("cifar10", "train")
    np.testing.assert_array_equal(tr.x[want_train].numpy(), train_full.x[want_train].numpy())
    there = ResultStore("cpu", "pgd")
    assert committed and all((there.root / n).is_file() for n in committed)
    assert size < 40 * 2**20  # 64 training images: the test images, checkpoints and cells
