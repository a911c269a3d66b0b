"""Architectures behind one registry: the CIFAR ResNets (:mod:`.cifar_resnet`), Galloway's
CNNs, LeNet5 and CifarNet (:mod:`.mnist`), and Cheng & Hu's 56x56 MNIST architectures
(:mod:`.m56`). Importing the package registers all of them."""

from compression_robustness.models import cifar_resnet, m56, mnist  # noqa: F401  (register)
from compression_robustness.models.cifar_resnet import BasicBlock, CifarResNet
from compression_robustness.models.layers import Normalize
from compression_robustness.models.registry import ARCHS, build_arch, count_params
from compression_robustness.models.trace import LayerCall, trace_layers

__all__ = [
    "ARCHS",
    "BasicBlock",
    "CifarResNet",
    "LayerCall",
    "Normalize",
    "build_arch",
    "count_params",
    "trace_layers",
]
