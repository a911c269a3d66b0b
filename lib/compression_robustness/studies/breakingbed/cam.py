"""Class activation maps (Zhou et al. 2016) and BreakingBED's Table 3.

**CAM.** For a network that ends in global average pooling and one linear layer, the class
activation map of class ``c`` is ``M_c(i, j) = sum_k w_{c,k} f_k(i, j)``, where ``f_k`` are the
last convolutional feature maps and ``w_c`` the fc weights of ``c`` (the predicted class by
default, or a requested one). As in the authors' code, ``M_c`` is min-max normalised to
0-255 at the feature-map resolution (``255 (M - min M) / (max M - min M)``; an all-constant
map becomes 0) and then upsampled bilinearly to the input size (``align_corners=False``).
The zoo's CIFAR ResNets expose ``features()``; for binarised models it runs the true binary
forward (the surrogate is off unless a caller switches it on).

**Q3.** BreakingBED quantifies a map by the third quartile of its intensity over all
pixels: :func:`q3` is the 75th percentile (linear interpolation between order statistics,
numpy's default) of the upsampled 0-255 map, computed in float before any rounding; the
uint8 maps stored for display differ from it by less than one grey level. A small Q3 means
a small, concentrated region of interest.

**Chapter cells.** One cell per zoo model (keyed by its checkpoint sha256): the grid image
(the ``rank``-th test image of class ``image_class``, clean and after each DeepFool
iteration count, with uint8 heat maps) and, separately, the Q3 distribution over a fixed
seeded subset of test images. Adding a model later computes only its cells. DeepFool's
adversarial images are not stored (they are derived from the dataset); the figure overlays
the clean image, from which they differ imperceptibly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.models import Normalize
from compression_robustness.runtime import estimator as E
from compression_robustness.studies.paper import BREAKINGBED_CAM_Q3


# --------------------------------------------------------------------------- CAM itself
@torch.no_grad()
def class_activation_map(
    model: nn.Module,
    x: torch.Tensor,
    normalize: nn.Module | None = None,
    class_idx: torch.Tensor | int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(cam, pred, raw)`` for a batch ``x`` in [0, 1] (``normalize`` is applied first).

    ``cam``: (N, H, W) float in [0, 255] at the input size; ``pred``: (N,) predicted classes;
    ``raw``: (N, h, w) the un-normalised map at the feature resolution. The map is of
    ``class_idx`` (an int or one class per image) or, when ``None``, of the prediction.
    The maps are computed on the model's device (an estimator may have moved it to a GPU)
    and returned on ``x``'s.
    """
    model.eval()
    home, dev = x.device, next(model.parameters()).device
    x = x.to(dev)
    if normalize is not None:
        normalize = normalize.to(dev)
    xin = normalize(x) if normalize is not None else x
    feats = model.features(xin)  # (N, K, h, w)
    logits = model.fc(torch.flatten(model.pool(feats), 1))
    pred = logits.argmax(1)
    if class_idx is None:
        cls = pred
    else:
        cls = torch.as_tensor(class_idx, dtype=torch.long, device=dev).expand(len(x)).clone()
    w = model.fc.weight[cls]  # (N, K)
    raw = torch.einsum("nk,nkhw->nhw", w, feats)
    lo = raw.flatten(1).amin(1).view(-1, 1, 1)
    span = raw.flatten(1).amax(1).view(-1, 1, 1) - lo
    norm = torch.where(span > 0, (raw - lo) / span.clamp_min(1e-30), torch.zeros_like(raw)) * 255
    cam = F.interpolate(norm[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)
    return cam[:, 0].to(home), pred.to(home), raw.to(home)


def q3(cam: torch.Tensor) -> torch.Tensor:
    """Per image, the third quartile (75th percentile) of a 0-255 map over all pixels."""
    return torch.quantile(cam.flatten(1).double(), 0.75, dim=1).float()


def to_uint8(cam: torch.Tensor) -> np.ndarray:
    """The 0-255 maps rounded to uint8 (for storage and display)."""
    return cam.round().clamp(0, 255).to(torch.uint8).numpy()


# --------------------------------------------------------------------------- config
def has_checkpoint(name: str, profile: str) -> bool:
    """Whether ``name`` has a checkpoint manifest in ``profile``, without training anything.

    A recipe holds its parent's and teacher's checkpoint sha256, and resolving a missing one
    trains it, so those are checked first (recursively).
    """
    entry = Z.ZOO.get(name)
    for dep in (entry.parent, entry.teacher):
        if dep and not has_checkpoint(dep, profile):
            return False
    return Z.checkpoint_paths(name, profile).has_manifest()


@dataclass(frozen=True)
class CamConfig:
    profile: str
    dataset: str
    models: list[str]
    image_class: str
    image_rank: int
    deepfool_iters: list[int]
    n_images: int
    seed: int
    batch_size: int

    @property
    def rows(self) -> list[int]:
        return [0, *self.deepfool_iters]


#: the chapter's numeric parameters (the notebook's parameters cell holds the defaults)
PARAMS = {
    "image_rank": Param(int, "which test image of the class, in test-set order", min=0),
    "deepfool_iters": Param(
        list, "DeepFool iteration counts of the grid rows", min=1, each=int, nonempty=True
    ),
    "n_images": Param(int, "test images of the Q3 distribution view", min=1),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


def validate_cam(
    profile: str,
    models: list[str],
    image_class: str,
    image_rank: int,
    deepfool_iters: list[int],
    n_images: int,
    seed: int,
    batch_size: int,
    dataset: str = "cifar10",
) -> CamConfig:
    """Check the CAM chapter's parameters before any compute.

    ``models`` = [] means every zoo model of ``dataset`` the profile trains. In the ``cpu``
    profile this chapter never trains: every model must have a committed checkpoint
    manifest (results are keyed by it), else a :class:`ConfigError` names the model.
    """
    check_profile(profile)
    spec = D.spec(dataset)
    names = list(models) or [
        n for n in Z.default_models(profile) if Z.ZOO.get(n).dataset == dataset
    ]
    for n in names:
        Z.ZOO.check(n)
        if Z.ZOO.get(n).dataset != dataset:
            raise ConfigError(f"parameter `models`: {n!r} is not a {dataset} model")
        if profile == "cpu" and not has_checkpoint(n, profile):
            raise ConfigError(
                f"parameter `models`: {n!r} has no checkpoint in profile 'cpu' "
                "(the cam chapter never trains a model in the cpu profile); train it with "
                "`make models PROFILE=cpu` or leave it out"
            )
    if image_class not in spec.classes:
        raise ConfigError(
            f"parameter `image_class` must be a {dataset} class, got {image_class!r}; "
            f"valid: {', '.join(spec.classes)}"
        )
    check_params(PARAMS, locals())
    D.check_subset_size("n_images", n_images, dataset)
    return CamConfig(
        profile,
        dataset,
        names,
        image_class,
        image_rank,
        sorted({int(i) for i in deepfool_iters}),
        n_images,
        seed,
        batch_size,
    )


def describe(cfg: CamConfig) -> pd.DataFrame:
    d = asdict(cfg)
    return pd.DataFrame({"parameter": list(d), "value": [str(v) for v in d.values()]})


def grid_image(dataset: str, image_class: str, rank: int, profile: str | None = None) -> D.Split:
    """The ``rank``-th test image (in test-set order) of ``image_class``, as a 1-image split.
    With ``profile`` it is stored with that profile's results (the book's figure then needs
    no dataset when rebuilt)."""

    def load() -> D.Split:
        full = D.load(dataset, "test")
        label = D.spec(dataset).classes.index(image_class)
        idx = (full.y == label).nonzero().squeeze(1)
        if rank >= len(idx):
            raise ConfigError(f"parameter `image_rank`: only {len(idx)} {image_class} images")
        i = idx[rank : rank + 1]
        return D.Split(full.x[i], full.y[i], full.spec, "test", i.numpy())

    if profile is None:
        return load()
    config = {"dataset": dataset, "split": "test", "image_class": image_class, "rank": rank}
    return C.stored_image(profile, config, load)


# --------------------------------------------------------------------------- cells
def _load(name: str, profile: str) -> Z.ZooModel:
    # the cpu profile never trains here (validate_cam checked the manifests)
    return C.zoo_model(name, profile, train_if_missing=profile != "cpu")


def cam_rows(zm: Z.ZooModel, x: torch.Tensor, y: torch.Tensor, rows: list[int], batch_size: int):
    """Per image and DeepFool iteration count (0 = clean): predictions, Q3 and the maps."""
    est = E.classifier_for(zm, batch_size)
    norm = Normalize(zm.spec.mean, zm.spec.std)
    out = []
    for it in rows:
        if it == 0:
            xa = x
        else:
            atk = A.create("deepfool", est, max_iter=it, batch_size=batch_size)
            xa = torch.from_numpy(atk.generate(x.numpy(), y.numpy()))
        cams, preds = [], []
        for s in range(0, len(x), batch_size):
            c, p, _ = class_activation_map(zm.model, xa[s : s + batch_size], norm)
            cams.append(c)
            preds.append(p)
        out.append((it, torch.cat(cams), torch.cat(preds), (xa - x).flatten(1).norm(dim=1)))
    return out


def _model_cols(name: str) -> dict[str, str]:
    entry = Z.ZOO.get(name)
    return {"model": name, "arch": entry.arch, "variant": entry.variant, "family": entry.family}


def _grid_cell(cell: dict[str, Any], cfg: CamConfig) -> pd.DataFrame:
    zm = _load(cell["model"], cfg.profile)
    img = grid_image(cfg.dataset, cfg.image_class, cfg.image_rank)
    classes = zm.spec.classes
    rows = []
    for it, cam, pred, l2 in cam_rows(zm, img.x, img.y, cfg.rows, cfg.batch_size):
        heat = to_uint8(cam)[0]
        rows.append(
            {
                **_model_cols(cell["model"]),
                "iterations": it,
                "image_index": int(img.indices[0]),
                "label": int(img.y[0]),
                "pred": int(pred[0]),
                "pred_class": classes[int(pred[0])],
                "q3": float(q3(cam)[0]),
                "l2": float(l2[0]),
                "heat": heat.tobytes(),
                "heat_shape": list(heat.shape),
            }
        )
    return pd.DataFrame(rows)


def _dist_cell(cell: dict[str, Any], cfg: CamConfig) -> pd.DataFrame:
    zm = _load(cell["model"], cfg.profile)
    sub = D.load_subset(cfg.dataset, "test", cfg.n_images, cfg.seed)
    frames = []
    for it, cam, pred, l2 in cam_rows(zm, sub.x, sub.y, cfg.rows, cfg.batch_size):
        frames.append(
            pd.DataFrame(
                {
                    **_model_cols(cell["model"]),
                    "iterations": it,
                    "image_index": sub.indices,
                    "label": sub.y.numpy(),
                    "pred": pred.numpy(),
                    "q3": q3(cam).numpy(),
                    "l2": l2.numpy(),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df["correct"] = df["pred"] == df["label"]
    return df


def cell_configs(cfg: CamConfig, view: str) -> list[dict[str, Any]]:
    out = []
    for name in cfg.models:
        base = {
            "model": name,
            "checkpoint_sha256": Z.checkpoint_sha(name, cfg.profile),
            "dataset": cfg.dataset,
            "attack": "deepfool",
            "deepfool_rows": cfg.rows,
            "cam": "zhou2016-minmax-then-bilinear",
            "view": view,
        }
        if view == "grid":
            base.update({"image_class": cfg.image_class, "image_rank": cfg.image_rank})
        else:
            base.update({"n_examples": cfg.n_images, "subset_seed": cfg.seed})
        out.append(base)
    return out


def run_cam(cfg: CamConfig, progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(grid rows with heat maps, Q3 distribution rows): one cell per model and view."""
    Z.train_missing(cfg.models, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, "cam")
    grid = store.cells(
        cell_configs(cfg, "grid"), lambda c: _grid_cell(c, cfg), "CAM grid", progress
    )
    dist = store.cells(
        cell_configs(cfg, "distribution"), lambda c: _dist_cell(c, cfg), "CAM Q3", progress
    )
    store.table()
    return grid, dist


def heat_array(row) -> np.ndarray:
    """The uint8 heat map stored in a grid row."""
    return np.frombuffer(row["heat"], dtype=np.uint8).reshape(tuple(row["heat_shape"]))


# --------------------------------------------------------------------------- tables
def q3_table(grid: pd.DataFrame) -> pd.DataFrame:
    """Q3 per model (rows) and DeepFool iteration (columns), with the paper's values of
    the same variant (BreakingBED Table 3, ResNet56) beside them."""

    t = grid.pivot_table(index="model", columns="iterations", values="q3", sort=False)
    t.columns = ["Q3 clean" if i == 0 else f"Q3 DeepFool i={i}" for i in t.columns]
    t = t.round(1)
    variants = grid.drop_duplicates("model").set_index("model")["variant"]
    for i in sorted(grid["iterations"].unique()):
        col = "paper (ResNet56) clean" if i == 0 else f"paper (ResNet56) i={i}"
        t[col] = [BREAKINGBED_CAM_Q3.get(variants[m], {}).get(int(i), np.nan) for m in t.index]
    preds = grid.pivot_table(
        index="model", columns="iterations", values="pred_class", aggfunc="first"
    )
    t["predictions"] = [" / ".join(preds.loc[m]) for m in t.index]
    return t


def q3_summary(dist: pd.DataFrame) -> pd.DataFrame:
    """Median Q3 per model and iteration over the image subset, with accuracy."""
    g = dist.groupby(["model", "family", "iterations"], sort=False)
    return g.agg(median_q3=("q3", "median"), accuracy=("correct", "mean")).reset_index()
