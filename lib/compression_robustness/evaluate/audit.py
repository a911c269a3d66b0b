"""The gradient-masking audit: every model attacked by several independent attacks, the
worst case over them, and the failure indicators of Carlini et al. (2019, "On evaluating
adversarial robustness") and Pintor et al. (NeurIPS 2022, "Indicators of attack failure").

One cell per model (:func:`audit_cell`), at one ε (L∞: 2/255 on CIFAR-10, 0.1 on MNIST), on
the same seeded test images for every attack:

- ``clean``; ``fgsm`` (one step); ``pgd`` (this study's PGD, one random start) and ``pgd_2x``
  (twice the iterations);
- ``pgd_bpda``: PGD through the identity-clip surrogate of the binary activations (BPDA,
  Athalye et al. 2018), evaluated on the true binary forward; only for models with binary
  layers (Galloway's binarised CNNs and Zhao's fixed-point models already differentiate
  through a straight-through estimator, so their plain PGD *is* the surrogate attack);
- ``pgd_eot``: PGD on the mean gradient of several stochastic passes (EoT), for stochastic
  models; their accuracies are the mean over fresh stochastic passes;
- ``apgd_ce``, ``apgd_dlr``: ART's AutoProjectedGradientDescent with the cross-entropy and
  the difference-of-logits-ratio loss (the white-box components of AutoAttack);
- ``square``: ART's Square Attack (gradient-free, score-based) on the first ``n_black``
  images;
- ``transfer``: the PGD examples of the family's full-precision baseline, on this model;
- ``pgd_restarts``: the best of ``restarts`` random starts, on the first ``n_black`` images;
- ``pgd_eps_<m>``: PGD at ``m`` times ε on the first ``n_black`` images (the ε curve), the
  largest of them beyond any meaningful budget;
- ``grad``: the share of images whose input gradient is zero or not finite.

Each row keeps the per-image outcome (``correct``: a string of 0/1), so that the worst
case is per image: an image counts as robust only if it survives every attack.
:func:`checks` turns the rows into the indicators and :func:`flags` into the table the claims
engine reads (:func:`compression_robustness.evaluate.claims.audit_flags`).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from art.attacks.evasion import AutoProjectedGradientDescent, SquareAttack

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo
from compression_robustness.compression.binary import binary_layers, surrogate_mode
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import PIXEL
from compression_robustness.evaluate.claims import Estimate
from compression_robustness.runtime.estimator import eot_classifier, make_classifier
from compression_robustness.zoo.entries.imagenet import IMAGENET_MODELS, build_model, data_spec

#: the attacks of a cell, in the table's order; white-box ones run on all images
WHITE = ("fgsm", "pgd", "pgd_2x", "pgd_bpda", "pgd_eot", "apgd_ce", "apgd_dlr", "transfer")
BLACK = ("square", "pgd_restarts")


@dataclass(frozen=True)
class AuditSettings:
    """One audit cell's budget (ε in [0, 1] input units)."""

    eps: float
    n_white: int
    n_black: int
    pgd_iter: int
    apgd_iter: int
    square_queries: int
    restarts: int
    eps_multipliers: tuple[float, ...]
    eot_samples: int
    eval_passes: int
    seed: int = 0
    batch_size: int = 250

    def config(self) -> dict[str, Any]:
        return {
            "eps": self.eps,
            "n_white": self.n_white,
            "n_black": self.n_black,
            "pgd_iter": self.pgd_iter,
            "apgd_iter": self.apgd_iter,
            "square_queries": self.square_queries,
            "restarts": self.restarts,
            "eps_multipliers": list(self.eps_multipliers),
            "eot_samples": self.eot_samples,
            "eval_passes": self.eval_passes,
            "seed": self.seed,
        }


# --- the models: zoo entries (trained here) and the ImageNet stand-ins (pretrained) ---------
#: the dataset of the ImageNet models' audit (the 1000 offline ImageNet samples)
IMAGENET_DATASET = "imagenet_samples"


def is_imagenet(name: str) -> bool:
    return name in IMAGENET_MODELS


def check_model(name: str) -> str:
    """``name`` if it is a zoo model or an ImageNet model, else the error listing both."""
    if is_imagenet(name) or name in zoo.ZOO:
        return name
    valid = ", ".join([*zoo.ZOO.names(), *IMAGENET_MODELS.names()])
    raise ConfigError(f"parameter `models`: unknown model {name!r}; valid: {valid}")


def model_dataset(name: str) -> str:
    return IMAGENET_DATASET if is_imagenet(name) else zoo.ZOO.get(name).dataset


def model_family(name: str) -> str:
    return IMAGENET_MODELS.get(name).family if is_imagenet(name) else zoo.ZOO.get(name).family


def model_sha(name: str, profile: str) -> str:
    """What an audit cell is keyed by: the checkpoint's sha256 for a zoo model; for an
    ImageNet model, the sha256 of its identity (the pretrained file's sha256 and the
    post-training compression, which is deterministic)."""
    if is_imagenet(name):
        ident = json.dumps(IMAGENET_MODELS.get(name).identity(), sort_keys=True)
        return hashlib.sha256(ident.encode()).hexdigest()
    return zoo.checkpoint_sha(name, profile)


def model_available(name: str, profile: str) -> bool:
    """Whether the model can be attacked here without training anything."""
    if is_imagenet(name):
        return IMAGENET_MODELS.get(name).compression.get("kind") != "zoo"
    return zoo.is_trained(name, profile)


@dataclass(frozen=True)
class AuditTarget:
    """A model as the audit attacks it."""

    name: str
    model: torch.nn.Module
    spec: D.DatasetSpec
    sha256: str
    accuracy: float  # clean accuracy on the full test set (NaN: no such measurement)


def load_target(name: str, profile: str) -> AuditTarget:
    """The model ``name`` (nothing is trained: a missing zoo checkpoint is an error)."""
    if is_imagenet(name):
        entry = IMAGENET_MODELS.get(name)
        return AuditTarget(
            name,
            build_model(name),
            data_spec(IMAGENET_DATASET, entry.norm),
            model_sha(name, profile),
            math.nan,  # the ImageNet chapter measures it on its own subset
        )
    zm = zoo.get(name, profile, train_if_missing=False, progress=False)
    return AuditTarget(name, zm.model, zm.spec, zm.sha256, float(zm.accuracy))


def baseline_of(name: str) -> str | None:
    """The full-precision model whose PGD examples are transferred to ``name`` (None for a
    baseline itself, or a model without one)."""
    if is_imagenet(name):
        base = IMAGENET_MODELS.get(name).base
        return None if base == name else base
    entry = zoo.ZOO.get(name)
    if name.startswith("galloway-"):
        k = entry.arch.removeprefix("galloway-")[1:]
        base = f"galloway-a{k}"
    elif name.startswith(("lenet5-", "cifarnet-")):
        base = f"{name.split('-')[0]}-base"
    elif name.startswith("m56_"):
        return None  # Cheng's architectures are each their own baseline
    else:
        base = f"{entry.arch}-vanilla"
    return None if base == name or base not in zoo.ZOO.names() else base


def transfer_source(name: str, profile: str) -> str | None:
    """:func:`baseline_of` when its weights are here in ``profile`` (else no transfer row)."""
    base = baseline_of(name)
    return base if base is not None and model_available(base, profile) else None


def is_stochastic(name: str) -> bool:
    if is_imagenet(name):
        return False
    entry = zoo.ZOO.get(name)
    extra = getattr(entry, "extra", {}) or {}
    return extra.get("galloway", {}).get("kind") == "s"


def _bits(mask: np.ndarray) -> str:
    return "".join("1" if b else "0" for b in np.asarray(mask, dtype=bool))


def _unbits(s: str) -> np.ndarray:
    return np.frombuffer(s.encode(), dtype=np.uint8) == ord("1")


class _Evaluator:
    """Per-image correctness of a model (mean over fresh passes for a stochastic model: an
    image counts as correct when most passes classify it correctly)."""

    def __init__(self, est, passes: int):
        self.est, self.passes = est, passes

    def correct(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        votes = np.zeros(len(y))
        for _ in range(self.passes):
            pred = self.est.torch_predict(xt).argmax(1).numpy()
            votes += pred == y
        return votes / self.passes > 0.5


def _pgd(est, x, y, eps, iters, seed, batch_size):
    atk = A.create(
        "pgd",
        est,
        eps=eps * PIXEL,
        alpha=eps * PIXEL / 4,
        max_iter=iters,
        seed=seed,
        batch_size=batch_size,
    )
    return atk.generate(x, y)


def audit_cell(name: str, profile: str, s: AuditSettings) -> list[dict[str, Any]]:
    """All attacks of the audit on model ``name`` (rows: attack, accuracy, n_examples,
    correct, wall seconds, and the attack's budget)."""
    zm = load_target(name, profile)
    spec = zm.spec
    split = D.load_subset(spec.name, "test", s.n_white, seed=s.seed)
    x = np.asarray(split.x, dtype=np.float32)
    y = np.asarray(split.y)
    nb = min(s.n_black, len(y))
    stochastic = is_stochastic(name)
    est = make_classifier(zm.model, spec, batch_size=s.batch_size)
    ev = _Evaluator(est, s.eval_passes if stochastic else 1)
    rows: list[dict[str, Any]] = []

    def add(attack: str, correct: np.ndarray, t0: float, **extra) -> None:
        rows.append(
            {
                "model": name,
                "attack": attack,
                "accuracy": float(np.mean(correct)),
                "n_examples": int(len(correct)),
                "correct": _bits(correct),
                "attack_seconds": round(time.perf_counter() - t0, 2),
                **extra,
            }
        )

    def run(attack: str, fn, xs=x, ys=y, **extra) -> np.ndarray:
        t0 = time.perf_counter()
        torch.manual_seed(s.seed)
        np.random.seed(s.seed)
        x_adv = fn(xs, ys)
        c = ev.correct(x_adv, ys)
        add(attack, c, t0, **extra)
        return x_adv

    t0 = time.perf_counter()
    add("clean", ev.correct(x, y), t0)
    run("fgsm", lambda a, b: A.create("fgsm", est, eps=s.eps * PIXEL).generate(a, b))
    run("pgd", lambda a, b: _pgd(est, a, b, s.eps, s.pgd_iter, s.seed, s.batch_size))
    run("pgd_2x", lambda a, b: _pgd(est, a, b, s.eps, 2 * s.pgd_iter, s.seed, s.batch_size))
    if binary_layers(zm.model):

        def bpda(a, b):
            with surrogate_mode(zm.model):
                return _pgd(est, a, b, s.eps, s.pgd_iter, s.seed, s.batch_size)

        run("pgd_bpda", bpda)
    if stochastic:
        eot = eot_classifier(zm.model, spec, s.eot_samples, batch_size=s.batch_size)
        run("pgd_eot", lambda a, b: _pgd(eot, a, b, s.eps, s.pgd_iter, s.seed, s.batch_size))
    for loss, label in (("cross_entropy", "apgd_ce"), ("difference_logits_ratio", "apgd_dlr")):

        def apgd(a, b, loss=loss):
            atk = AutoProjectedGradientDescent(
                est,
                norm=np.inf,
                eps=s.eps,
                eps_step=2 * s.eps,
                max_iter=s.apgd_iter,
                targeted=False,
                nb_random_init=1,
                batch_size=s.batch_size,
                loss_type=loss,
                verbose=False,
            )
            return atk.generate(a, np.eye(spec.num_classes, dtype=np.float32)[b])

        run(label, apgd)
    base = transfer_source(name, profile)
    if base is not None:
        bm = load_target(base, profile)
        best = make_classifier(bm.model, bm.spec, batch_size=s.batch_size)
        run(
            "transfer",
            lambda a, b: _pgd(best, a, b, s.eps, s.pgd_iter, s.seed, s.batch_size),
            source=base,
        )

    xb, yb = x[:nb], y[:nb]

    def square(a, b):
        atk = SquareAttack(
            est,
            norm=np.inf,
            eps=s.eps,
            max_iter=s.square_queries,
            p_init=0.05,
            nb_restarts=1,
            batch_size=s.batch_size,
            verbose=False,
        )
        return atk.generate(a, np.eye(spec.num_classes, dtype=np.float32)[b])

    run("square", square, xb, yb)

    def restarts(a, b):
        # per image, the first start that fools the model (else the last one)
        best = None
        fooled = np.zeros(len(b), dtype=bool)
        for r in range(s.restarts):
            adv = _pgd(est, a, b, s.eps, s.pgd_iter, s.seed + 1000 + r, s.batch_size)
            if best is None:
                best = adv.copy()
            now = ~ev.correct(adv, b)
            take = now & ~fooled
            best[take] = adv[take]
            fooled |= now
        return best

    run("pgd_restarts", restarts, xb, yb)
    for m in s.eps_multipliers:
        e = min(1.0, s.eps * m)
        run(
            f"pgd_eps_{m:g}",
            lambda a, b, e=e: _pgd(est, a, b, e, s.pgd_iter, s.seed, s.batch_size),
            xb,
            yb,
            eps_attack=e,
        )
    t0 = time.perf_counter()
    g, _, _ = est.torch_loss_grad(torch.from_numpy(x), torch.from_numpy(y).long())
    norms = g.flatten(1).norm(dim=1).numpy()
    bad = (norms == 0) | ~np.isfinite(norms)
    add("grad", ~bad, t0, zero_grad_share=float(np.mean(norms == 0)))
    for r in rows:
        r.update(
            checkpoint_sha256=zm.sha256,
            dataset=spec.name,
            family=model_family(name),
            clean_test_accuracy=zm.accuracy,
        )
    return rows


# --- the indicators ------------------------------------------------------------------------

#: the checks, in the table's order, with the question each asks
CHECKS = {
    "iterative beats single-step": "PGD is not significantly weaker than FGSM",
    "more iterations do not help": "PGD with twice the iterations is not significantly stronger",
    "restarts do not help": "the best of several random starts is not significantly stronger",
    "adaptive steps do not help": "APGD-CE and APGD-DLR (adaptive step size; the DLR loss) "
    "are not significantly stronger than PGD",
    "accuracy falls with eps": "no larger ε leaves a significantly higher accuracy",
    "large eps reaches 0": "at the largest ε (far beyond the budget) accuracy falls below 2 %",
    "white-box beats gradient-free": "Square Attack is not significantly stronger than PGD",
    "white-box beats transfer": "the baseline's transferred examples are not significantly "
    "stronger than PGD",
    "surrogate gradients do not help": "BPDA or EoT is not significantly stronger than PGD",
    "gradients are informative": "at most 10 % of the images have a zero or non-finite gradient",
}


def _acc(df: pd.DataFrame, attack: str, n: int | None = None) -> Estimate | None:
    r = df[df["attack"] == attack]
    if r.empty:
        return None
    c = _unbits(r["correct"].iloc[0])
    if n is not None:
        c = c[:n]
    return Estimate.accuracy(float(c.mean()), len(c))


def _stronger(a: Estimate | None, b: Estimate | None) -> bool | None:
    """Is ``a`` (an attack's accuracy) significantly lower than ``b``? None if either is absent."""
    if a is None or b is None:
        return None
    return Estimate.difference(b, a).lo > 0


def checks(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, check): ``failed`` (True, False, or None where it does not apply)
    and the numbers behind it."""
    out = []
    for model, g in df.groupby("model", sort=False):
        nb = (
            int(g.loc[g["attack"] == "square", "n_examples"].iloc[0])
            if (g["attack"] == "square").any()
            else None
        )
        pgd = _acc(g, "pgd")
        pgd_b = _acc(g, "pgd", nb)

        def row(check, failed, evidence, model=model):
            out.append({"model": model, "check": check, "failed": failed, "evidence": evidence})

        fgsm = _acc(g, "fgsm")
        row("iterative beats single-step", _stronger(fgsm, pgd), f"FGSM {_t(fgsm)}, PGD {_t(pgd)}")
        p2 = _acc(g, "pgd_2x")
        row(
            "more iterations do not help",
            _stronger(p2, pgd),
            f"PGD {_t(pgd)}, 2x iterations {_t(p2)}",
        )
        rs = _acc(g, "pgd_restarts")
        row("restarts do not help", _stronger(rs, pgd_b), f"PGD {_t(pgd_b)}, restarts {_t(rs)}")
        apgd = [a for a in (_acc(g, "apgd_ce"), _acc(g, "apgd_dlr")) if a is not None]
        row(
            "adaptive steps do not help",
            None if not apgd else any(_stronger(a, pgd) for a in apgd),
            f"PGD {_t(pgd)}, "
            + ", ".join(f"{k} {_t(_acc(g, k))}" for k in ("apgd_ce", "apgd_dlr") if _acc(g, k)),
        )
        eps_rows = g[g["attack"].str.startswith("pgd_eps_")].sort_values("eps_attack")
        curve = [_acc(g, a) for a in eps_rows["attack"]]
        # PGD at eps (first point), then at each multiple: a later point significantly
        # above an earlier one means a larger budget did worse, which a working attack cannot
        pts = [pgd_b, *curve]
        rises = any(
            _stronger(pts[j], pts[i])
            for i in range(len(pts))
            for j in range(i)
            if pts[i] is not None and pts[j] is not None
        )
        row(
            "accuracy falls with eps",
            rises if curve else None,
            ", ".join(
                f"ε×{a.removeprefix('pgd_eps_')}: {c.value:.0f} %"
                for a, c in zip(eps_rows["attack"], curve, strict=True)
            ),
        )
        last = curve[-1] if curve else None
        row(
            "large eps reaches 0", None if last is None else last.lo > 2.0, f"largest ε: {_t(last)}"
        )
        sq = _acc(g, "square")
        row(
            "white-box beats gradient-free",
            _stronger(sq, pgd_b),
            f"PGD {_t(pgd_b)}, Square {_t(sq)}",
        )
        tr = _acc(g, "transfer")
        row("white-box beats transfer", _stronger(tr, pgd), f"PGD {_t(pgd)}, transfer {_t(tr)}")
        sur = [a for a in (_acc(g, "pgd_bpda"), _acc(g, "pgd_eot")) if a is not None]
        row(
            "surrogate gradients do not help",
            None if not sur else any(_stronger(a, pgd) for a in sur),
            ", ".join(f"{k} {_t(_acc(g, k))}" for k in ("pgd_bpda", "pgd_eot") if _acc(g, k))
            or "not applicable",
        )
        gr = g[g["attack"] == "grad"]
        share = 1 - float(gr["accuracy"].iloc[0]) if not gr.empty else None
        row(
            "gradients are informative",
            None if share is None else share > 0.10,
            "" if share is None else f"{100 * share:.1f} % zero or non-finite",
        )
    return pd.DataFrame(out, columns=["model", "check", "failed", "evidence"])


def _t(e: Estimate | None) -> str:
    return "–" if e is None else e.text()


def worst_case(df: pd.DataFrame) -> pd.DataFrame:
    """Per model: clean, PGD, the best single attack and the per-image worst case, on the
    images every attack ran on (the first ``n_black``), and the white-box worst case on all."""
    rows = []
    for model, g in df.groupby("model", sort=False):
        attacks = g[~g["attack"].isin(["clean", "grad"]) & ~g["attack"].str.startswith("pgd_eps_")]
        masks = {a: _unbits(c) for a, c in zip(attacks["attack"], attacks["correct"], strict=True)}
        nb = min(len(m) for m in masks.values())
        allw = np.logical_and.reduce([m for a, m in masks.items() if a in WHITE])
        every = np.logical_and.reduce([m[:nb] for m in masks.values()])
        clean = _unbits(g.loc[g["attack"] == "clean", "correct"].iloc[0])
        best = min(masks, key=lambda a: masks[a][:nb].mean())
        rows.append(
            {
                "model": model,
                "family": g["family"].iloc[0],
                "dataset": g["dataset"].iloc[0],
                "clean": Estimate.accuracy(clean.mean(), len(clean)),
                "pgd": _acc(g, "pgd"),
                "white-box worst": Estimate.accuracy(allw.mean(), len(allw)),
                "strongest attack": best,
                "worst case": Estimate.accuracy(every.mean(), nb),
                "pgd_on_black": _acc(g, "pgd", nb),
            }
        )
    return pd.DataFrame(rows)


def flags(df: pd.DataFrame) -> pd.DataFrame:
    """The table the claims engine reads: ``model, check, failed`` (bool; a check that does
    not apply counts as passed) plus the evidence."""
    c = checks(df)
    c["failed"] = c["failed"].fillna(False).astype(bool)
    return c
