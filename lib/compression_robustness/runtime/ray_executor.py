"""Compute result cells, and train missing checkpoints, as Ray tasks (``CRS_EXECUTOR=ray``;
Ray is the optional ``ray`` extra).

The cells of a chapter are content-addressed and independent, so each missing one is one
Ray task. The driver (:meth:`compression_robustness.evaluate.store.ResultStore.cells`)
writes every cell into the store as soon as its task finishes, so a killed driver loses
only the cells in flight, and Ray reruns a task whose worker died (``max_retries``), so a
killed worker loses nothing. Each task returns its rows, its wall time and the provenance
of the worker that computed it (machine, device, versions).

Checkpoints are trained once, ahead of the cells that need them
(:func:`compression_robustness.zoo.train_missing`): one task per missing checkpoint, parents
and teachers in an earlier wave than the models made from them. A training task gets the
checkpoints its model starts from as bytes and returns the trained one as bytes, and the
driver writes it under the checkpoint's lock, so a worker need not share the driver's disk.
A cell task never trains: a cell whose checkpoint a worker lacks fails with one clear error
(:data:`REFUSE_TRAINING_ENV`) instead of training a second copy there.

Resources per task, from the profile's ``ray`` section, each overridden by the environment:

* ``num_cpus`` / ``num_gpus`` (``CRS_RAY_NUM_CPUS`` / ``CRS_RAY_NUM_GPUS``): per cell
  (default 1 CPU, 0 GPUs; a fraction such as ``0.25`` GPUs lets several small-model cells
  share one GPU); each task runs torch on that many threads;
* ``train_num_cpus`` / ``train_num_gpus`` (``CRS_RAY_TRAIN_NUM_CPUS`` /
  ``CRS_RAY_TRAIN_NUM_GPUS``): per training task (default: as a cell);

and of the cluster (environment only):

* ``CRS_RAY_ADDRESS``: the cluster (``ray.init(address=...)``); empty: a local cluster;
* ``CRS_RAY_LOCAL_CPUS``: the CPUs of a local cluster (default: all).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from compression_robustness.core.params import load_profile
from compression_robustness.core.provenance import provenance
from compression_robustness.core.registry import ConfigError

#: environment variable choosing how missing cells (and checkpoints) are computed:
#: ``serial`` (the default, in this process) or ``ray`` (one Ray task each)
EXECUTOR_ENV = "CRS_EXECUTOR"
EXECUTORS = ("serial", "ray")
ADDRESS_ENV = "CRS_RAY_ADDRESS"
CPUS_ENV = "CRS_RAY_NUM_CPUS"
GPUS_ENV = "CRS_RAY_NUM_GPUS"
TRAIN_CPUS_ENV = "CRS_RAY_TRAIN_NUM_CPUS"
TRAIN_GPUS_ENV = "CRS_RAY_TRAIN_NUM_GPUS"
LOCAL_CPUS_ENV = "CRS_RAY_LOCAL_CPUS"
#: set (to 1) while a cell task runs: the zoo then refuses to train a missing checkpoint
REFUSE_TRAINING_ENV = "CRS_REFUSE_TRAINING"
#: Ray reruns a task this many times when its worker process dies
MAX_RETRIES = 3
#: the keys of a profile's ``ray`` section, and the environment variable overriding each
RESOURCE_KEYS = {
    "num_cpus": CPUS_ENV,
    "num_gpus": GPUS_ENV,
    "train_num_cpus": TRAIN_CPUS_ENV,
    "train_num_gpus": TRAIN_GPUS_ENV,
}


def executor() -> str:
    """The executor ``CRS_EXECUTOR`` names (``serial`` when unset), checked."""
    name = os.environ.get(EXECUTOR_ENV, "").strip().lower() or "serial"
    if name not in EXECUTORS:
        raise ConfigError(
            f"environment variable {EXECUTOR_ENV} is {name!r}; valid: {', '.join(EXECUTORS)}"
        )
    return name


def _number(env: str, default: float, integer: bool = False) -> float:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {env} must be a number, got {raw!r}") from None
    if v < 0 or (integer and v != int(v)):
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"environment variable {env} must be {kind} >= 0, got {raw!r}")
    return v


def _profile_resources(profile: str | None) -> dict[str, float]:
    """The profile's ``ray`` section, checked (unknown keys and bad values name the key)."""
    if profile is None:
        return {}
    section = load_profile(profile).get("ray") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"params/{profile}.yaml: `ray` must be a mapping of resources")
    unknown = sorted(set(section) - set(RESOURCE_KEYS))
    if unknown:
        raise ConfigError(
            f"params/{profile}.yaml: unknown `ray` keys {unknown}; valid: {sorted(RESOURCE_KEYS)}"
        )
    out = {}
    for k, v in section.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise ConfigError(f"params/{profile}.yaml: `ray.{k}` must be a number >= 0, got {v!r}")
        out[k] = float(v)
    return out


def resources(profile: str | None = None, kind: str = "cell") -> tuple[float, float]:
    """``(num_cpus, num_gpus)`` per task of ``kind`` (``cell`` or ``train``): the
    environment, else the profile's ``ray`` section, else 1 CPU and no GPU (a training
    task defaults to a cell's resources), checked."""
    if kind not in ("cell", "train"):
        raise ValueError(f"kind must be 'cell' or 'train', got {kind!r}")
    prof = _profile_resources(profile)
    cpus = _number(CPUS_ENV, prof.get("num_cpus", 1.0))
    gpus = _number(GPUS_ENV, prof.get("num_gpus", 0.0))
    if kind == "train":
        cpus = _number(TRAIN_CPUS_ENV, prof.get("train_num_cpus", cpus))
        gpus = _number(TRAIN_GPUS_ENV, prof.get("train_num_gpus", gpus))
    if cpus <= 0:
        env = CPUS_ENV if kind == "cell" else TRAIN_CPUS_ENV
        raise ConfigError(f"the CPUs per {kind} task ({env}, or `ray` in the profile) must be > 0")
    return cpus, gpus


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "CRS_EXECUTOR=ray needs Ray: install the optional extra "
            "(pip install -e '.[ray]') or unset CRS_EXECUTOR"
        ) from None
    return ray


def _init(ray) -> None:
    if ray.is_initialized():
        return
    address = os.environ.get(ADDRESS_ENV, "").strip() or None
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address is None:
        n = _number(LOCAL_CPUS_ENV, 0.0, integer=True)
        if n:
            kwargs["num_cpus"] = int(n)
    ray.init(address=address, **kwargs)


def _run_cell(compute: Callable[[dict[str, Any]], Any], config: dict[str, Any]):
    """The body of one cell task: ``(rows, wall seconds, the worker's provenance)``. The
    zoo refuses to train while it runs (checkpoints are trained ahead, once)."""
    before = os.environ.get(REFUSE_TRAINING_ENV)
    os.environ[REFUSE_TRAINING_ENV] = "1"
    try:
        t0 = time.perf_counter()
        rows = compute(config)
        wall = time.perf_counter() - t0
    finally:
        if before is None:
            os.environ.pop(REFUSE_TRAINING_ENV, None)
        else:
            os.environ[REFUSE_TRAINING_ENV] = before
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    return df, wall, provenance()


def _run_task(fn: Callable[..., Any], arg: Any, threads: int):
    import torch

    torch.set_num_threads(threads)
    return fn(arg)


def run_tasks(
    args: Iterable[Any], fn: Callable[[Any], Any], *, profile: str | None = None, kind: str = "cell"
) -> Iterator[tuple[int, Any]]:
    """Submit one task ``fn(arg)`` per argument, with the resources of a ``kind`` task, and
    yield ``(index, result)`` in the order the tasks finish."""
    ray = _ray()
    cpus, gpus = resources(profile, kind)
    _init(ray)
    task = ray.remote(_run_task).options(
        num_cpus=cpus, num_gpus=gpus, max_retries=MAX_RETRIES, retry_exceptions=False
    )
    fn_ref = ray.put(fn)
    threads = max(1, math.floor(cpus))
    pending = {task.remote(fn_ref, a, threads): i for i, a in enumerate(args)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            i = pending.pop(ref)
            yield i, ray.get(ref)


def run_cells(
    configs: Iterable[dict[str, Any]],
    compute: Callable[[dict[str, Any]], Any],
    profile: str | None = None,
) -> Iterator[tuple[int, pd.DataFrame, float, dict[str, str]]]:
    """Submit one task per config and yield ``(index, rows, wall, provenance)`` in the order
    the tasks finish."""

    def cell(config):  # run_tasks sets the task's torch threads
        return _run_cell(compute, config)

    for i, (df, wall, prov) in run_tasks(configs, cell, profile=profile, kind="cell"):
        yield i, df, wall, prov
