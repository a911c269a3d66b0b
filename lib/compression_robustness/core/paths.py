"""Where the project keeps things: the project root, ``data/``, the dataset mirror.

Environment variables (all optional):

``CRS_ROOT``
    the project root (default: the folder holding ``pyproject.toml`` above this package,
    else the current directory).
``CRS_DATA_DIR``
    the data cache (default ``<root>/data``). Results and checkpoints live below it too.
``CRS_DATA_MIRROR``
    an offline mirror of the raw datasets (default ``<root>/../shared/datasets`` when it
    exists). Set it to an empty string to disable the mirror.
``CRS_OFFLINE``
    set to ``1`` to never try torchvision's downloads.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("CRS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "params").is_dir():
            return parent
    return Path.cwd().resolve()


def data_dir() -> Path:
    env = os.environ.get("CRS_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def mirror_dir() -> Path | None:
    """The configured dataset mirror, or ``None`` when there is none."""
    env = os.environ.get("CRS_DATA_MIRROR")
    if env is not None:
        return Path(env).resolve() if env.strip() else None
    default = project_root().parent / "shared" / "datasets"
    return default if default.is_dir() else None


def offline() -> bool:
    return os.environ.get("CRS_OFFLINE", "").strip() not in ("", "0", "false", "no")


def reference_dir() -> Path:
    """The papers' numbers and claims (``data/reference/``, committed)."""
    return project_root() / "data" / "reference"


def results_dir(profile: str) -> Path:
    return data_dir() / "results" / profile


def checkpoints_dir(profile: str) -> Path:
    return data_dir() / "checkpoints" / profile


def large_checkpoints_dir(profile: str) -> Path:
    """Git-ignored home of weights too large to commit (their manifests are committed)."""
    return data_dir() / "cache" / "checkpoints" / profile
