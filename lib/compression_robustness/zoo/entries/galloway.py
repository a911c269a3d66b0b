"""Galloway et al. (ICLR 2018), "Attacking binarized neural networks": full-precision (A),
binarised (B), scaled binary (C) and stochastic binary (S) CNNs of width K on MNIST, with
seeds and FGSM/PGD adversarially fine-tuned versions (the bnn_mnist chapter's models)."""

from __future__ import annotations

from typing import Any

from torch import nn

from compression_robustness import data as D
from compression_robustness.compression.adversarial import adversarial_loss
from compression_robustness.core import recipes as R
from compression_robustness.models import Normalize
from compression_robustness.models.mnist import (
    GALLOWAY_KINDS,
    GALLOWAY_WIDTHS,
    GallowayCNN,
    clip_binary_weights,
)
from compression_robustness.zoo.entry import HookedZooEntry, get, register


# --------------------------------------------------------------------------- zoo hooks
def zoo_build(entry, profile: str) -> nn.Module:
    kind, k = entry.extra["galloway"]["kind"], entry.extra["galloway"]["k"]
    return GallowayCNN(k, kind)


def zoo_prepare(entry, profile: str):
    """Fresh model (or the parent's weights, for adversarial fine-tuning), the clipping
    hook of binarised models, and the adversarial loss."""
    model = zoo_build(entry, profile)
    if entry.parent:
        model.load_state_dict(get(entry.parent, profile).model.state_dict())
    g = entry.extra["galloway"]
    after_step = clip_binary_weights if g["kind"] in ("b", "s") else None
    loss_fn = None
    adv = entry.extra.get("adversarial", {}).get(profile)
    if adv:
        spec = D.spec("mnist")
        net = nn.Sequential(Normalize(spec.mean, spec.std), model)
        loss_fn = adversarial_loss(
            net,
            adv["kind"],
            adv["eps"],
            adv["steps"],
            adv.get("alpha"),
            adv["seed"],
            adv.get("clean_weight"),
        )
    return model, None, after_step, loss_fn


# Galloway et al.: every width gets the same cpu schedule (2 epochs on 8,000 images), so
# that the widths differ only in width. Measured training throughput on one core (batch 64):
# K=64 about 1000 images/s, K=128 280, K=256 45 (its 6x6 conv2 dominates); the K=256 models
# took 5-11 minutes each.
_GALLOWAY_CPU = {k: {**R.MNIST, "epochs": 2, "train_subset": 8000} for k in (32, 64, 128, 256)}
# The paper profile: 20 epochs on all 60,000 images (our choice; not the authors' schedule).
_GALLOWAY_PAPER = {**R.MNIST, "epochs": 20}
_GALLOWAY_ADV = {  # adversarial fine-tuning of the seed-0 model
    "fgsmadv": {
        "smoke": {**R.SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 256},
        "cpu": {**R.MNIST, "epochs": 1, "train_subset": 4000, "lr": 0.01, "schedule": "cosine"},
        "paper": {**R.MNIST, "epochs": 10, "lr": 0.01, "schedule": "cosine"},
    },
    "pgdadv": {
        "smoke": {**R.SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 256},
        "cpu": {**R.MNIST, "epochs": 1, "train_subset": 2000, "lr": 0.01, "schedule": "cosine"},
        "paper": {**R.MNIST, "epochs": 10, "lr": 0.01, "schedule": "cosine"},
    },
}
#: Adversarial training settings per profile ([0, 1] units): Madry et al.'s MNIST PGD has
#: 40 steps of 0.01 within eps = 0.3 (paper profile); cpu takes 10 steps of 0.075, smoke 2.
#: A short fine-tune on PGD examples alone collapses to one class (measured: 9% test
#: accuracy after one epoch on 2,000 images), so cpu and smoke mix in the clean loss with
#: weight 0.5, as FGSM adversarial training does.
GALLOWAY_ADV_SETTINGS = {
    "fgsmadv": {
        p: {"kind": "fgsm", "eps": 0.3, "steps": 1, "seed": 0} for p in ("smoke", "cpu", "paper")
    },
    "pgdadv": {
        "smoke": {
            "kind": "pgd",
            "eps": 0.3,
            "steps": 2,
            "alpha": 0.375,
            "seed": 0,
            "clean_weight": 0.5,
        },
        "cpu": {
            "kind": "pgd",
            "eps": 0.3,
            "steps": 10,
            "alpha": 0.075,
            "seed": 0,
            "clean_weight": 0.5,
        },
        "paper": {"kind": "pgd", "eps": 0.3, "steps": 40, "alpha": 0.01, "seed": 0},
    },
}


GALLOWAY_SEEDS = (0, 1, 2)


def _galloway_extra(kind: str, k: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"kind": kind, "k": k}
    if kind == "s":  # hashed: the stochastic binarisation's normalisation
        extra["stochastic"] = "hard_sigmoid(w / std(w))"
    return extra


def _register_galloway() -> None:
    build, prep = zoo_build, zoo_prepare
    for kind in GALLOWAY_KINDS:
        for k in GALLOWAY_WIDTHS:
            binary = kind in ("b", "s")
            wd = {"weight_decay": 0.0} if binary else {}
            for seed in range(len(GALLOWAY_SEEDS)):
                name = f"galloway-{kind}{k}" + (f"-seed{seed}" if seed else "")
                register(
                    HookedZooEntry(
                        name,
                        f"galloway-{kind}{k}",
                        "mnist",
                        {
                            "smoke": {**R.SMOKE_MNIST, **wd, "seed": seed},
                            "cpu": {**_GALLOWAY_CPU[k], **wd, "seed": seed},
                            "paper": {**_GALLOWAY_PAPER, **wd, "seed": seed},
                        },
                        family="bnn" if binary else "full-precision",
                        description=f"Galloway et al. model {kind.upper()}{k}, seed {seed}",
                        profiles=(),
                        builder=build,
                        extra={"galloway": _galloway_extra(kind, k)},
                        prepare_fn=prep,
                    )
                )
            for adv, recipes in _GALLOWAY_ADV.items() if kind != "s" else ():
                register(
                    HookedZooEntry(
                        f"galloway-{kind}{k}-{adv}",
                        f"galloway-{kind}{k}",
                        "mnist",
                        {p: {**r, **wd} for p, r in recipes.items()},
                        family="adversarial",
                        description=f"Galloway et al. {kind.upper()}{k} fine-tuned by {adv}",
                        profiles=(),
                        parent=f"galloway-{kind}{k}",
                        builder=build,
                        extra={
                            "galloway": _galloway_extra(kind, k),
                            "adversarial": GALLOWAY_ADV_SETTINGS[adv],
                        },
                        prepare_fn=prep,
                    )
                )


_register_galloway()
