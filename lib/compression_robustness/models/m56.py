"""MNIST upscaled to 56×56 and the ImageNet architectures of Cheng & Hu (2020).

"Architectural resilience to foreground-and-background adversarial noise" (Cheng & Hu,
arXiv:2003.10045) trains Keras' ImageNet architectures on MNIST resized to 56×56 (the
smallest convenient size those architectures accept). This module registers:

* the dataset ``mnist56``: real MNIST with every 28×28 pixel repeated into a 2×2 block
  (nearest ×2 upscaling), so that the pixel noise of
  :mod:`compression_robustness.attacks.pixel_noise`, which acts on the 28×28 grid, changes
  whole 2×2 blocks; normalisation uses MNIST's mean and std (unchanged by the upscaling);
* the architectures, from torchvision and timm definitions adapted to one input channel
  and 10 classes (every adaptation is listed in :data:`ADAPTATIONS`):

  ======================  ===========================================================
  ``m56_resnet18/34/50/101``  torchvision ResNet (He et al. 2016), first conv 1 channel
  ``m56_resnet50v2``      timm ``resnetv2_50``, the pre-activation ResNet-50V2
  ``m56_vgg19``           torchvision ``vgg19_bn`` (VGG-19 with batch norm), 1×1 pool head
  ``m56_efficientnet_b1`` torchvision EfficientNet-B1, first conv 1 channel
  ``m56_fc``              one 3136-unit hidden layer (ReLU), the paper's FC network
  ======================  ===========================================================

Architecture names carry the ``m56_`` prefix so that they never collide with the
ImageNet-sized models other chapters register.
"""

from __future__ import annotations

from torch import nn

from compression_robustness.data.mnist56 import SIDE
from compression_robustness.models.registry import ARCHS

#: Display names used by the chapter (architecture -> the paper's name).
DISPLAY = {
    "m56_resnet18": "ResNet-18",
    "m56_resnet34": "ResNet-34",
    "m56_resnet50": "ResNet-50",
    "m56_resnet101": "ResNet-101",
    "m56_resnet50v2": "ResNet-50V2",
    "m56_vgg19": "VGG-19",
    "m56_efficientnet_b1": "EfficientNet-B1",
    "m56_fc": "FC",
}

#: How each definition was adapted to 1×56×56 inputs and 10 classes (shown in the chapter).
ADAPTATIONS = {
    "m56_resnet18": "torchvision resnet18; conv1 takes 1 channel; fc 512->10",
    "m56_resnet34": "torchvision resnet34; conv1 takes 1 channel; fc 512->10",
    "m56_resnet50": "torchvision resnet50; conv1 takes 1 channel; fc 2048->10",
    "m56_resnet101": "torchvision resnet101; conv1 takes 1 channel; fc 2048->10",
    "m56_resnet50v2": "timm resnetv2_50 (pre-activation); in_chans=1; head 2048->10",
    "m56_vgg19": "torchvision vgg19_bn (batch norm added for SGD from scratch); first conv "
    "1 channel; the 7x7 adaptive pool becomes 1x1 (the features are 1x1 at 56x56 input), "
    "so the classifier is 512->4096->4096->10 instead of 25088->4096->4096->10",
    "m56_efficientnet_b1": "torchvision efficientnet_b1; stem conv takes 1 channel; "
    "classifier 1280->10",
    "m56_fc": "Flatten 3136 -> Linear 3136 -> ReLU -> Linear 10",
}


# --------------------------------------------------------------------------- architectures
def _conv_like(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """A fresh convolution like ``conv`` that takes ``in_channels`` inputs."""
    return nn.Conv2d(
        in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        conv.groups,
        conv.bias is not None,
    )


def _tv_resnet(depth: int):
    def build(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
        import torchvision

        m = getattr(torchvision.models, f"resnet{depth}")(weights=None, num_classes=num_classes)
        m.conv1 = _conv_like(m.conv1, in_channels)
        nn.init.kaiming_normal_(m.conv1.weight, mode="fan_out", nonlinearity="relu")
        return m

    build.__name__ = f"m56_resnet{depth}"
    build.__doc__ = f"torchvision ResNet-{depth} with an ``in_channels`` first conv."
    return build


for _depth in (18, 34, 50, 101):
    ARCHS.register(f"m56_resnet{_depth}", _tv_resnet(_depth))


@ARCHS.register("m56_resnet50v2")
def m56_resnet50v2(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """timm's ``resnetv2_50``: the pre-activation ResNet-50 (He et al. 2016b)."""
    import timm

    return timm.create_model(
        "resnetv2_50", pretrained=False, num_classes=num_classes, in_chans=in_channels
    )


@ARCHS.register("m56_vgg19")
def m56_vgg19(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """torchvision's ``vgg19_bn`` with a 1×1 adaptive pool (see :data:`ADAPTATIONS`)."""
    import torchvision

    m = torchvision.models.vgg19_bn(weights=None, num_classes=num_classes)
    m.features[0] = _conv_like(m.features[0], in_channels)
    nn.init.kaiming_normal_(m.features[0].weight, mode="fan_out", nonlinearity="relu")
    m.avgpool = nn.AdaptiveAvgPool2d(1)
    first = m.classifier[0]
    m.classifier[0] = nn.Linear(512, first.out_features)
    nn.init.normal_(m.classifier[0].weight, 0, 0.01)
    nn.init.zeros_(m.classifier[0].bias)
    return m


@ARCHS.register("m56_efficientnet_b1")
def m56_efficientnet_b1(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """torchvision's EfficientNet-B1 with a one-channel stem."""
    import torchvision

    m = torchvision.models.efficientnet_b1(weights=None, num_classes=num_classes)
    stem = m.features[0][0]
    m.features[0][0] = _conv_like(stem, in_channels)
    nn.init.kaiming_normal_(m.features[0][0].weight, mode="fan_out")
    return m


class FC3136(nn.Module):
    """The paper's fully connected network: one hidden layer of 3136 (= 56×56) ReLU units."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, hidden: int = SIDE * SIDE):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * SIDE * SIDE, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.net(x)


@ARCHS.register("m56_fc")
def m56_fc(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    return FC3136(num_classes, in_channels)
