import gzip
import struct

import numpy as np
import pytest
import torch

from compression_robustness.core.registry import ConfigError, UnknownNameError
from compression_robustness.data import datasets as D

from .conftest import needs_mirror


def _write_idx(path, arr: np.ndarray):
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + b"".join(
        struct.pack(">I", d) for d in arr.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def _fake_mnist_mirror(root, n=12):
    folder = root / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n, 28, 28))
    labels = np.arange(n) % 10
    for fi, fl in D._IDX_FILES.values():
        _write_idx(folder / f"{fi}.gz", imgs)
        _write_idx(folder / f"{fl}.gz", labels)
    return imgs, labels


@pytest.mark.parametrize(
    "name",
    ["mnist_samples20", "fashion_mnist_samples20", "cifar10_samples20", "imagenet_samples20"],
)
def test_samples20_are_real_float_images_in_unit_range(name):
    s = D.load(name, "test")
    spec = D.spec(name)
    assert s.x.shape == (20, *spec.shape)
    assert s.x.dtype == torch.float32 and s.y.dtype == torch.int64
    assert 0.0 <= s.x.min() and s.x.max() <= 1.0
    assert s.x.std() > 0.05  # real images, not blanks
    assert ((s.y >= 0) & (s.y < spec.num_classes)).all()


def test_mnist_samples20_labels_match_real_mnist_test_order():
    # foolbox ships the first 20 MNIST test images: the labels start 7 2 1 0 4
    assert D.load("mnist_samples20").y[:5].tolist() == [7, 2, 1, 0, 4]


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(UnknownNameError) as e:
        D.load("cifar11")
    msg = str(e.value)
    assert "`dataset`" in msg and "cifar10" in msg and "mnist" in msg


def test_unknown_split_is_a_config_error():
    with pytest.raises(ConfigError, match="split"):
        D.load("mnist_samples20", "train")


def test_offline_error_names_the_three_ways(isolated_data):
    with pytest.raises(D.DataUnavailableError) as e:
        D.load("mnist", "test")
    msg = str(e.value)
    assert "data cache" in msg and "CRS_DATA_MIRROR" in msg and "download" in msg
    with pytest.raises(D.DataUnavailableError, match="CRS_DATA_MIRROR"):
        D.load("cifar10", "test")
    with pytest.raises(D.DataUnavailableError, match="imagenet"):
        D.load("imagenet_samples", "test")


def test_failed_download_falls_through_to_the_error(isolated_data, monkeypatch):
    import torchvision

    calls = []

    def refuse(*a, **k):
        calls.append(a)
        raise RuntimeError("no network")

    monkeypatch.setenv("CRS_OFFLINE", "0")
    monkeypatch.setattr(torchvision.datasets, "MNIST", refuse)
    with pytest.raises(D.DataUnavailableError):
        D.load("mnist", "test")
    assert calls, "torchvision's download was not tried"


def test_mirror_is_unpacked_into_the_cache_and_cache_wins(isolated_data, tmp_path, monkeypatch):
    imgs, labels = _fake_mnist_mirror(tmp_path / "mirror")
    monkeypatch.setenv("CRS_DATA_MIRROR", str(tmp_path / "mirror"))
    s = D.load("mnist", "test")
    assert torch.equal(s.y, torch.from_numpy(labels))
    assert torch.allclose(s.x[:, 0], torch.from_numpy(imgs).float() / 255)
    assert (isolated_data / "MNIST" / "raw" / "t10k-images-idx3-ubyte").is_file()
    # the cache is now used first, even with the mirror gone
    monkeypatch.setenv("CRS_DATA_MIRROR", str(tmp_path / "nowhere"))
    assert torch.equal(D.load("mnist", "test").y, s.y)


def test_cifar_cache_in_data_dir_is_used_first(isolated_data):
    folder = isolated_data / "cifar10"
    folder.mkdir(parents=True)
    x = np.random.default_rng(1).integers(0, 256, (5, 32, 32, 3)).astype(np.uint8)
    np.save(folder / "test_x.npy", x)
    np.save(folder / "test_y.npy", np.arange(5))
    s = D.load("cifar10", "test")
    assert s.x.shape == (5, 3, 32, 32)
    assert torch.allclose(s.x, torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255)


def test_subsets_are_deterministic_and_nested():
    a = D.subset_indices(10_000, 500, seed=0)
    assert np.array_equal(a, D.subset_indices(10_000, 500, seed=0))
    assert not np.array_equal(a, D.subset_indices(10_000, 500, seed=1))
    assert len(np.unique(a)) == 500 and a.min() >= 0 and a.max() < 10_000
    assert set(D.subset_indices(10_000, 100, seed=0)) <= set(a)  # profiles nest
    assert np.array_equal(D.subset_indices(50, None, 0), np.arange(50))
    with pytest.raises(ConfigError, match="n_examples"):
        D.subset_indices(100, -3, 0)


@needs_mirror
def test_real_mnist_from_mirror():
    s = D.load("mnist", "test")
    assert s.x.shape == (10_000, 1, 28, 28)
    assert s.y[:5].tolist() == [7, 2, 1, 0, 4]
    assert torch.bincount(s.y).tolist()[0] == 980


@needs_mirror
def test_real_cifar10_from_mirror():
    s = D.load("cifar10", "test")
    assert s.x.shape == (10_000, 3, 32, 32)
    assert torch.bincount(s.y).tolist() == [1000] * 10
    assert 0.0 <= s.x.min() and s.x.max() <= 1.0


@pytest.mark.skipif(
    not (D.FASHION_DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="needs Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist)",
)
def test_fashion_mnist_from_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRS_DATA_MIRROR", "")
    monkeypatch.setenv("CRS_OFFLINE", "1")
    s = D.load("fashion_mnist", "test")
    assert s.x.shape == (10_000, 1, 28, 28)
    # foolbox's 20 Fashion-MNIST samples are the first 20 test images
    assert s.y[:20].tolist() == D.load("fashion_mnist_samples20").y.tolist()
    assert torch.bincount(s.y).tolist() == [1000] * 10
