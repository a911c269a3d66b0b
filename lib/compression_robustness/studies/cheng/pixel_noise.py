"""The ``pixel_noise`` chapter: architectural resilience to pixel noise (Cheng & Hu 2020).

:func:`validate_pixel_noise` checks the chapter's parameters (a :class:`ConfigError`
naming the parameter, before any compute); :func:`run_noise_curves` fills the results store
with accuracy against the number of single-pixel attacks (Fig. 7 and 8, Table 1);
:func:`run_attack_comparison` runs DeepFool, ART's BoundaryAttack and the Pointwise attack
and counts the pixels each changes (Table 2). The remaining functions turn those tidy
tables into the chapter's tables; they never load a model. The paper's claims are decided
from the same committed tables in :mod:`compression_robustness.studies.cheng.claims`.

Cells:

* noise: one (model, repeat) pair; every perturbation and every number of attacks ``k``
  is evaluated on the same fixed test subset. Repeat ``r`` seeds the pixel draws with
  ``seed + r`` (the perturbations are model-agnostic, so every model sees the very same
  perturbed images). ``k = 0`` is the clean subset.
* comparison: one (model, attack) pair on the first ``compare_n_examples`` images of the
  same subset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.attacks import pixel_noise as P
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    check_choices,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.models.m56 import ADAPTATIONS, DISPLAY
from compression_robustness.runtime import estimator as E

CHAPTER = "pixel_noise"
DATASET = "mnist56"
#: the paper's perturbations, in its order, with its abbreviations
PERTURBATIONS = {
    "white_to_black": "WtB",
    "black_to_white": "BtW",
    "pixel_invert": "RPI",
    "edge_to_altered": "EtA",
}
COMPARE_ATTACKS = ("deepfool", "boundary", "pointwise")
TABLE1_K = (0, 10, 40, 100, 200)  #: the numbers of attacks of the chapter's Table 1
#: a pixel counts as changed when it moves by more than half a grey level (it would
#: survive saving the image with 8 bits)
CHANGE_ATOL = 0.5 / 255


@dataclass(frozen=True)
class PixelNoiseConfig:
    profile: str
    models: list[str]  # main comparison (Fig. 7, Table 1)
    depth_models: list[str]  # ResNet depth study (Fig. 8)
    perturbations: list[str]
    attacks: list[int]  # numbers of single-pixel attacks k (0 = clean)
    repeats: int
    n_examples: int | None
    seed: int
    batch_size: int
    compare_models: list[str]
    compare_attacks: list[str]
    compare_n_examples: int
    deepfool_max_iter: int
    boundary_max_iter: int
    boundary_num_trial: int
    boundary_sample_size: int
    pointwise_max_queries: int
    edge_reading: str = "once"

    @property
    def all_models(self) -> list[str]:
        return list(dict.fromkeys(self.models + self.depth_models))


def _check_m56_models(param: str, models: list[str], allow_empty: bool = False) -> list[str]:
    valid = [n for n in Z.names(DATASET)]
    if allow_empty and not models:
        return []
    return check_choices(param, models, valid)


#: the chapter's numeric parameters (the notebook's parameters cell holds the defaults)
PARAMS = {
    "attacks": Param(
        list,
        "numbers of single-pixel attacks k on the 28x28 grid",
        min=0,
        max=P.GRID * P.GRID,
        each=int,
        nonempty=True,
    ),  # fmt: skip
    "repeats": Param(int, "seeded repeats averaged per point", min=1),
    "n_examples": Param(int, "MNIST test images per point; None: all", min=1, nullable=True),
    "compare_n_examples": Param(int, "test images attacked per model in Table 2", min=1),
    "deepfool_max_iter": Param(int, "DeepFool iterations", min=1),
    "boundary_max_iter": Param(int, "BoundaryAttack iterations", min=1),
    "boundary_num_trial": Param(int, "BoundaryAttack trials per step", min=1),
    "boundary_sample_size": Param(int, "BoundaryAttack samples per trial", min=1),
    "pointwise_max_queries": Param(int, "model queries per image of Pointwise", min=1),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


def validate_pixel_noise(
    profile: str,
    models: list[str],
    depth_models: list[str],
    perturbations: list[str],
    attacks: list[int],
    repeats: int,
    n_examples: int | None,
    seed: int,
    batch_size: int,
    compare_models: list[str],
    compare_attacks: list[str],
    compare_n_examples: int,
    deepfool_max_iter: int,
    boundary_max_iter: int,
    boundary_num_trial: int,
    boundary_sample_size: int,
    pointwise_max_queries: int,
    edge_reading: str = "once",
) -> PixelNoiseConfig:
    """The chapter's parameters, checked before any compute; errors name the notebook
    parameter."""
    check_profile(profile)
    check_params(PARAMS, locals())
    models = _check_m56_models("models", models)
    depth_models = _check_m56_models("depth_models", depth_models, allow_empty=True)
    perturbations = check_choices("perturbations", perturbations, PERTURBATIONS)
    check_choices("edge_reading", [edge_reading], P.EDGE_READINGS)
    if 0 not in attacks:
        raise ConfigError("parameter `attacks` must contain 0 (the clean images)")
    attacks = sorted(set(attacks))
    D.check_subset_size("n_examples", n_examples, DATASET)
    compare_models = _check_m56_models("compare_models", compare_models, allow_empty=True)
    compare_attacks = check_choices("compare_attacks", compare_attacks, COMPARE_ATTACKS)
    if n_examples is not None and compare_n_examples > n_examples:
        raise ConfigError(
            f"parameter `compare_n_examples` ({compare_n_examples}) must not exceed "
            f"`n_examples` ({n_examples})"
        )
    return PixelNoiseConfig(
        profile,
        models,
        depth_models,
        perturbations,
        attacks,
        repeats,
        n_examples,
        seed,
        batch_size,
        compare_models,
        compare_attacks,
        compare_n_examples,
        deepfool_max_iter,
        boundary_max_iter,
        boundary_num_trial,
        boundary_sample_size,
        pointwise_max_queries,
        edge_reading,
    )


def model_label(name: str) -> str:
    """The paper's name of a zoo model (``m56_resnet50-vanilla`` -> ``ResNet-50``)."""
    return DISPLAY.get(Z.ZOO.get(name).arch, name)


def model_accuracies(names: list[str], profile: str) -> pd.DataFrame:
    """Training set-up and test accuracy of each model, read from the manifests only."""
    rows = []
    for n in names:
        m = Z.checkpoint_manifest(n, profile)
        r = m["recipe"]
        val = m.get("val_accuracy")
        rows.append(
            {
                "model": model_label(n),
                "zoo name": n,
                "training images": m["n_train"],
                "epochs (max)": r["epochs"],
                # recipes with the validation stopping rule record where they stopped
                "images seen": m.get("images_seen", m["n_train"] * r["epochs"]),
                "validation accuracy (%)": round(100 * val, 2) if val is not None else np.nan,
                "target reached": m.get("target_reached"),
                "test images": m["n_test"],
                "test accuracy (%)": round(100 * m["test_accuracy"], 2),
                "train minutes": round(m["train_seconds"] / 60, 1),
                "weights (MB)": round(m["weights_bytes"] / 1e6, 1),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- noise curves
def noise_cell_configs(cfg: PixelNoiseConfig, models: list[str] | None = None) -> list[dict]:
    out = []
    for name in models if models is not None else cfg.all_models:
        sha = Z.checkpoint_sha(name, cfg.profile)
        for r in range(cfg.repeats):
            out.append(
                {
                    "model": name,
                    "checkpoint_sha256": sha,
                    "dataset": DATASET,
                    "split": "test",
                    "attack": "pixel_noise",
                    "perturbations": cfg.perturbations,
                    "attacks": cfg.attacks,
                    "n_examples": cfg.n_examples,
                    "subset_seed": cfg.seed,
                    "repeat": r,
                    "seed": cfg.seed + r,
                    # only a non-default reading enters the key (the committed cells are "once")
                    **_edge_key(cfg),
                }
            )
    return out


def _edge_key(cfg: PixelNoiseConfig) -> dict[str, str]:
    if cfg.edge_reading == "once" or "edge_to_altered" not in cfg.perturbations:
        return {}
    return {"edge_reading": cfg.edge_reading}


def _perturbation(pert: str, k: int, seed: int, edge_reading: str = "once"):
    extra = {"edges": edge_reading} if pert == "edge_to_altered" else {}
    return A.create(pert, None, k=k, seed=seed, **extra)


def _noise_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm = C.zoo_model(cell["model"], profile)
    sub = C.subset(cell["dataset"], cell["split"], cell["n_examples"], cell["subset_seed"])
    est = E.classifier_for(zm, batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()
    pred0 = est.torch_predict(sub.x).argmax(1).numpy()
    rows = []
    for pert in cell["perturbations"]:
        for k in cell["attacks"]:
            if k == 0:
                pred, n_changed = pred0, np.zeros(len(y))
            else:
                atk = _perturbation(pert, k, cell["seed"], cell.get("edge_reading", "once"))
                adv = atk.generate(x)
                pred = est.torch_predict(torch.from_numpy(adv)).argmax(1).numpy()
                n_changed = atk.n_changed
            rows.append(
                {
                    "model": cell["model"],
                    "arch": zm.manifest["recipe"]["arch"],
                    "label": model_label(cell["model"]),
                    "perturbation": pert,
                    "k": k,
                    "repeat": cell["repeat"],
                    "seed": cell["seed"],
                    "accuracy": float((pred == y).mean()),
                    "clean_accuracy": float((pred0 == y).mean()),
                    "mean_changed": float(np.mean(n_changed)),
                    "n_examples": len(y),
                }
            )
    return pd.DataFrame(rows)


def run_noise_curves(
    cfg: PixelNoiseConfig, models: list[str] | None = None, progress: bool = True
) -> pd.DataFrame:
    """Accuracy against the number of single-pixel attacks, per model, perturbation and
    repeat (computed once per cell, then read back)."""
    names = models if models is not None else cfg.all_models
    Z.train_missing(names, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, CHAPTER)
    df = store.cells(
        noise_cell_configs(cfg, models),
        lambda c: _noise_cell(c, cfg.profile, cfg.batch_size),
        desc="pixel-noise cells (model x repeat)",
        progress=progress,
    )
    store.table()  # the chapter's consolidated table, beside its cells
    return df


# --------------------------------------------------------------------------- pixels changed
def changed_cell_config(cfg: PixelNoiseConfig) -> dict[str, Any]:
    """The model-free cell: how many pixels ``k`` attacks of each perturbation actually
    change on the chapter's images, with Edge->Altered under both readings of its edges."""
    return {
        "dataset": DATASET,
        "split": "test",
        "attack": "pixels_changed",
        "perturbations": cfg.perturbations,
        "edge_readings": list(P.EDGE_READINGS),
        "attacks": cfg.attacks,
        "n_examples": cfg.n_examples,
        "subset_seed": cfg.seed,
        "repeats": cfg.repeats,
        "seed": cfg.seed,
    }


def _changed_cell(cell: dict[str, Any]) -> pd.DataFrame:
    sub = C.subset(cell["dataset"], cell["split"], cell["n_examples"], cell["subset_seed"])
    x = sub.x.numpy()
    rows = []
    for pert in cell["perturbations"]:
        readings = cell["edge_readings"] if pert == "edge_to_altered" else ["once"]
        for reading in readings:
            for r in range(cell["repeats"]):
                for k in cell["attacks"]:
                    atk = _perturbation(pert, k, cell["seed"] + r, reading)
                    atk.generate(x)
                    rows.append(
                        {
                            "perturbation": pert,
                            "edge_reading": reading if pert == "edge_to_altered" else None,
                            "k": k,
                            "repeat": r,
                            "mean_changed": float(atk.n_changed.mean()),
                            "median_changed": float(np.median(atk.n_changed)),
                            "median_eligible": float(np.median(atk.n_eligible)),
                            "n_examples": len(x),
                        }
                    )
    return pd.DataFrame(rows)


def run_pixels_changed(cfg: PixelNoiseConfig, progress: bool = True) -> pd.DataFrame:
    """The pixels actually changed per perturbation and k (model-free; one cell)."""
    store = ResultStore(cfg.profile, CHAPTER)
    df = store.cells(
        [changed_cell_config(cfg)], _changed_cell, desc="pixels changed", progress=progress
    )
    store.table()
    return df


def changed_summary(changed: pd.DataFrame) -> dict[str, float]:
    """At the largest k: the mean pixels Edge->Altered changes under each reading, and the
    median digit's number of edge pixels (the numbers the chapter's prose glues)."""
    e = changed[changed["perturbation"] == "edge_to_altered"]
    if e.empty:
        return {}
    kmax = int(e["k"].max())
    at = e[e["k"] == kmax].groupby("edge_reading")["mean_changed"].mean()
    return {
        "kmax": kmax,
        **{f"changed_{r}": float(v) for r, v in at.items()},
        "median_edges": float(e["median_eligible"].iloc[0]),
    }


def curve_means(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over repeats of the accuracy at every (model, perturbation, k)."""
    g = df.groupby(["model", "label", "perturbation", "k"], sort=False)["accuracy"]
    return g.agg(mean="mean", lo="min", hi="max", repeats="count").reset_index()


def table1(df: pd.DataFrame, paper: dict | None = None, ks=TABLE1_K) -> pd.DataFrame:
    """Accuracy (%) at the Table 1 numbers of attacks, ours beside the paper's where known.

    ``paper`` maps ``(label, perturbation abbreviation, k)`` to the paper's accuracy (%).
    """
    paper = paper or {}
    m = curve_means(df)
    rows = []
    for (label, pert), g in m.groupby(["label", "perturbation"], sort=False):
        ab = PERTURBATIONS[pert]
        row: dict[str, Any] = {"model": label, "perturbation": ab}
        at = dict(zip(g["k"], g["mean"], strict=True))
        for k in ks:
            row[f"k={k}"] = round(100 * at[k], 1) if k in at else np.nan
            p = paper.get((label, ab, k))
            row[f"paper k={k}"] = p if p is not None else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.dropna(axis=1, how="all")


def resilience(df: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
    """Per model and perturbation: accuracy at ``k`` (default: the largest k), the mean
    accuracy over every k > 0 (the area under the curve, normalised), and both relative to
    the clean accuracy."""
    m = curve_means(df)
    kmax = int(m["k"].max()) if k is None else k
    rows = []
    for (model, label, pert), g in m.groupby(["model", "label", "perturbation"], sort=False):
        clean = float(g.loc[g["k"] == 0, "mean"].iloc[0])
        at = float(g.loc[g["k"] == kmax, "mean"].iloc[0])
        area = float(g.loc[g["k"] > 0, "mean"].mean())
        rows.append(
            {
                "model": model,
                "label": label,
                "perturbation": pert,
                "clean": clean,
                "at_kmax": at,
                "kmax": kmax,
                "area": area,
                "rel_at_kmax": at / clean if clean else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- depth
def depth_summary(df: pd.DataFrame, depth: list[str]) -> pd.DataFrame:
    """ResNet depth study: per model (in depth order), the clean accuracy and the accuracy
    at the largest k, averaged over the perturbations."""
    res = resilience(df[df["model"].isin(depth)])
    depth_of = {n: int(Z.ZOO.get(n).arch.removeprefix("m56_resnet")) for n in depth}
    g = res.groupby(["model", "label"], sort=False).agg(
        clean=("clean", "first"), mean_at_kmax=("at_kmax", "mean"), mean_area=("area", "mean")
    )
    g = g.reset_index()
    g["depth"] = g["model"].map(depth_of)
    return g.sort_values("depth").reset_index(drop=True)


# --------------------------------------------------------------------------- Table 2
def compare_cell_configs(cfg: PixelNoiseConfig) -> list[dict]:
    params = {
        "deepfool": {"max_iter": cfg.deepfool_max_iter, "overshoot": 0.02, "nb_grads": 10},
        "boundary": {
            "max_iter": cfg.boundary_max_iter,
            "num_trial": cfg.boundary_num_trial,
            "sample_size": cfg.boundary_sample_size,
            "init_size": 100,
            "delta": 0.01,
            "epsilon": 0.01,
        },
        "pointwise": {
            "max_queries": cfg.pointwise_max_queries,
            "init": "salt_and_pepper",
            "init_steps": 100,
            "init_repetitions": 10,
        },
    }
    out = []
    for name in cfg.compare_models:
        sha = Z.checkpoint_sha(name, cfg.profile)
        for atk in cfg.compare_attacks:
            out.append(
                {
                    "model": name,
                    "checkpoint_sha256": sha,
                    "dataset": DATASET,
                    "split": "test",
                    "attack": atk,
                    "params": params[atk],
                    "n_examples": cfg.n_examples,
                    "compare_n_examples": cfg.compare_n_examples,
                    "subset_seed": cfg.seed,
                    "seed": cfg.seed,
                }
            )
    return out


class _QueryCounter:
    """Counts the images an estimator's ``predict`` sees. It also hands the model float32:
    ART's BoundaryAttack proposes float64 candidates, which the float32 network refuses."""

    def __init__(self, est):
        self.est, self.n = est, 0
        self._predict = est.predict

        def predict(x, *a, **k):
            self.n += len(x)
            return self._predict(np.asarray(x, dtype=np.float32), *a, **k)

        est.predict = predict


def _compare_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm = C.zoo_model(cell["model"], profile)
    sub = C.subset(cell["dataset"], cell["split"], cell["n_examples"], cell["subset_seed"])
    n = cell["compare_n_examples"]
    x, y = sub.x[:n].numpy(), sub.y[:n].numpy()
    est = E.classifier_for(zm, batch_size)
    pred0 = est.predict(x, batch_size=batch_size).argmax(1)
    ok = pred0 == y  # only correctly classified images are attacked
    counter = _QueryCounter(est)
    p = cell["params"]
    np.random.seed(cell["seed"])  # ART draws its random numbers from numpy's global state
    t0 = time.perf_counter()
    xa = x[ok]
    if not len(xa):
        adv = xa
    elif cell["attack"] == "deepfool":
        atk = A.create(
            "art_deepfool",
            est,
            max_iter=p["max_iter"],
            overshoot=p["overshoot"],
            nb_grads=p["nb_grads"],
            batch_size=min(batch_size, len(xa)),
        )
        adv = atk.generate(xa)
    elif cell["attack"] == "boundary":
        atk = A.create(
            "boundary",
            est,
            delta=p["delta"],
            epsilon=p["epsilon"],
            max_iter=p["max_iter"],
            num_trial=p["num_trial"],
            sample_size=p["sample_size"],
            init_size=p["init_size"],
            seed=cell["seed"],
            batch_size=batch_size,
        )
        adv = atk.generate(xa, y[ok])
    else:
        atk = A.create(
            "pointwise",
            est,
            init=p["init"],
            init_steps=p["init_steps"],
            init_repetitions=p["init_repetitions"],
            max_queries=p["max_queries"],
            seed=cell["seed"],
            batch_size=batch_size,
        )
        adv = atk.generate(xa, y[ok])
    seconds = time.perf_counter() - t0
    queries = counter.n
    pred = est.predict(adv, batch_size=batch_size).argmax(1) if len(xa) else np.zeros(0)
    fooled = pred != y[ok]
    changed = P.changed_pixels(xa, adv, atol=CHANGE_ATOL) if len(xa) else np.zeros(0)
    l2 = np.sqrt(((adv - xa).reshape(len(xa), -1) ** 2).sum(1)) if len(xa) else np.zeros(0)
    rows = []
    for i in range(len(xa)):
        rows.append(
            {
                "model": cell["model"],
                "label": model_label(cell["model"]),
                "attack": cell["attack"],
                "image": int(np.flatnonzero(ok)[i]),
                "success": bool(fooled[i]),
                "changed_pixels": int(changed[i]),
                "l2": float(l2[i]),
                "n_attacked": int(ok.sum()),
                "n_examples": n,
                "queries_per_image": queries / max(1, int(ok.sum())),
                "attack_seconds": seconds,
            }
        )
    if not rows:
        rows.append({"model": cell["model"], "attack": cell["attack"], "n_attacked": 0})
    return pd.DataFrame(rows)


def run_attack_comparison(cfg: PixelNoiseConfig, progress: bool = True) -> pd.DataFrame:
    """Table 2: DeepFool, BoundaryAttack and Pointwise on the comparison models."""
    Z.train_missing(cfg.compare_models, cfg.profile, progress=progress)  # ahead of the cells
    store = ResultStore(cfg.profile, CHAPTER)
    return store.cells(
        compare_cell_configs(cfg),
        lambda c: _compare_cell(c, cfg.profile, cfg.batch_size),
        desc="comparison cells (model x attack)",
        progress=progress,
    )


ATTACK_NAMES = {"deepfool": "DeepFool", "boundary": "Boundary", "pointwise": "Pointwise"}


def table2(cmp: pd.DataFrame, noise: pd.DataFrame) -> pd.DataFrame:
    """Per model and attack: success rate (of the correctly classified images attacked) and
    the pixels of the 28×28 grid changed by the successful adversarials (median and mean),
    beside the model-agnostic perturbations at the largest k, whose "success" is the
    fraction of the clean accuracy they remove (1 - accuracy / clean accuracy)."""
    rows = []
    for (label, attack), g in cmp.groupby(["label", "attack"], sort=False):
        s = g[g["success"]]
        rows.append(
            {
                "model": label,
                "attack": ATTACK_NAMES[attack],
                "images attacked": int(g["n_attacked"].iloc[0]),
                "success (%)": round(100 * g["success"].mean(), 1),
                "median changed pixels": float(s["changed_pixels"].median()) if len(s) else np.nan,
                "mean changed pixels": round(float(s["changed_pixels"].mean()), 1)
                if len(s)
                else np.nan,
                "mean L2": round(float(s["l2"].mean()), 2) if len(s) else np.nan,
                "predictions per image": round(float(g["queries_per_image"].iloc[0])),
            }
        )
    res = resilience(noise)
    at_kmax = noise[noise["k"] == res["kmax"].iloc[0]]
    mc = at_kmax.groupby(["model", "perturbation"])["mean_changed"].mean()
    for r in res.itertuples():
        if r.label not in set(cmp["label"]):
            continue
        rows.append(
            {
                "model": r.label,
                "attack": f"{PERTURBATIONS[r.perturbation]}, k={r.kmax} (model-agnostic)",
                "images attacked": int(noise["n_examples"].iloc[0]),
                "success (%)": round(100 * (1 - r.rel_at_kmax), 1),
                "median changed pixels": np.nan,  # per-image counts are not stored
                "mean changed pixels": round(float(mc[(r.model, r.perturbation)]), 1),
                "mean L2": np.nan,
                "predictions per image": 0,
            }
        )
    return pd.DataFrame(rows).sort_values("model", kind="stable").reset_index(drop=True)


def example_images(perturbations: list[str], k: int, profile: str, seed: int = 0, index: int = 0):
    """One test digit (56×56) and its perturbed copies with ``k`` attacks (model-free). The
    digit is stored with the results, so the figure needs no dataset when rebuilt."""

    def load() -> D.Split:
        sub = D.load_subset(DATASET, "test", 1 + index, seed)
        return D.Split(
            sub.x[index : index + 1],
            sub.y[index : index + 1],
            sub.spec,
            "test",
            None if sub.indices is None else sub.indices[index : index + 1],
        )

    config = {"dataset": DATASET, "split": "test", "subset_seed": seed, "position": index}
    x = C.stored_image(profile, config, load).x.numpy()
    out = {"clean": x[0, 0]}
    for p in perturbations:
        out[PERTURBATIONS[p]] = A.create(p, None, k=k, seed=seed).generate(x)[0, 0]
    return out


def adaptation(name: str) -> str:
    """How the zoo model's architecture definition was adapted to 1×56×56 and 10 classes."""

    return ADAPTATIONS[Z.ZOO.get(name).arch]


def missing_models(cfg: PixelNoiseConfig) -> list[str]:
    """The paper's models (main comparison and depth study) this configuration leaves out."""
    paper_models = dict.fromkeys(f"{a}-vanilla" for a in Z.M56_MAIN + Z.M56_DEPTH)
    return [model_label(n) for n in paper_models if n not in cfg.all_models]
