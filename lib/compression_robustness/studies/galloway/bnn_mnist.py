"""Galloway et al. (ICLR 2018), "Attacking Binarized Neural Networks": zoo hooks and the
``bnn_mnist`` chapter's cells.

Model names: ``galloway-<kind><K>[-seed<s>]`` (kinds a, b, c, s of
:mod:`compression_robustness.models.mnist`), and the adversarially trained
``galloway-<kind><K>-fgsmadv`` (the paper's "+": FGSM adversarial training,
Goodfellow et al.) and ``galloway-<kind><K>-pgdadv`` (the paper's "+*": PGD adversarial
training, Madry et al.), fine-tuned from the seed-0 model.

Cells:

* ``fgsm``: FGSM accuracy at each ε ([0, 1] units) per model and seed; for the stochastic
  model also with expectation over transformation (EoT: the attack's gradient is the
  average over ``eot_samples`` forward/backward passes, each with new weight samples);
* ``cw``: Carlini & Wagner L2 (fixed constant ``c``, no binary search): accuracy and the
  mean L2 distance of the successful examples;
* ``blackbox``: Papernot et al.'s substitute, trained on the target's labels with Jacobian
  augmentation, crafts FGSM examples that are evaluated on the target (prediction only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.attacks import transfer as T
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    check_choices,
    check_number,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Unit
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.models import build_arch
from compression_robustness.models.mnist import GALLOWAY_KINDS, GALLOWAY_WIDTHS
from compression_robustness.runtime import estimator as E
from compression_robustness.runtime.estimator import eot_classifier
from compression_robustness.studies.paper import reference_table

SEEDS = (0, 1, 2)
ADV_SUFFIX = {"fgsmadv": "+", "pgdadv": "+*"}


def label(name: str) -> str:
    """The paper's label of a zoo model: ``galloway-a64-pgdadv`` -> ``A64+*``."""
    parts = name.split("-")
    base = parts[1][0].upper() + parts[1][1:]
    suffix = "".join(ADV_SUFFIX.get(p, "") for p in parts[2:])
    return base + suffix


def model_columns(name: str) -> dict[str, Any]:
    parts = name.split("-")
    seed = next((int(p[4:]) for p in parts if p.startswith("seed")), 0)
    adv = next((p for p in parts if p in ADV_SUFFIX), "none")
    return {
        "model": name,
        "label": label(name),
        "kind": parts[1][0],
        "k": int(parts[1][1:]),
        "model_seed": seed,
        "adversarial_training": adv,
    }


# --------------------------------------------------------------------------- chapter
@dataclass(frozen=True)
class BNNConfig:
    profile: str
    kinds: list[str]
    widths: list[int]
    exclude: list[str]  # "<kind><K>" pairs left out
    seeds: dict[int, int]  # width -> number of seeds
    fgsm_eps: list[float]
    adv_models: list[str]
    cw_models: list[str]
    cw_c: float
    cw_iter: int
    cw_binary_search_steps: int
    cw_abort_early: int
    eot_samples: int
    blackbox_targets: list[str]
    sub_seed_images: int
    sub_rounds: int
    sub_epochs: int
    n_examples: int | None
    n_cw: int | None
    seed: int
    batch_size: int

    def fgsm_models(self) -> list[str]:
        out = []
        for kind in self.kinds:
            for k in self.widths:
                if f"{kind}{k}" in self.exclude:
                    continue
                for s in range(self.seeds.get(k, 1)):
                    out.append(f"galloway-{kind}{k}" + (f"-seed{s}" if s else ""))
        return out + self.adv_models


def _check_names(param: str, names: list[str]) -> list[str]:

    for n in names:
        if n not in Z.ZOO or not n.startswith("galloway-"):
            valid = [m for m in Z.ZOO.names() if m.startswith("galloway-")]
            raise ConfigError(
                f"parameter `{param}` has unknown model {n!r}; valid: {', '.join(valid)}"
            )
    return list(names)


#: the chapter's numeric parameters (the notebook's parameters cell holds the defaults)
PARAMS = {
    "widths": Param(list, "K, filters in the first layer", each=int, choices=GALLOWAY_WIDTHS),
    "fgsm_eps": Param(
        list,
        "FGSM eps",
        Unit.UNIT_INTERVAL,
        min=0,
        strict_min=True,
        max=1,
        each=float,
        nonempty=True,
    ),  # fmt: skip
    "cw_c": Param(float, "C&W L2 trade-off constant", min=0, strict_min=True),
    "cw_iter": Param(int, "C&W Adam iterations per constant", min=1),
    "cw_binary_search_steps": Param(
        int, "C&W constants tried per example (binary search from cw_c; 1: fixed)", min=1
    ),
    "cw_abort_early": Param(int, "C&W early-abort check interval in iterations (0: off)", min=0),
    "eot_samples": Param(int, "gradient samples per EoT step", min=1),
    "sub_seed_images": Param(int, "the substitute's initial images", min=10),
    "sub_rounds": Param(int, "Jacobian augmentation rounds", min=1),
    "sub_epochs": Param(int, "substitute training epochs per round", min=1),
    "n_examples": Param(
        int, "MNIST test images for FGSM and black-box; None: all", min=1, nullable=True
    ),
    "n_cw": Param(int, "MNIST test images for C&W; None: all", min=1, nullable=True),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


def validate_bnn(
    profile: str,
    kinds: list,
    widths: list,
    exclude: list,
    seeds: dict,
    fgsm_eps: list,
    adv_models: list,
    cw_models: list,
    cw_c: float,
    cw_iter: int,
    cw_binary_search_steps: int,
    cw_abort_early: int,
    eot_samples: int,
    blackbox_targets: list,
    sub_seed_images: int,
    sub_rounds: int,
    sub_epochs: int,
    n_examples: int | None,
    n_cw: int | None,
    seed: int,
    batch_size: int,
) -> BNNConfig:
    """Check the chapter's parameters (a :class:`ConfigError` naming the bad one)."""
    check_profile(profile)
    check_params(PARAMS, locals())
    kinds = check_choices("kinds", kinds, GALLOWAY_KINDS)
    valid_pairs = [f"{a}{k}" for a in GALLOWAY_KINDS for k in GALLOWAY_WIDTHS]
    bad = [e for e in exclude if e not in valid_pairs]
    if bad:
        raise ConfigError(f"parameter `exclude` has unknown pair(s) {bad}; e.g. c256, s256")
    seeds = {int(k): int(v) for k, v in (seeds or {}).items()}
    for v in seeds.values():
        check_number("seeds", v, min=1, max=len(SEEDS), integer=True)
    adv_models = _check_names("adv_models", adv_models)
    cw_models = _check_names("cw_models", cw_models)
    blackbox_targets = _check_names("blackbox_targets", blackbox_targets)
    for name, n in (("n_examples", n_examples), ("n_cw", n_cw)):
        D.check_subset_size(name, n, "mnist")
    return BNNConfig(
        profile,
        kinds,
        [int(k) for k in widths],
        list(exclude),
        seeds,
        [float(e) for e in fgsm_eps],
        adv_models,
        cw_models,
        float(cw_c),
        cw_iter,
        cw_binary_search_steps,
        cw_abort_early,
        eot_samples,
        blackbox_targets,
        sub_seed_images,
        sub_rounds,
        sub_epochs,
        n_examples,
        n_cw,
        seed,
        batch_size,
    )


def _sha(name: str, profile: str) -> str:

    return Z.checkpoint_sha(name, profile)


def fgsm_cells(cfg: BNNConfig, only: set[str] | None = None) -> list[dict[str, Any]]:
    """FGSM cells (``only``: restrict to these models, e.g. those already trained)."""
    out = []
    for m in cfg.fgsm_models():
        if only is not None and m not in only:
            continue
        mc = model_columns(m)
        # EoT multiplies the attack's cost by eot_samples: the narrowest S model only
        eot = mc["kind"] == "s" and mc["k"] == min(cfg.widths)
        variants = ["plain", "eot"] if eot else ["plain"]
        for v in variants:
            out.append(
                {
                    "kind": "fgsm",
                    "model": m,
                    "sha256": _sha(m, cfg.profile),
                    "attack": "fgsm" if v == "plain" else "fgsm_eot",
                    "eot_samples": cfg.eot_samples if v == "eot" else 1,
                    "eps_list": cfg.fgsm_eps,
                    "n_examples": cfg.n_examples,
                    "subset_seed": cfg.seed,
                }
            )
    return out


def _estimator(name: str, profile: str, batch_size: int, eot_samples: int = 1):
    zm = C.zoo_model(name, profile)
    if eot_samples > 1:
        return eot_classifier(zm.model, zm.spec, eot_samples, batch_size)
    return E.classifier_for(zm, batch_size)


def fgsm_accuracy(est, x: torch.Tensor, y: torch.Tensor, eps: float, batch_size: int) -> float:
    """Accuracy under FGSM with ε in [0, 1] units (one signed-gradient step)."""
    atk = A.create("ifgsm", est, step=eps, max_iter=1, batch_size=batch_size)
    atk.generate(x.numpy(), y.numpy())
    return float(atk.record["accuracy"].iloc[-1])


def _fgsm_cell(cell: dict[str, Any], cfg: BNNConfig) -> pd.DataFrame:
    torch.manual_seed(cfg.seed)  # the stochastic model samples from the global generator
    sub = C.subset("mnist", "test", cell["n_examples"], cell["subset_seed"])
    est = _estimator(cell["model"], cfg.profile, cfg.batch_size, cell["eot_samples"])
    clean = float((T.predict_labels(est, sub.x, cfg.batch_size) == sub.y).float().mean())
    rows = [
        {
            **model_columns(cell["model"]),
            "attack": cell["attack"],
            "eps": e,
            "eps_unit": Unit.UNIT_INTERVAL.value,
            "accuracy": fgsm_accuracy(est, sub.x, sub.y, e, cfg.batch_size),
            "clean_accuracy": clean,
            "test_accuracy": C.zoo_model(cell["model"], cfg.profile).accuracy,
            "n_examples": len(sub.y),
        }
        for e in cell["eps_list"]
    ]
    return pd.DataFrame(rows)


def cw_cells(cfg: BNNConfig, only: set[str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "kind": "cw",
            "model": m,
            "sha256": _sha(m, cfg.profile),
            "attack": "cw_l2",
            "c": cfg.cw_c,
            "max_iter": cfg.cw_iter,
            "binary_search_steps": cfg.cw_binary_search_steps,
            "abort_early": cfg.cw_abort_early,
            **A.cell_version("cw_l2"),
            "n_examples": cfg.n_cw,
            "subset_seed": cfg.seed,
        }
        for m in cfg.cw_models
        if only is None or m in only
    ]


def _cw_cell(cell: dict[str, Any], cfg: BNNConfig) -> pd.DataFrame:
    torch.manual_seed(cfg.seed)
    sub = C.subset("mnist", "test", cell["n_examples"], cell["subset_seed"])
    est = _estimator(cell["model"], cfg.profile, cfg.batch_size)
    atk = A.create(
        "cw_l2",
        est,
        c=cell["c"],
        max_iter=cell["max_iter"],
        binary_search_steps=cell["binary_search_steps"],
        abort_early=cell["abort_early"],
        batch_size=cfg.batch_size,
    )
    atk.generate(sub.x.numpy(), sub.y.numpy())
    rec = atk.record.iloc[-1]
    return pd.DataFrame(
        [
            {
                **model_columns(cell["model"]),
                "attack": "cw_l2",
                "accuracy": float(rec["accuracy"]),
                "success_rate": float(rec["success_rate"]),
                "mean_l2": float(rec["mean_l2"]),
                "n_examples": len(sub.y),
            }
        ]
    )


def blackbox_cells(cfg: BNNConfig, only: set[str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "kind": "blackbox",
            "target": m,
            "sha256": _sha(m, cfg.profile),
            "substitute": "lenet5",
            "sub_seed_images": cfg.sub_seed_images,
            "sub_rounds": cfg.sub_rounds,
            "sub_epochs": cfg.sub_epochs,
            "sub_lambda": 0.1,
            "eps_list": cfg.fgsm_eps,
            "n_examples": cfg.n_examples,
            "subset_seed": cfg.seed,
        }
        for m in cfg.blackbox_targets
        if only is None or m in only
    ]


def _blackbox_cell(cell: dict[str, Any], cfg: BNNConfig) -> pd.DataFrame:

    torch.manual_seed(cfg.seed)
    spec = D.spec("mnist")
    sub = C.subset("mnist", "test", cell["n_examples"], cell["subset_seed"])
    # the substitute's seed images: test images outside the evaluation subset
    rest = np.setdiff1d(np.arange(10_000), sub.indices)
    pick = np.random.default_rng(cfg.seed).choice(rest, cell["sub_seed_images"], replace=False)
    x_seed = D.load("mnist", "test").x[torch.from_numpy(np.sort(pick))]
    target = _estimator(cell["target"], cfg.profile, cfg.batch_size)

    def oracle(x: torch.Tensor) -> torch.Tensor:  # labels only: black-box for the target
        return T.predict_labels(target, x, cfg.batch_size)

    net, info = T.train_substitute(
        oracle,
        x_seed,
        lambda: build_arch(cell["substitute"], 10, 1),
        spec,
        rounds=cell["sub_rounds"],
        epochs=cell["sub_epochs"],
        lam=cell["sub_lambda"],
        seed=cfg.seed,
    )
    sub_est = E.make_classifier(net[1], spec, cfg.batch_size)
    rows = []
    for e in cell["eps_list"]:
        # FGSM on the substitute, eps in [0, 1] units (one I-FGSM step)
        atk = A.create("ifgsm", sub_est, step=e, max_iter=1, batch_size=cfg.batch_size)
        x_adv = T.generate(atk, sub.x, sub.y)
        for r in T.transfer_rows(sub.x, sub.y, x_adv, {cell["target"]: target}, cfg.batch_size):
            r.update(
                {
                    **model_columns(cell["target"]),
                    "eps": e,
                    "substitute_clean_accuracy": T.accuracy_of(net, sub.x, sub.y),
                    "substitute_agreement": float(
                        (T.predict_labels(sub_est, sub.x) == oracle(sub.x)).float().mean()
                    ),
                    **info,
                }
            )
            rows.append(r)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- masking
#: An FGSM curve is *flat* (a sign of gradient masking) when the accuracy at the largest ε
#: keeps at least this share of the accuracy at the smallest ε; every unmasked cpu model
#: keeps less than a third.
FLAT_RATIO = 0.5


def gradient_cells(cfg: BNNConfig, only: set[str] | None = None) -> list[dict[str, Any]]:
    """One gradient-diagnostic cell per model of the FGSM tables."""
    return [
        {
            "kind": "gradients",
            "model": m,
            "sha256": _sha(m, cfg.profile),
            "n_examples": cfg.n_examples,
            "subset_seed": cfg.seed,
        }
        for m in cfg.fgsm_models()
        if only is None or m in only
    ]


def _gradient_cell(cell: dict[str, Any], cfg: BNNConfig) -> pd.DataFrame:
    """The share of test images whose loss gradient (wrt the input) is exactly zero, and the
    median logit range (largest minus smallest logit): a saturated softmax has both high."""
    torch.manual_seed(cfg.seed)
    sub = C.subset("mnist", "test", cell["n_examples"], cell["subset_seed"])
    est = _estimator(cell["model"], cfg.profile, cfg.batch_size)
    zero, spread = [], []
    for i in range(0, len(sub.y), cfg.batch_size):
        g, logits, _ = est.torch_loss_grad(
            sub.x[i : i + cfg.batch_size], sub.y[i : i + cfg.batch_size]
        )
        zero.append(g.flatten(1).abs().sum(1) == 0)
        spread.append(logits.max(1).values - logits.min(1).values)
    return pd.DataFrame(
        [
            {
                **model_columns(cell["model"]),
                "attack": "none",
                "zero_gradient_share": float(torch.cat(zero).float().mean()),
                "median_logit_range": float(torch.cat(spread).median()),
                "n_examples": len(sub.y),
            }
        ]
    )


def masking_table(fgsm: pd.DataFrame, grads: pd.DataFrame) -> pd.DataFrame:
    """Per model: FGSM accuracy at the smallest and largest ε (plain attack), whether the
    curve is flat (:data:`FLAT_RATIO`), the zero-gradient share and the logit range."""
    plain = fgsm[fgsm["attack"] == "fgsm"]
    lo, hi = plain["eps"].min(), plain["eps"].max()
    acc = plain.pivot_table(index="model", columns="eps", values="accuracy")
    g = grads.set_index("model")
    out = pd.DataFrame(
        {
            "model": g["label"] + g["model_seed"].map(lambda s: f" (seed {s})"),
            f"FGSM ε={lo:g} (%)": (100 * acc[lo]).round(1),
            f"FGSM ε={hi:g} (%)": (100 * acc[hi]).round(1),
            "flat": acc[hi] >= FLAT_RATIO * acc[lo],
            "zero gradient (%)": (100 * g["zero_gradient_share"]).round(1),
            "median logit range": g["median_logit_range"].round(1),
        }
    )
    return out.loc[g.index].reset_index(drop=True)


def run_bnn(
    cfg: BNNConfig, progress: bool = True, only: set[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Compute (or read back) every cell; returns ``{"fgsm", "cw", "blackbox",
    "gradients"}`` tables. ``only`` restricts the cells to these models (to compute while
    others still train)."""
    names = [*cfg.fgsm_models(), *cfg.cw_models, *cfg.blackbox_targets]
    names = [n for n in dict.fromkeys(names) if only is None or n in only]
    Z.train_missing(names, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, "bnn_mnist")
    out = {}
    for kind, cells, fn in (
        ("fgsm", fgsm_cells(cfg, only), _fgsm_cell),
        ("cw", cw_cells(cfg, only), _cw_cell),
        ("blackbox", blackbox_cells(cfg, only), _blackbox_cell),
        ("gradients", gradient_cells(cfg, only), _gradient_cell),
    ):
        out[kind] = store.cells(
            cells, lambda c, fn=fn: fn(c, cfg), desc=f"bnn_mnist {kind}", progress=progress
        )
    store.table()
    return out


def model_table(cfg: BNNConfig) -> pd.DataFrame:
    """Test accuracy, training images/epochs and time of every model, from the manifests."""

    names = list(
        dict.fromkeys(cfg.fgsm_models() + cfg.cw_models + cfg.blackbox_targets + cfg.adv_models)
    )
    rows = []
    for m in names:
        if not Z.checkpoint_paths(m, cfg.profile).has_manifest():
            Z.get(m, cfg.profile, progress=False)  # trains it (and its parent) once
        man = Z.checkpoint_manifest(m, cfg.profile)
        rows.append(
            {
                **model_columns(m),
                "test_accuracy": man["test_accuracy"],
                "n_train": man["n_train"],
                "epochs": man["recipe"]["epochs"],
                "train_seconds": man["train_seconds"],
                "weights_committed": man.get("weights_committed", True),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- summaries
def _series(row, with_k: bool = True) -> str:
    adv = {"fgsmadv": "+", "pgdadv": "+*"}.get(row["adversarial_training"], "")
    lab = row["kind"].upper() + (str(row["k"]) if with_k else "") + adv
    return lab + (" (EoT)" if row["attack"] == "fgsm_eot" else "")


def fgsm_series(fgsm: pd.DataFrame) -> pd.DataFrame:
    """FGSM rows labelled by ``series`` (kind, "+"/"+*", EoT; the plots' lines within a
    width) and ``label_full`` (with the width K; the tables' rows)."""
    df = fgsm.copy()
    df["series"] = [_series(r, with_k=False) for _, r in df.iterrows()]
    df["label_full"] = [_series(r) for _, r in df.iterrows()]
    return df


def _mean_std(g: pd.Series) -> str:
    v = 100 * g.to_numpy()
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f}" if len(v) > 1 else f"{v.mean():.1f}"


def _as_printed(r) -> str:
    """A transcribed value as the paper prints it: "mean ± std" where it gives a spread."""
    return f"{r.value:g}" + (f" ± {r.plus_minus:g}" if pd.notna(r.plus_minus) else "")


def paper_fgsm() -> dict[tuple[str, float], str]:
    """Galloway et al.'s FGSM accuracies (%, as printed), plain and after PGD adversarial
    training, keyed by (zoo model, ε), from ``data/reference/``."""
    out = {}
    for name in ("galloway_fgsm", "galloway_fgsm_pgdadv"):
        t = reference_table(name)
        for r in t[t["quantity"] == "adv_accuracy"].itertuples():
            out[(r.model, float(r.column.removeprefix("eps=")))] = _as_printed(r)
    return out


def paper_cw() -> dict[tuple[str, str], str]:
    """Galloway et al.'s C&W table (as printed): ``(zoo model, quantity) -> value``, with the
    quantities ``adv_accuracy`` (%) and ``mean_l2_distance`` ([0, 1] units)."""
    return {
        (r.model, r.quantity): _as_printed(r) for r in reference_table("galloway_cw").itertuples()
    }


def fgsm_tables(fgsm: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(plain models, adversarially trained models with their plain counterparts):
    accuracy (%) as "mean ± std over seeds" per ε, with the paper's value beside it where
    it has one, plus clean test accuracy and seeds."""
    df = fgsm_series(fgsm)
    paper = paper_fgsm()

    def table(d: pd.DataFrame) -> pd.DataFrame:
        t = d.pivot_table(index="label_full", columns="eps", values="accuracy", aggfunc=_mean_std)
        eps = list(t.columns)
        t.columns = [f"FGSM ε={e:g}" for e in eps]
        # the paper's models are the seed-0 names; EoT rows are this study's own
        base = (
            d[d["attack"] == "fgsm"]
            .drop_duplicates("label_full")
            .set_index("label_full")["model"]
            .str.replace(r"-seed\d+$", "", regex=True)
        )
        for e in eps:
            t[f"paper ε={e:g}"] = [paper.get((base.get(lab, ""), float(e)), "–") for lab in t.index]
        t = t[[c for e in eps for c in (f"FGSM ε={e:g}", f"paper ε={e:g}")]]
        once = d.drop_duplicates(["label_full", "model_seed"])
        t["clean (%)"] = once.groupby("label_full")["clean_accuracy"].agg(_mean_std)
        t["seeds"] = d.groupby("label_full")["model_seed"].nunique()
        order = sorted(
            t.index, key=lambda s: ("+" in s, s[0], int("".join(filter(str.isdigit, s))))
        )
        return t.loc[order].rename_axis("model")

    plain = df[df["adversarial_training"] == "none"]
    advd = df[df["adversarial_training"] != "none"]
    bases = {f"{r['kind']}{r['k']}" for _, r in advd.iterrows()}
    base = plain[[f"{r['kind']}{r['k']}" in bases for _, r in plain.iterrows()]]
    base = base[base["attack"] == "fgsm"]
    return table(plain), table(pd.concat([base, advd]))


def cw_table(cw: pd.DataFrame) -> pd.DataFrame:
    t = cw.assign(
        model=[label(m) for m in cw["model"]],
        accuracy=lambda d: (100 * d["accuracy"]).round(1),
        mean_l2=lambda d: d["mean_l2"].round(3),
        success_rate=lambda d: (100 * d["success_rate"]).round(1),
    )
    paper = paper_cw()
    t["paper accuracy"] = [paper.get((m, "adv_accuracy"), "–") for m in cw["model"]]
    t["paper mean_l2"] = [paper.get((m, "mean_l2_distance"), "–") for m in cw["model"]]
    cols = ["model", "accuracy", "paper accuracy", "success_rate", "mean_l2", "paper mean_l2"]
    return t[[*cols, "n_examples"]].set_index("model")


def blackbox_table(bb: pd.DataFrame, fgsm: pd.DataFrame) -> pd.DataFrame:
    """Black-box (substitute) FGSM accuracy beside the white-box FGSM accuracy (%)."""
    white = fgsm[fgsm["attack"] == "fgsm"].set_index(["model", "eps"])["accuracy"]
    rows = []
    for _, r in bb.iterrows():
        w = white.get((r["target"], r["eps"]), float("nan"))
        rows.append(
            {
                "target": label(r["target"]),
                "eps": r["eps"],
                "black-box (%)": round(100 * r["accuracy"], 1),
                "white-box (%)": round(100 * w, 1),
                "clean (%)": round(100 * r["clean_accuracy"], 1),
                "substitute agrees (%)": round(100 * r["substitute_agreement"], 1),
            }
        )
    return pd.DataFrame(rows).pivot_table(
        index="target",
        columns="eps",
        values=["black-box (%)", "white-box (%)"],
        sort=False,
    )
