"""The model zoo: named, trained models with per-profile recipes and cached checkpoints.

:mod:`.entry` holds the entry type and ``get``/``build``/``checkpoint_*``;
:mod:`.recipes` the shared training schedules; :mod:`.entries` one data file per paper.
Importing the package registers every entry.
"""

from compression_robustness.zoo import entries  # noqa: F401  (registers every entry)
from compression_robustness.zoo.entries.breakingbed import (
    BINARY_VARIANTS,
    BREAKINGBED_MODELS,
    KD_DEFAULTS,
    PRUNE_REGULARITIES,
    TEACHERS,
    breakingbed_models,
)
from compression_robustness.zoo.entries.cheng import M56_CPU_SUBSET, M56_DEPTH, M56_MAIN
from compression_robustness.zoo.entry import (
    PRUNE_ALLOCATOR,
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
    names,
    register,
)

__all__ = [
    "BINARY_VARIANTS",
    "BREAKINGBED_MODELS",
    "KD_DEFAULTS",
    "M56_CPU_SUBSET",
    "M56_DEPTH",
    "M56_MAIN",
    "PRUNE_ALLOCATOR",
    "PRUNE_REGULARITIES",
    "TEACHERS",
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
    "names",
    "register",
]
