"""Provenance: code version, package versions and stable content hashes."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from compression_robustness.core import paths
from compression_robustness.core.device import device_name, resolve_device


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the basis of every content hash."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default)


def _default(o: Any):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, tuple | set | frozenset):
        return list(o)
    raise TypeError(f"not JSON-serialisable in a config: {o!r}")


def content_hash(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:n]


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The project's git commit (with ``-dirty`` when the work tree has changes)."""
    root = paths.project_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "lib"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except Exception:  # noqa: BLE001 - not a git checkout
        return "unknown"


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "adversarial-robustness-toolbox", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def cpu_name() -> str:
    """The CPU's model name (``AMD EPYC``, ``Intel(R) Xeon(R) ...``), or the platform's."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags, or None where the platform does not say."""
    flags = _cpuinfo().get("flags")
    return None if flags is None else set(flags.split())


def provenance() -> dict[str, str]:
    v = versions()
    return {
        "git_commit": git_commit(),
        "torch_version": v["torch"],
        "art_version": v["adversarial-robustness-toolbox"],
        "numpy_version": v["numpy"],
        "python_version": v["python"],
        "machine": f"{platform.machine()}-{torch_threads()}threads-{cpu_name()}",
        # the default device of this process (CRS_DEVICE, else auto), which computed the cell
        "device": device_name(resolve_device()),
    }


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()
