"""Shared fixtures. Tests run on CPU in seconds; mirror-dependent tests skip with a reason."""

from __future__ import annotations

import os

import pytest
import torch

from compression_robustness.core import paths

# 2 cores on every machine of this project; CRS_TEST_THREADS=1 keeps tests light beside a
# background training run.
torch.set_num_threads(int(os.environ.get("CRS_TEST_THREADS", "2")))


def mirror_available() -> bool:
    m = paths.mirror_dir()
    return m is not None and (m / "mnist").is_dir() and (m / "cifar10-jpeg").is_dir()


needs_mirror = pytest.mark.skipif(
    not mirror_available(),
    reason="needs the offline dataset mirror (set CRS_DATA_MIRROR or put ../shared/datasets beside the project)",
)


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module that attacks or trains, so that it stays light beside
    a background training run; modules opt in with an autouse fixture that requests it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """An empty data cache, no mirror, and no downloads: nothing can be found."""
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRS_DATA_MIRROR", "")
    monkeypatch.setenv("CRS_OFFLINE", "1")
    return tmp_path / "data"
