"""Zhao et al. (SysML 2019), "To compress or not to compress": LeNet5 (MNIST) and CifarNet
(CIFAR-10) baselines, then DNS-pruned and fixed-point models fine-tuned from them (the
transferability chapter's models)."""

from __future__ import annotations

import torch
from torch import nn

from compression_robustness import data as D
from compression_robustness.compression.dns import DNSConv2d, DNSLinear, apply_dns, dns_hook
from compression_robustness.compression.fixed_point import build_fixed_point, calibrate_fixed_point
from compression_robustness.core import recipes as R
from compression_robustness.models import Normalize, build_arch
from compression_robustness.models.quant import paper_int_bits
from compression_robustness.zoo.entry import HookedZooEntry, ZooEntry, get, register

#: Densities (percent of weights kept) and bitwidths registered in the zoo.
DNS_DENSITIES = (50, 20, 10, 5, 2, 1)
BITWIDTHS = (4, 6, 8, 10, 12, 16)
ZHAO_ARCHS = {"lenet5": "mnist", "cifarnet": "cifar10"}


# --------------------------------------------------------------------------- zoo hooks
def zoo_build(entry, profile: str) -> nn.Module:
    """The untrained structure of a compressed zoo entry (for loading its checkpoint)."""
    comp = entry.extra
    if "fixed_point" in comp:
        fp = comp["fixed_point"]
        spec = D.spec(entry.dataset)
        return build_fixed_point(
            entry.arch, fp["bits"], fp["int_bits"], spec.num_classes, spec.shape[0]
        )
    spec = D.spec(entry.dataset)
    model = build_arch(entry.arch, spec.num_classes, spec.shape[0])
    if "dns" in comp:
        d = comp["dns"]
        apply_dns(model, d["density"], d["margin"], d.get("dense_ends", False))
    return model


def zoo_prepare(entry, profile: str):
    """The model to fine-tune (parent's weights, compressed) and its after-step hook."""
    model = zoo_build(entry, profile)
    parent = get(entry.parent, profile).model.state_dict()
    fp = entry.extra.get("fixed_point", {})
    if fp.get("calibrate"):
        parent = _calibrated_parent(entry, parent, fp)
    missing, unexpected = model.load_state_dict(parent, strict=False)
    if unexpected or any(not k.endswith("dns_mask") for k in missing):
        raise RuntimeError(f"{entry.name}: parent weights do not fit ({missing}, {unexpected})")
    after_step = None
    if "dns" in entry.extra:
        d = entry.extra["dns"]
        # masks from the parent's trained weights (apply_dns ran on random ones)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, DNSConv2d | DNSLinear):
                    t = float(torch.quantile(m.weight.abs().flatten(), 1.0 - d["density"]))
                    m.dns_mask.copy_((m.weight.abs() >= t).float())
        after_step = dns_hook(d["density"], d["margin"], d["every"])
    return model, None, after_step, None


#: training images whose activations set the fixed-point calibration (seeded subset)
N_CALIBRATION = 500


def _calibrated_parent(entry, parent: dict, fp: dict) -> dict:
    """The parent's weights rescaled by :func:`calibrate_fixed_point` on its float model."""

    spec = D.spec(entry.dataset)
    float_model = build_arch(entry.arch, spec.num_classes, spec.shape[0])
    float_model.load_state_dict(parent)
    x = D.load_subset(entry.dataset, "train", N_CALIBRATION, 0).x
    calibrate_fixed_point(
        float_model, Normalize(spec.mean, spec.std)(x), fp["bits"], fp["int_bits"]
    )
    return float_model.state_dict()


# Zhao et al.: baselines, then DNS-pruned and fixed-point models fine-tuned from them.
_ZHAO_BASE = {
    "lenet5": {
        "smoke": {**R.SMOKE_MNIST, "train_subset": 2048},
        "cpu": {**R.MNIST, "epochs": 2, "batch_size": 128, "train_subset": 30000},
        "paper": {**R.MNIST, "epochs": 30, "batch_size": 128},
    },
    "cifarnet": {
        "smoke": {**R.SMOKE_CIFAR, "train_subset": 512},
        # bfloat16 autocast: 165 images/s on one core (float32: 78), so 5 epochs of all
        # 50,000 images take about 25 minutes
        "cpu": {"epochs": 5, "batch_size": 128, "lr": 0.1, "precision": "bf16"},
        "paper": {"epochs": 300, "batch_size": 128, "lr": 0.1, "schedule": "cosine"},
    },
}
# Compression options per architecture. CifarNet (batch-normalised) keeps its first and
# last layers dense under DNS and is rescaled to fill the fixed-point range before
# quantisation (function-preserving; see zhao.calibrate_fixed_point). LeNet5 has no batch
# norm, so neither applies; it is compressed as the paper describes.
_ZHAO_OPTIONS = {
    "lenet5": {"dns": {}, "fixed_point": {}},
    "cifarnet": {"dns": {"dense_ends": True}, "fixed_point": {"calibrate": True}},
}
# Fine-tuning after compression: the paper fine-tunes for 300-350 epochs; cpu for one
# (LeNet5) or two (CifarNet) epochs on a subset.
_ZHAO_FINETUNE = {
    "lenet5": {
        "smoke": {**R.SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 512},
        "cpu": {**R.MNIST, "epochs": 1, "lr": 0.01, "schedule": "cosine", "train_subset": 10000},
        "paper": {**R.MNIST, "epochs": 300, "lr": 0.01, "schedule": "cosine"},
    },
    "cifarnet": {
        "smoke": {**R.SMOKE_FINETUNE, "train_subset": 256},
        # about 5 minutes each on one core (float32: fixed point is not exact in bfloat16)
        "cpu": {"epochs": 2, "lr": 0.01, "schedule": "cosine", "train_subset": 10000},
        "paper": {"epochs": 350, "lr": 0.01, "schedule": "cosine"},
    },
}


def _register_zhao() -> None:
    build, prep = zoo_build, zoo_prepare
    for arch, dataset in ZHAO_ARCHS.items():
        register(
            ZooEntry(
                f"{arch}-base",
                arch,
                dataset,
                _ZHAO_BASE[arch],
                family="vanilla",
                description=f"{arch} baseline (Zhao et al.)",
                profiles=(),
            )
        )
        for d in DNS_DENSITIES:
            register(
                HookedZooEntry(
                    f"{arch}-dns{d}",
                    arch,
                    dataset,
                    _ZHAO_FINETUNE[arch],
                    family="pruned",
                    description=f"{arch} DNS-pruned to {d}% density, fine-tuned",
                    profiles=(),
                    parent=f"{arch}-base",
                    builder=build,
                    extra={
                        "dns": {
                            "density": d / 100,
                            "margin": 0.1,
                            "every": 10,
                            **_ZHAO_OPTIONS[arch]["dns"],
                        }
                    },
                    prepare_fn=prep,
                )
            )
        for b in BITWIDTHS:
            register(
                HookedZooEntry(
                    f"{arch}-q{b}",
                    arch,
                    dataset,
                    _ZHAO_FINETUNE[arch],
                    family="quantised",
                    description=f"{arch} fixed point, {b} bits ({paper_int_bits(b)} integer)",
                    profiles=(),
                    parent=f"{arch}-base",
                    builder=build,
                    extra={
                        "fixed_point": {
                            "bits": b,
                            "int_bits": paper_int_bits(b),
                            **_ZHAO_OPTIONS[arch]["fixed_point"],
                        }
                    },
                    prepare_fn=prep,
                )
            )


_register_zhao()
