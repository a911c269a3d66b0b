"""What every chapter's cells share: zoo names from ``archs`` x ``variants``, one cache of
trained models and test subsets, the estimator a cell attacks, and the model columns of
its rows."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import torch

from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.core.params import check_choices
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.runtime import estimator as E

EXAMPLES = "examples"  # the store chapter of the dataset images a chapter shows


def check_models(archs: list[str], variants: list[str], dataset: str) -> list[str]:
    """Zoo names ``<arch>-<variant>`` for every requested pair; errors list the valid ones."""
    D.DATASETS.check(dataset)
    names = Z.names(dataset)
    valid_archs = sorted({Z.ZOO.get(n).arch for n in names})
    valid_variants = sorted({n.split("-", 1)[1] for n in names})
    archs = check_choices("archs", archs, valid_archs)
    variants = check_choices("variants", variants, valid_variants)
    out = []
    for a in archs:
        for v in variants:
            name = f"{a}-{v}"
            if name not in Z.ZOO:
                raise ConfigError(
                    f"no zoo model {name!r} (from `archs` x `variants`); "
                    f"zoo models on {dataset}: {', '.join(names)}"
                )
            out.append(name)
    return out


@functools.lru_cache(maxsize=48)
def zoo_model(name: str, profile: str, train_if_missing: bool = True) -> Z.ZooModel:
    """The trained zoo model (cached: every chapter's cells share one copy of each model)."""
    return Z.get(name, profile, train_if_missing=train_if_missing, progress=False)


@functools.lru_cache(maxsize=8)
def subset(dataset: str, split: str, n: int | None, seed: int) -> D.Split:
    """The seeded subset of a dataset split (cached, shared by every chapter's cells)."""
    return D.load_subset(dataset, split, n, seed)


def cell_inputs(cell: dict[str, Any], profile: str, batch_size: int):
    """The model, the test subset and the ART estimator a cell attacks."""
    zm = zoo_model(cell["model"], profile)
    sub = subset(cell["dataset"], cell["split"], cell["n_examples"], cell["subset_seed"])
    return zm, sub, E.classifier_for(zm, batch_size)


def model_columns(name: str) -> dict[str, str]:
    entry = Z.ZOO.get(name)
    return {
        "model": name,
        "arch": entry.arch,
        "variant": name.split("-", 1)[1],
        "family": entry.family,
    }


def describe(cfg) -> pd.DataFrame:
    """A two-column table of a config, for the chapter's 'settings' box."""
    d = asdict(cfg)
    return pd.DataFrame({"parameter": list(d), "value": [str(v) for v in d.values()]})


def stored_image(profile: str, config: dict[str, Any], load: Callable[[], D.Split]) -> D.Split:
    """A dataset image that a chapter shows, stored with the results (chapter ``examples``)
    so that the book rebuilds without the dataset: ``load`` (which reads the dataset) runs
    only when the cell ``config`` is not stored yet. Returns a 1-image split."""
    store = ResultStore(profile, EXAMPLES)

    def compute() -> pd.DataFrame:
        img = load()
        x = img.x[:1].contiguous().numpy().astype(np.float32)
        index = -1 if img.indices is None else int(img.indices[0])
        return pd.DataFrame(
            {
                "dataset": [img.spec.name],
                "split": [img.split],
                "image_index": [index],
                "label": [int(img.y[0])],
                "pixels": [x.tobytes()],
                "shape": [list(x.shape)],
            }
        )

    row = store.cell({"kind": "dataset-image", **config}, compute).iloc[0]
    x = np.frombuffer(row["pixels"], dtype=np.float32).reshape([int(d) for d in row["shape"]])
    return D.Split(
        torch.from_numpy(x.copy()),
        torch.tensor([int(row["label"])]),
        D.spec(row["dataset"]),
        row["split"],
        np.array([int(row["image_index"])]),
    )
