"""BreakingBED Table 1: every zoo model's accuracy, memory and NCC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.compression import masks_from_zeros
from compression_robustness.core.params import check_profile
from compression_robustness.core.units import Family
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.runtime.costs import model_costs
from compression_robustness.studies.paper import (
    BREAKINGBED_TABLE1,
)


@dataclass(frozen=True)
class ZooConfig:
    profile: str
    dataset: str
    models: list[str]


def validate_zoo(profile: str, dataset: str, models: list[str]) -> ZooConfig:
    """``models`` are zoo names; an empty list means every BreakingBED model the profile
    trains (training the missing ones)."""
    check_profile(profile)
    D.DATASETS.check(dataset)
    names = list(models) or [
        n for n in Z.breakingbed_models(profile) if Z.ZOO.get(n).dataset == dataset
    ]
    for n in names:
        Z.ZOO.check(n)
    return ZooConfig(profile, dataset, names)


def zoo_missing(profile: str, dataset: str, models: list[str]) -> list[str]:
    """The profile's BreakingBED models on ``dataset`` that ``models`` leaves out (those
    whose training has not finished when a profile lists its trained models explicitly)."""
    return [
        n
        for n in Z.breakingbed_models(profile)
        if Z.ZOO.get(n).dataset == dataset and n not in models
    ]


def _zoo_cell(cell: dict[str, Any], profile: str) -> pd.DataFrame:

    zm = C.zoo_model(cell["model"], profile)
    entry = Z.ZOO.get(cell["model"])
    masks = masks_from_zeros(zm.model) if entry.family == Family.PRUNED else None
    c = model_costs(zm.model, zm.spec.shape, masks)
    paper = BREAKINGBED_TABLE1.get((entry.arch, entry.variant), {})
    recipe = zm.manifest["recipe"]
    return pd.DataFrame(
        [
            {
                **C.model_columns(cell["model"]),
                "dataset": entry.dataset,
                "attack": "none",
                "eps": 0.0,
                "eps_unit": "",
                "iterations": 0,
                "seed": recipe["seed"],
                "n_examples": zm.manifest["n_test"],
                "accuracy": zm.accuracy,
                "loss": float("nan"),
                "memory_mb": c["memory_mb"],
                "ncc": c["ncc"],
                "params": c["params"],
                "fp_macs": c["fp_macs"],
                "binary_macs": c["binary_macs"],
                "paper_memory_mb": paper.get("memory_mb", float("nan")),
                "paper_ncc": paper.get("ncc", float("nan")),
                "epochs": recipe["epochs"],
                "train_seconds": zm.manifest["train_seconds"],
                "description": entry.description,
            }
        ]
    )


def with_paper_accuracy(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``paper_accuracy``: BreakingBED Table 1's clean accuracy (%) of each model
    (from the transcribed table; NaN where the paper has no row, e.g. filter pruning)."""
    paper = {f"{a}-{v}": d.get("accuracy") for (a, v), d in BREAKINGBED_TABLE1.items()}
    return df.assign(paper_accuracy=df["model"].map(paper).astype(float))


def run_zoo(cfg: ZooConfig, progress: bool = True) -> pd.DataFrame:
    """Accuracy and costs of every zoo model of ``cfg`` (one cell per checkpoint)."""
    Z.train_missing(cfg.models, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, "zoo")
    configs = [
        {"model": n, "checkpoint_sha256": Z.checkpoint_sha(n, cfg.profile), "table": "table1"}
        for n in cfg.models
    ]
    df = store.cells(
        configs, lambda c: _zoo_cell(c, cfg.profile), desc="zoo models", progress=progress
    )
    store.table()
    return df


def full_test_accuracy(name: str, profile: str) -> float:
    """The model's accuracy on its full test set, as recorded in its checkpoint manifest."""
    return float(Z.checkpoint_manifest(name, profile)["test_accuracy"])
