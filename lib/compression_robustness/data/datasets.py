"""Datasets as float tensors in [0, 1] with integer labels.

Normalisation is *not* applied here: it belongs to the model's estimator (ART
preprocessing), so attacks work in the natural pixel space.

Each dataset is found in this order:

1. the project's data cache (``data/``, see :mod:`compression_robustness.core.paths`);
2. the offline mirror (``CRS_DATA_MIRROR``, default ``../shared/datasets``), unpacked or
   converted once into the cache;
3. torchvision's download (for Fashion-MNIST also Debian's ``dataset-fashion-mnist``
   package in ``/usr/share/datasets/fashion-mnist``);
4. otherwise :class:`DataUnavailableError`, which names the three ways to provide it.

The ``*_samples20`` datasets are the 20 real test images per dataset that ship inside
the ``foolbox`` wheel: they are available everywhere and serve the tests.
"""

from __future__ import annotations

import gzip
import io
import logging
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from compression_robustness.core import paths
from compression_robustness.core.io import atomic_write
from compression_robustness.core.registry import ConfigError, Registry

log = logging.getLogger(__name__)

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


class DataUnavailableError(FileNotFoundError):
    """A dataset could not be found in any of the places it is looked for."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    shape: tuple[int, int, int]  # C, H, W
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...] = ()
    splits: tuple[str, ...] = ("train", "test")
    loader: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = field(
        default=None, repr=False, compare=False
    )


DATASETS: Registry[DatasetSpec] = Registry("dataset")


@dataclass
class Split:
    """A loaded split: ``x`` float32 NCHW in [0, 1], ``y`` int64."""

    x: torch.Tensor
    y: torch.Tensor
    spec: DatasetSpec
    split: str
    indices: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)


# --------------------------------------------------------------------------- helpers
def _unavailable(name: str, expected: str, extra: str = "") -> DataUnavailableError:
    mirror = paths.mirror_dir()
    return DataUnavailableError(
        f"dataset {name!r} is not available offline. Provide it in one of three ways:\n"
        f"  1. put it in the project's data cache: {expected}\n"
        f"  2. point CRS_DATA_MIRROR at an offline mirror (currently: "
        f"{mirror if mirror else 'none; the default is ../shared/datasets when it exists'})"
        f" holding the files described in docs (see README, 'Data')\n"
        f"  3. allow torchvision to download it (needs internet; unset CRS_OFFLINE)"
        + (f"\n{extra}" if extra else "")
    )


def _atomic_save_npy(path: Path, arr: np.ndarray) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object: np.save adds no ".npy" to its name
            np.save(fh, arr)

    atomic_write(path, write)


def _gunzip_into(src: Path, dst: Path) -> None:
    def write(tmp: Path) -> None:
        with gzip.open(src, "rb") as fi, open(tmp, "wb") as fo:
            shutil.copyfileobj(fi, fo)

    atomic_write(dst, write)


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


# --------------------------------------------------------------------------- MNIST family
_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _idx_family_loader(
    name: str, folder: str, mirror_sub: str, tv_cls: str, extra_dirs: tuple[Path, ...] = ()
):
    """Loader for an MNIST-like dataset stored as IDX files in ``data/<folder>/raw``."""

    def load(split: str) -> tuple[np.ndarray, np.ndarray]:
        raw = paths.data_dir() / folder / "raw"
        img_name, lab_name = _IDX_FILES[split]
        targets = [raw / img_name, raw / lab_name]
        if not all(t.is_file() for t in targets):
            sources: list[Path] = []
            mirror = paths.mirror_dir()
            if mirror is not None:
                sources.append(mirror / mirror_sub)
            sources.extend(extra_dirs)
            for src in sources:
                gz = [src / (t.name + ".gz") for t in targets]
                if all(g.is_file() for g in gz):
                    log.info("unpacking %s %s from %s into %s", name, split, src, raw)
                    for g, t in zip(gz, targets, strict=True):
                        _gunzip_into(g, t)
                    break
            else:
                if not paths.offline():
                    try:
                        import torchvision

                        getattr(torchvision.datasets, tv_cls)(
                            str(paths.data_dir()), train=(split == "train"), download=True
                        )
                    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
                        log.info("torchvision download of %s failed: %s", name, exc)
            if not all(t.is_file() for t in targets):
                extra = (
                    f"  (or install Debian's dataset-fashion-mnist, which provides {extra_dirs[0]})"
                    if extra_dirs
                    else ""
                )
                raise _unavailable(name, str(raw / "<idx files>"), extra)
        x = _read_idx(targets[0])[:, None, :, :]
        y = _read_idx(targets[1]).astype(np.int64)
        return x, y

    return load


# --------------------------------------------------------------------------- CIFAR-10
def _decode_image_tar(tar_path: Path, prefix: str, classes: tuple[str, ...] | None):
    """Decode an ImageFolder-layout tar (``<prefix>/<class>/<file>``) into uint8 NHWC."""
    from PIL import Image

    xs, ys = [], []
    with tarfile.open(tar_path) as tf:
        members = sorted(
            (m for m in tf.getmembers() if m.isfile() and m.name.startswith(prefix + "/")),
            key=lambda m: m.name,
        )
        folders = sorted({m.name.split("/")[1] for m in members})
        order = {c: i for i, c in enumerate(classes if classes else folders)}
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover
            tqdm = None
        it = tqdm(members, desc=f"decoding {tar_path.name}", leave=False) if tqdm else members
        for m in it:
            cls = m.name.split("/")[1]
            with Image.open(io.BytesIO(tf.extractfile(m).read())) as im:
                xs.append(np.asarray(im.convert("RGB")))
            ys.append(order[cls])
    return xs, np.asarray(ys, dtype=np.int64), folders


def _cifar10_load(split: str) -> tuple[np.ndarray, np.ndarray]:
    cache = paths.data_dir() / "cifar10"
    fx, fy = cache / f"{split}_x.npy", cache / f"{split}_y.npy"
    if not (fx.is_file() and fy.is_file()):
        mirror = paths.mirror_dir()
        tar = mirror / "cifar10-jpeg" / f"{split}.tar" if mirror else None
        if tar is not None and tar.is_file():
            log.info("decoding CIFAR-10 %s from mirror %s", split, tar)
            xs, y, folders = _decode_image_tar(tar, split, CIFAR10_CLASSES)
            if tuple(folders) != CIFAR10_CLASSES:
                raise DataUnavailableError(f"unexpected CIFAR-10 class folders in {tar}: {folders}")
            _atomic_save_npy(fy, y)
            _atomic_save_npy(fx, np.stack(xs))
        elif not paths.offline():
            try:
                import torchvision

                ds = torchvision.datasets.CIFAR10(
                    str(paths.data_dir() / "cifar10-download"),
                    train=(split == "train"),
                    download=True,
                )
                _atomic_save_npy(fy, np.asarray(ds.targets, dtype=np.int64))
                _atomic_save_npy(fx, np.asarray(ds.data, dtype=np.uint8))
            except Exception as exc:  # noqa: BLE001
                log.info("torchvision download of CIFAR-10 failed: %s", exc)
        if not (fx.is_file() and fy.is_file()):
            raise _unavailable("cifar10", f"{fx} and {fy} (uint8 NHWC / int64)")
    x = np.load(fx).transpose(0, 3, 1, 2)
    return x, np.load(fy)


# --------------------------------------------------------------------------- ImageNet samples
IMAGENET_RESIZE, IMAGENET_CROP = 256, 224


def _imagenet_samples_load(split: str) -> tuple[np.ndarray, np.ndarray]:
    cache = paths.data_dir() / "imagenet_samples"
    fx, fy = cache / "val_x.npy", cache / "val_y.npy"
    if not (fx.is_file() and fy.is_file()):
        mirror = paths.mirror_dir()
        tar = mirror / "imagenet-samples" / "val.tar" if mirror else None
        if tar is None or not tar.is_file():
            raise _unavailable(
                "imagenet_samples",
                f"{fx} and {fy}",
                "  (ImageNet has no torchvision download: the mirror's imagenet-samples/val.tar "
                "is the offline source; a full validation folder can be used in the paper profile)",
            )
        xs, y, _ = _decode_image_tar(tar, "val", None)
        crops = [_resize_center_crop(a) for a in xs]
        _atomic_save_npy(fy, y)
        _atomic_save_npy(fx, np.stack(crops))
    return np.load(fx).transpose(0, 3, 1, 2), np.load(fy)


def _resize_center_crop(a: np.ndarray) -> np.ndarray:
    """Resize the shorter side to 256 (bilinear) and centre-crop 224, as torchvision does."""
    from PIL import Image

    im = Image.fromarray(a)
    w, h = im.size
    s = IMAGENET_RESIZE / min(w, h)
    if (w, h) != (round(w * s), round(h * s)) and min(w, h) != IMAGENET_RESIZE:
        im = im.resize((round(w * s), round(h * s)), Image.BILINEAR)
    w, h = im.size
    left, top = (w - IMAGENET_CROP) // 2, (h - IMAGENET_CROP) // 2
    return np.asarray(im.crop((left, top, left + IMAGENET_CROP, top + IMAGENET_CROP)))


# --------------------------------------------------------------------------- foolbox samples
def _foolbox_samples_loader(fb_name: str, channels: int, size: int):
    def load(split: str) -> tuple[np.ndarray, np.ndarray]:
        from importlib.util import find_spec

        from PIL import Image

        spec = find_spec("foolbox")
        if spec is None or not spec.submodule_search_locations:
            raise DataUnavailableError(
                f"the 20 {fb_name} sample images ship inside the `foolbox` package; "
                "install it with `pip install foolbox`"
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "data"
        files = sorted(folder.glob(f"{fb_name}_[0-9]*.*"))
        if not files:
            raise DataUnavailableError(f"no {fb_name}_NN_label image files in {folder}")
        xs, ys = [], []
        for f in files:
            with Image.open(f) as im:
                im = im.convert("L" if channels == 1 else "RGB")
                a = np.asarray(im)
                if a.shape[0] != size or a.shape[1] != size:
                    a = _resize_center_crop(a)
            xs.append(a[None] if channels == 1 else a.transpose(2, 0, 1))
            ys.append(int(f.stem.rsplit("_", 1)[1]))
        return np.stack(xs), np.asarray(ys, dtype=np.int64)

    return load


# --------------------------------------------------------------------------- registry
_MNIST_STATS = ((0.1307,), (0.3081,))
_FASHION_STATS = ((0.2860,), (0.3530,))
_CIFAR_STATS = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
_IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
_DIGITS = tuple(str(i) for i in range(10))

for _spec in (
    DatasetSpec(
        "mnist",
        10,
        (1, 28, 28),
        *_MNIST_STATS,
        _DIGITS,
        loader=_idx_family_loader("mnist", "MNIST", "mnist", "MNIST"),
    ),
    DatasetSpec(
        "fashion_mnist",
        10,
        (1, 28, 28),
        *_FASHION_STATS,
        FASHION_CLASSES,
        loader=_idx_family_loader(
            "fashion_mnist", "FashionMNIST", "fashion-mnist", "FashionMNIST", (FASHION_DEBIAN_DIR,)
        ),
    ),
    DatasetSpec("cifar10", 10, (3, 32, 32), *_CIFAR_STATS, CIFAR10_CLASSES, loader=_cifar10_load),
    DatasetSpec(
        "imagenet_samples",
        1000,
        (3, 224, 224),
        *_IMAGENET_STATS,
        splits=("test",),
        loader=_imagenet_samples_load,
    ),
    DatasetSpec(
        "mnist_samples20",
        10,
        (1, 28, 28),
        *_MNIST_STATS,
        _DIGITS,
        splits=("test",),
        loader=_foolbox_samples_loader("mnist", 1, 28),
    ),
    DatasetSpec(
        "fashion_mnist_samples20",
        10,
        (1, 28, 28),
        *_FASHION_STATS,
        FASHION_CLASSES,
        splits=("test",),
        loader=_foolbox_samples_loader("fashionMNIST", 1, 28),
    ),
    DatasetSpec(
        "cifar10_samples20",
        10,
        (3, 32, 32),
        *_CIFAR_STATS,
        CIFAR10_CLASSES,
        splits=("test",),
        loader=_foolbox_samples_loader("cifar10", 3, 32),
    ),
    DatasetSpec(
        "imagenet_samples20",
        1000,
        (3, 224, 224),
        *_IMAGENET_STATS,
        splits=("test",),
        loader=_foolbox_samples_loader("imagenet", 3, 224),
    ),
):
    DATASETS.register(_spec.name, _spec)


def spec(name: str) -> DatasetSpec:
    return DATASETS.get(name)


#: images per split, for checking a requested subset size before anything is loaded
SPLIT_SIZES: dict[str, dict[str, int]] = {
    "mnist": {"train": 60_000, "test": 10_000},
    "mnist56": {"train": 60_000, "test": 10_000},
    "fashion_mnist": {"train": 60_000, "test": 10_000},
    "cifar10": {"train": 50_000, "test": 10_000},
    "imagenet_samples": {"test": 1000},
    **{f"{d}_samples20": {"test": 20} for d in ("mnist", "fashion_mnist", "cifar10", "imagenet")},
}


def check_subset_size(param: str, n: int | None, dataset: str, split: str = "test") -> None:
    """``n`` images (``None``: all) must fit in the split: the error names the parameter."""
    size = SPLIT_SIZES.get(dataset, {}).get(split)
    if n is not None and size is not None and n > size:
        raise ConfigError(
            f"parameter `{param}` is {n}, but the {dataset} {split} split has {size:,} images; "
            f"use at most {size}, or None for all of them"
        )


def check_split(name: str, split: str) -> str:
    s = spec(name)
    if split not in s.splits:
        raise ConfigError(
            f"dataset {name!r} has no split {split!r} for parameter `split`; valid: {s.splits}"
        )
    return split


def load(name: str, split: str = "test") -> Split:
    """Load a whole split as float32 NCHW in [0,1] and int64 labels."""
    s = spec(name)
    check_split(name, split)
    x, y = s.loader(split)
    xt = torch.from_numpy(np.array(x, copy=True)).float().div_(255.0)
    return Split(xt, torch.from_numpy(np.asarray(y, dtype=np.int64)), s, split)


def subset_indices(n_total: int, n: int | None, seed: int) -> np.ndarray:
    """Deterministic subset: the first ``n`` of a seeded permutation (sorted).

    The same ``(n_total, n, seed)`` always gives the same indices, and a smaller ``n`` is a
    prefix-subset of a larger one's permutation, so profiles nest.
    """
    if n is None or n >= n_total:
        return np.arange(n_total)
    if n <= 0:
        raise ConfigError(f"`n_examples` must be positive, got {n}")
    perm = np.random.default_rng(seed).permutation(n_total)
    return np.sort(perm[:n])


def load_subset(name: str, split: str, n: int | None, seed: int = 0) -> Split:
    full = load(name, split)
    idx = subset_indices(len(full), n, seed)
    t = torch.from_numpy(idx)
    return Split(full.x[t], full.y[t], full.spec, split, idx)
