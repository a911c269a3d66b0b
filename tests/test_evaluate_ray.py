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
from compression_robustness import zoo as Z
from compression_robustness.core import recipes as R
from compression_robustness.core.params import ZOO_PROFILES
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import store as ST
from compression_robustness.models import build_arch
from compression_robustness.runtime import estimator as E
from compression_robustness.runtime import ray_executor as RX
from compression_robustness.zoo import entry as ZE
from tests.conftest import needs_mirror

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


# --------------------------------------------------------------------------- checkpoints
PARENT, CHILD = "lenet5-raytest", "lenet5-raytest-ft"


@pytest.fixture(autouse=True)
def _unregister_test_entries():
    """The test entries leave the zoo after each test (the golden test counts the zoo)."""
    yield
    for name in (PARENT, CHILD):
        Z.ZOO._items.pop(name, None)


def _register_test_entries():
    rec = {p: {**R.SMOKE_MNIST, "train_subset": 256, "test_subset": 100} for p in ZOO_PROFILES}
    for e in (
        Z.ZooEntry(PARENT, "lenet5", "mnist", rec, profiles=()),
        Z.ZooEntry(CHILD, "lenet5", "mnist", rec, profiles=(), parent=PARENT),  # fine-tuned
    ):
        if e.name not in Z.ZOO:
            Z.register(e)
    return Z


def _shas(Z):
    return {n: Z.checkpoint_manifest(n, "smoke")["sha256"] for n in (PARENT, CHILD)}


@needs_mirror
def test_missing_checkpoints_train_once_as_ray_tasks_parents_first(tmp_path, monkeypatch):
    Z = _register_test_entries()
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "serial"))
    monkeypatch.setenv(ST.EXECUTOR_ENV, "serial")
    assert Z.training_waves([CHILD], "smoke") == [[PARENT], [CHILD]]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a one-CPU Ray task runs
    try:
        assert Z.train_missing([CHILD], "smoke", progress=False) == [PARENT, CHILD]
    finally:
        torch.set_num_threads(threads)
    serial = _shas(Z)

    ray.shutdown()  # a fresh local cluster, whose workers see this test's data folder
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "ray"))
    monkeypatch.setenv(ST.EXECUTOR_ENV, "ray")
    monkeypatch.setenv("CRS_RAY_LOCAL_CPUS", "2")
    try:
        # the workers never registered these entries: the driver ships them with the task
        assert Z.train_missing([CHILD], "smoke", progress=False) == [PARENT, CHILD]
        assert _shas(Z) == serial  # the same checkpoints as the serial run, bit for bit
        assert Z.train_missing([CHILD], "smoke", progress=False) == []  # trained once
    finally:
        ray.shutdown()
    folder = tmp_path / "ray" / "checkpoints" / "smoke"
    assert len(list(folder.glob("*.safetensors"))) == 2 and not list(folder.glob("*.tmp"))


@needs_mirror
def test_checkpoint_files_travel_as_bytes_and_a_cell_task_never_trains(tmp_path, monkeypatch):
    """What a worker on another machine gets and gives back: a trained checkpoint as bytes,
    written beside the driver's (weights checked against their manifest first); and a cell
    that finds no checkpoint fails with one clear error instead of training a second copy."""
    Z = _register_test_entries()
    monkeypatch.setenv(ST.EXECUTOR_ENV, "serial")
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "worker"))
    Z.train_missing([PARENT], "smoke", progress=False)
    files = ZE._checkpoint_files([PARENT], "smoke")
    want = Z.checkpoint_manifest(PARENT, "smoke")["sha256"]

    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "driver"))
    bad = [(k, n, b[:-1] + bytes([b[-1] ^ 1]) if n.endswith(".safetensors") else b)
           for k, n, b in files]  # fmt: skip
    with pytest.raises(ValueError, match="do not match their manifest"):
        ZE._write_checkpoint_files(bad, "smoke")
    assert not (tmp_path / "driver").exists()  # nothing written
    ZE._write_checkpoint_files(files, "smoke")
    assert Z.get(PARENT, "smoke", train_if_missing=False, progress=False).sha256 == want

    monkeypatch.setenv(RX.REFUSE_TRAINING_ENV, "1")
    with pytest.raises(FileNotFoundError, match="a cell task does not train"):
        Z.get(CHILD, "smoke", progress=False)
    assert not list((tmp_path / "driver").rglob(f"{CHILD}*"))


def test_ray_resources_come_from_the_profile_and_the_environment(monkeypatch):
    for env in RX.RESOURCE_KEYS.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setattr(RX, "load_profile", lambda p: {"ray": {"num_gpus": 0.25}})
    assert RX.resources("gpu") == (1.0, 0.25)
    assert RX.resources("gpu", "train") == (1.0, 0.25)  # a training task: as a cell
    monkeypatch.setenv(RX.TRAIN_GPUS_ENV, "1")
    monkeypatch.setenv(RX.CPUS_ENV, "2")
    assert RX.resources("gpu") == (2.0, 0.25) and RX.resources("gpu", "train") == (2.0, 1.0)
    monkeypatch.setattr(RX, "load_profile", lambda p: {"ray": {"gpus": 1}})
    with pytest.raises(ConfigError, match=r"unknown `ray` keys \['gpus'\]"):
        RX.resources("gpu")
    monkeypatch.setattr(RX, "load_profile", lambda p: {"ray": {"num_gpus": -1}})
    with pytest.raises(ConfigError, match="`ray.num_gpus` must be a number >= 0"):
        RX.resources("gpu")
