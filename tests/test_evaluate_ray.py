"""The Ray executor (CRS_EXECUTOR=ray) on a local 2-CPU cluster: the same cells as the serial
path, bit for bit, and nothing lost when a worker dies mid-run."""

import os
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import store as ST
from compression_robustness.models import build_arch
from compression_robustness.runtime import estimator as E

ray = pytest.importorskip("ray")
cloudpickle = pytest.importorskip("cloudpickle")

#: the columns that say where and when a cell ran, not what it holds
WHERE = ["wall_seconds", "computed_at", "machine", "device", "git_commit"]
STEPS = [0.01, 0.02, 0.05, 0.1]


def ifgsm_cell(cfg):
    """A real cell: IFGSM on a seeded LeNet5 over 20 real MNIST test images. A cell whose
    ``die_once`` marker file does not exist yet kills its own worker process first."""
    marker = cfg.get("die_once")
    if marker and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)  # the worker process dies mid-task, as a killed worker would
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build_arch("lenet5", 10, 1)
    est = E.make_classifier(model, D.spec("mnist"), batch_size=20, device="cpu")
    s = D.load("mnist_samples20")
    x, y = s.x.numpy(), s.y.numpy()
    adv = A.create("ifgsm", est, step=cfg["step"], max_iter=3).generate(x, y)
    pred = est.predict(adv).argmax(1)
    return pd.DataFrame({"image": np.arange(len(y)), "correct": pred == y, "step": cfg["step"]})


@pytest.fixture(scope="module")
def local_cluster():
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    os.environ[ST.EXECUTOR_ENV] = "ray"
    os.environ["CRS_RAY_LOCAL_CPUS"] = "2"
    yield
    ray.shutdown()
    os.environ.pop(ST.EXECUTOR_ENV, None)
    os.environ.pop("CRS_RAY_LOCAL_CPUS", None)


def _run(tmp, executor, configs):
    old = os.environ.get(ST.EXECUTOR_ENV)
    os.environ[ST.EXECUTOR_ENV] = executor
    try:
        store = ST.ResultStore("smoke", "ray_test", root=tmp)
        t0 = time.perf_counter()
        df = store.cells(configs, ifgsm_cell, progress=False)
        return store, df, time.perf_counter() - t0
    finally:
        os.environ[ST.EXECUTOR_ENV] = old or ""


def test_ray_cells_equal_the_serial_ones_and_survive_a_killed_worker(local_cluster, tmp_path):
    configs = [{"step": s} for s in STEPS]
    serial_store, serial, t_serial = _run(tmp_path / "serial", "serial", configs)
    marker = tmp_path / "died"
    killed = [
        {"step": s, **({"die_once": str(marker)} if i == 1 else {})} for i, s in enumerate(STEPS)
    ]
    ray_store, par, t_ray = _run(tmp_path / "ray", "ray", killed)
    assert marker.exists()  # a worker really died, and Ray reran its task
    assert ray_store.computed == len(STEPS)
    assert sorted(p.name for p in ray_store.root.glob("*.parquet")) == sorted(
        ray_store.path(c).name for c in killed
    )
    keep = [c for c in serial.columns if c not in WHERE and c not in ("config_hash", "config_json")]
    pd.testing.assert_frame_equal(
        serial[keep].reset_index(drop=True), par[keep].reset_index(drop=True), check_like=True
    )
    assert serial["correct"].mean() < 1.0  # the attack did something
    # a second run reads every cell back and computes nothing
    again, df2, _ = _run(tmp_path / "ray", "ray", killed)
    assert again.computed == 0 and again.reused == len(STEPS)
    pd.testing.assert_frame_equal(df2[keep], par[keep])
    print(f"serial {t_serial:.1f} s, ray {t_ray:.1f} s (2 CPUs, one worker killed)")


def test_an_unknown_executor_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ST.EXECUTOR_ENV, "dask")
    store = ST.ResultStore("smoke", "ray_test", root=tmp_path)
    with pytest.raises(ConfigError, match="CRS_EXECUTOR.*valid: serial, ray"):
        store.cells([{"step": 0.1}], ifgsm_cell, progress=False)
    assert not list(tmp_path.rglob("*.parquet"))
