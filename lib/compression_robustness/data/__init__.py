"""Datasets as float tensors in [0, 1] with integer labels (see :mod:`.datasets`); importing
the package also registers ``mnist56`` (:mod:`.mnist56`)."""

from compression_robustness.data import mnist56  # noqa: F401  (registers mnist56)
from compression_robustness.data.datasets import (
    CIFAR10_CLASSES,
    DATASETS,
    FASHION_CLASSES,
    SPLIT_SIZES,
    DatasetSpec,
    DataUnavailableError,
    Split,
    check_split,
    check_subset_size,
    load,
    load_subset,
    spec,
    subset_indices,
)

__all__ = [
    "CIFAR10_CLASSES",
    "DATASETS",
    "FASHION_CLASSES",
    "DataUnavailableError",
    "DatasetSpec",
    "Split",
    "check_split",
    "load",
    "load_subset",
    "spec",
    "check_subset_size",
    "SPLIT_SIZES",
    "subset_indices",
]
