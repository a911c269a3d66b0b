"""The model zoo: named, trained models with per-profile recipes and cached checkpoints.

:mod:`.entry` holds the entry type and ``get``/``build``/``checkpoint_*``;
:mod:`.entries` one data file per paper (BreakingBED's is generated from the compression
registry); the shared training schedules are in :mod:`compression_robustness.core.recipes`.
Importing the package registers every entry.
"""

from compression_robustness.zoo import entries  # noqa: F401  (registers every entry)
from compression_robustness.zoo.entries.breakingbed import (
    BREAKINGBED_MODELS,
    breakingbed_models,
)
from compression_robustness.zoo.entries.cheng import M56_CPU_SUBSET, M56_DEPTH, M56_MAIN
from compression_robustness.zoo.entry import (
    ZOO,
    HookedZooEntry,
    ZooEntry,
    ZooModel,
    build,
    checkpoint_manifest,
    checkpoint_paths,
    checkpoint_sha,
    default_models,
    get,
    is_trained,
    names,
    register,
    train_missing,
    training_waves,
)

__all__ = [
    "BREAKINGBED_MODELS",
    "M56_CPU_SUBSET",
    "M56_DEPTH",
    "M56_MAIN",
    "ZOO",
    "HookedZooEntry",
    "ZooEntry",
    "ZooModel",
    "breakingbed_models",
    "build",
    "checkpoint_manifest",
    "checkpoint_paths",
    "checkpoint_sha",
    "default_models",
    "get",
    "is_trained",
    "names",
    "register",
    "train_missing",
    "training_waves",
]
