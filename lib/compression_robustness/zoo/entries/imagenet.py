"""BreakingBED's ImageNet models (Tables 4-6) and their cpu stand-ins, as data: the
ImageNet-pretrained EfficientNet-Lite0 with post-training compression (fixed-point
quantisation, magnitude pruning; no training data needed) and, for the paper profile,
torchvision's ResNet50/ResNet18 and the compressed ResNet18 variants (which would need an
ImageNet training pipeline, and raise :class:`NotImplementedError` saying so)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from torch import nn

from compression_robustness import data as D
from compression_robustness.compression.posttraining import POST_TRAINING
from compression_robustness.core.registry import Registry
from compression_robustness.models.efficientnet import (
    NORMALISATIONS,
    lite0_sha256,
    load_efficientnet_lite0,
    torchvision_model,
)


@dataclass(frozen=True)
class ImagenetModel:
    """A named ImageNet model: a base network, its normalisation and a compression step."""

    name: str
    base: str  # efficientnet_lite0 | resnet50 | resnet18
    family: str
    description: str
    compression: dict[str, Any] = field(default_factory=dict)
    norm: str = "lite0"

    def identity(self) -> dict[str, Any]:
        """What the results are keyed by (no weights are loaded)."""
        weights = lite0_sha256() if self.base == "efficientnet_lite0" else "IMAGENET1K_V1"
        return {"base": self.base, "weights": weights, "compression": self.compression}


IMAGENET_MODELS: Registry[ImagenetModel] = Registry("ImageNet model", param="imagenet_models")


def _register(*args, **kwargs) -> None:
    m = ImagenetModel(*args, **kwargs)
    IMAGENET_MODELS.register(m.name, m)


_L0 = "efficientnet_lite0"
_PRUNED_LAYERS = "channel-mixing convs except the stem"
_register(_L0, _L0, "vanilla", "EfficientNet-Lite0, ImageNet-pretrained (float32)")
for _b in (8, 6, 4):
    _register(
        f"{_L0}-ptq{_b}",
        _L0,
        "quantised",
        f"fixed-point post-training quantisation, {_b}-bit weights and activations",
        {"kind": "ptq", "bits": _b, "act_int_bits": 4, "weight_int_bits": "per-channel"},
    )
for _f in (30, 50):
    _register(
        f"{_L0}-prune-weight{_f}",
        _L0,
        "pruned",
        f"{_f}% of the weights of every conv layer pruned by magnitude, no fine-tuning",
        {"kind": "prune-weight", "fraction": _f / 100, "layers": _PRUNED_LAYERS},
    )
_register(
    f"{_L0}-prune-channel{30}",
    _L0,
    "pruned",
    "30% of the input channels of every channel-mixing conv pruned by l2 norm, no fine-tuning",
    {"kind": "prune-channel", "fraction": 0.3, "layers": _PRUNED_LAYERS},
)
for _arch in ("resnet50", "resnet18"):
    _register(_arch, _arch, "vanilla", f"torchvision {_arch}, ImageNet weights", norm="torchvision")
for _v, _fam in (("prune-channel", "pruned"), ("xnor", "binary"), ("abc-1x1", "binary")):
    _register(
        f"resnet18-{_v}",
        "resnet18",
        _fam,
        f"ResNet18 {_v} (zoo recipe, trained on ImageNet)",
        {"kind": "zoo", "variant": _v},
        norm="torchvision",
    )
_register(
    "resnet18-abc-3x3",
    "resnet18",
    "binary",
    "ResNet18 abc-3x3 (zoo recipe, trained on ImageNet)",
    {"kind": "zoo", "variant": "abc-3x3"},
    norm="torchvision",
)


@functools.lru_cache(maxsize=4)
def build_model(name: str) -> nn.Module:
    """The model ``name`` (eval mode), compressed as its entry says."""
    entry = IMAGENET_MODELS.get(name)
    c = entry.compression
    if c.get("kind") == "zoo":
        raise NotImplementedError(
            f"{name}: the compressed ResNet18 variants of BreakingBED's ImageNet tables are "
            "pruned or binarised and then trained on the ImageNet training set; this study "
            "has no ImageNet training pipeline (the cpu profile uses post-training "
            "compression of EfficientNet-Lite0 instead)"
        )
    model = load_efficientnet_lite0() if entry.base == _L0 else torchvision_model(entry.base)
    if c:
        POST_TRAINING.get(c["kind"])(model, c)
    return model.eval()


def data_spec(dataset: str, norm: str) -> D.DatasetSpec:
    """The dataset's spec with the model's normalisation (the estimator applies it)."""
    mean, std = NORMALISATIONS[norm]
    return replace(D.spec(dataset), mean=mean, std=std)
