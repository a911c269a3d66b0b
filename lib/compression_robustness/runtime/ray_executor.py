"""Compute result cells as Ray tasks (``CRS_EXECUTOR=ray``; Ray is the optional ``ray``
extra).

The cells of a chapter are content-addressed and independent, so each missing one is one
Ray task. The driver (:meth:`compression_robustness.evaluate.store.ResultStore.cells`)
writes every cell into the store as soon as its task finishes, so a killed driver loses
only the cells in flight, and Ray reruns a task whose worker died (``max_retries``), so a
killed worker loses nothing. Each task returns its rows, its wall time and the provenance
of the worker that computed it (machine, device, versions).

Settings (environment):

* ``CRS_RAY_ADDRESS``: the cluster (``ray.init(address=...)``); empty: a local cluster;
* ``CRS_RAY_NUM_CPUS`` / ``CRS_RAY_NUM_GPUS``: resources per cell (default 1 CPU, 0 GPUs;
  a fraction such as ``0.25`` GPUs lets several small-model cells share one GPU); each
  task runs torch on that many threads;
* ``CRS_RAY_LOCAL_CPUS``: the CPUs of a local cluster (default: all).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from compression_robustness.core.provenance import provenance
from compression_robustness.core.registry import ConfigError

ADDRESS_ENV = "CRS_RAY_ADDRESS"
CPUS_ENV = "CRS_RAY_NUM_CPUS"
GPUS_ENV = "CRS_RAY_NUM_GPUS"
LOCAL_CPUS_ENV = "CRS_RAY_LOCAL_CPUS"
#: Ray reruns a task this many times when its worker process dies
MAX_RETRIES = 3


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


def resources() -> tuple[float, float]:
    """``(num_cpus, num_gpus)`` per cell, checked."""
    cpus = _number(CPUS_ENV, 1.0)
    if cpus <= 0:
        raise ConfigError(f"environment variable {CPUS_ENV} must be > 0")
    return cpus, _number(GPUS_ENV, 0.0)


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


def _run_cell(compute: Callable[[dict[str, Any]], Any], config: dict[str, Any], threads: int):
    """The body of one task: ``(rows, wall seconds, the worker's provenance)``."""
    import torch

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    rows = compute(config)
    wall = time.perf_counter() - t0
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    return df, wall, provenance()


def run_cells(
    configs: Iterable[dict[str, Any]], compute: Callable[[dict[str, Any]], Any]
) -> Iterator[tuple[int, pd.DataFrame, float, dict[str, str]]]:
    """Submit one task per config and yield ``(index, rows, wall, provenance)`` in the order
    the tasks finish."""
    ray = _ray()
    cpus, gpus = resources()
    _init(ray)
    task = ray.remote(_run_cell).options(
        num_cpus=cpus, num_gpus=gpus, max_retries=MAX_RETRIES, retry_exceptions=False
    )
    compute_ref = ray.put(compute)
    threads = max(1, math.floor(cpus))
    pending = {task.remote(compute_ref, c, threads): i for i, c in enumerate(configs)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            i = pending.pop(ref)
            df, wall, prov = ray.get(ref)
            yield i, df, wall, prov
