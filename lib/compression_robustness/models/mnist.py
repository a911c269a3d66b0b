"""Small CNNs of the MNIST-family papers, registered as architectures.

* **Galloway et al. (ICLR 2018), "Attacking Binarized Neural Networks"**: the authors'
  code builds on the cleverhans MNIST tutorial CNN: three convolutions (8×8 stride 2
  "same", 6×6 stride 2 "valid", 5×5 stride 1 "valid") with ``K``, ``2K`` and ``2K``
  filters, each followed by its activation, then one fully connected layer to the 10
  classes. ``K`` (64, 128, 256 in the paper; 32 also appears in its C&W table) is the
  number of filters in the first layer. Four kinds (:class:`GallowayCNN`):

  - ``a``: full precision, ReLU;
  - ``b``: binarised weights (all layers) and activations (hidden layers): deterministic
    sign in the forward pass, straight-through gradient clipped to ``|w| <= 1`` (and
    ``|x| <= 1``) as in the authors' code (Courbariaux et al.'s STE); batch normalisation
    before each sign, and a learned scalar on the logits ("scaled" BNN: without it the
    logits of ±1 dot products are huge and the softmax saturates, which is the gradient
    masking the paper warns about);
  - ``c``: ``a`` with a learned scalar on the output of each ReLU;
  - ``s``: ``b`` whose first-layer weights are binarised *stochastically*
    (``P(+1) = clip((w / std(w) + 1) / 2, 0, 1)``, Courbariaux et al.'s hard sigmoid on
    weights normalised by the layer's standard deviation), also at test time, so every
    forward pass samples new weights (the paper: stochastically quantising the weights of
    one layer).

* **Zhao et al. (SysML 2019), "To compress or not to compress"**: LeNet5 (Caffe's
  variant, 431,080 parameters, as the paper reports) on MNIST, and CifarNet on CIFAR-10:
  eight 3×3 convolutions (64, 64, 128/2, 128, 128, 192/2, 192, 192 filters, "/2" =
  stride 2) with batch normalisation, global average pooling and a linear classifier,
  1.29M parameters (the paper reports 1.3M; its exact layer list is not given here, so
  this layout is our choice with that parameter count).

Every layer type here is an ``nn.Conv2d``/``nn.Linear`` subclass with the same parameter
names, so a compressed model loads its full-precision parent's weights directly
(:mod:`compression_robustness.compression.dns and .fixed_point` adds the DNS masks and fixed-point quantisers).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness.models.quant import ActivationQuantizer
from compression_robustness.models.registry import ARCHS

GALLOWAY_KINDS = ("a", "b", "c", "s")
GALLOWAY_WIDTHS = (32, 64, 128, 256)


# --------------------------------------------------------------------------- binarisation
class _SignSTE(torch.autograd.Function):
    """sign(x) (with sign(0) = +1) forward; gradient passed where |x| <= 1, else 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """Deterministic binarisation with the clipped straight-through gradient."""
    return _SignSTE.apply(x)


class _StochasticSignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        p = ((x + 1) / 2).clamp(0, 1)
        return torch.where(torch.rand_like(x) < p, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def stochastic_sign_ste(x: torch.Tensor) -> torch.Tensor:
    """+1 with probability ``hard_sigmoid(x) = clip((x+1)/2, 0, 1)``, else -1; clipped STE.

    Draws from torch's global generator (seed it with ``torch.manual_seed``)."""
    return _StochasticSignSTE.apply(x)


class BinaryConv2d(nn.Conv2d):
    """Conv2d whose weights are binarised to ±1 in the forward pass (STE backward)."""

    stochastic = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stochastic:
            # P(+1) = hard_sigmoid(w / std(w)): the latent weights are ~1/sqrt(fan_in)
            # in size, so without the normalisation every sample would be a coin flip.
            w = stochastic_sign_ste(self.weight / self.weight.detach().std().clamp_min(1e-8))
        else:
            w = sign_ste(self.weight)
        return self._conv_forward(x, w, self.bias)


class StochasticBinaryConv2d(BinaryConv2d):
    stochastic = True


class BinaryLinear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, sign_ste(self.weight), self.bias)


class SignActivation(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sign_ste(x)


class Scale(nn.Module):
    """Multiply by one learned scalar."""

    def __init__(self, init: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def clip_binary_weights(model: nn.Module) -> None:
    """Keep the real-valued weights of binarised layers in [-1, 1] (Courbariaux et al.)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, BinaryConv2d | BinaryLinear):
                m.weight.clamp_(-1.0, 1.0)


# --------------------------------------------------------------------------- Galloway CNN
class GallowayCNN(nn.Module):
    """The cleverhans tutorial CNN with ``k`` first-layer filters, of kind a/b/c/s."""

    def __init__(self, k: int = 64, kind: str = "a", num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        if kind not in GALLOWAY_KINDS:
            raise ValueError(f"unknown Galloway model kind {kind!r}; valid: {GALLOWAY_KINDS}")
        self.k, self.kind = k, kind
        binary = kind in ("b", "s")
        conv1 = StochasticBinaryConv2d if kind == "s" else (BinaryConv2d if binary else nn.Conv2d)
        conv = BinaryConv2d if binary else nn.Conv2d
        self.conv1 = conv1(in_channels, k, 8, 2, 3, bias=not binary)
        self.conv2 = conv(k, 2 * k, 6, 2, 0, bias=not binary)
        self.conv3 = conv(2 * k, 2 * k, 5, 1, 0, bias=not binary)
        if binary:
            self.bn1, self.bn2, self.bn3 = (nn.BatchNorm2d(c) for c in (k, 2 * k, 2 * k))
            self.act1, self.act2, self.act3 = SignActivation(), SignActivation(), SignActivation()
            self.fc = BinaryLinear(2 * k, num_classes, bias=True)
            self.out_scale = Scale(1.0 / (2 * k) ** 0.5)
        else:
            self.bn1 = self.bn2 = self.bn3 = None
            if kind == "c":
                self.act1, self.act2, self.act3 = (
                    nn.Sequential(nn.ReLU(), Scale(1.0)) for _ in range(3)
                )
            else:
                self.act1, self.act2, self.act3 = nn.ReLU(), nn.ReLU(), nn.ReLU()
            self.fc = nn.Linear(2 * k, num_classes)
            self.out_scale = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in (1, 2, 3):
            x = getattr(self, f"conv{i}")(x)
            bn = getattr(self, f"bn{i}")
            if bn is not None:
                x = bn(x)
            x = getattr(self, f"act{i}")(x)
        x = self.fc(torch.flatten(x, 1))
        return self.out_scale(x) if self.out_scale is not None else x


def _galloway_builder(kind: str, k: int):
    def build(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
        return GallowayCNN(k, kind, num_classes, in_channels)

    return build


for _kind in GALLOWAY_KINDS:
    for _k in GALLOWAY_WIDTHS:
        ARCHS.register(f"galloway-{_kind}{_k}", _galloway_builder(_kind, _k))


# --------------------------------------------------------------------------- Zhao et al.
def _act(act_bits: int | None, act_int_bits: int | None) -> nn.Module:
    """ReLU, followed by a fixed-point activation quantiser when ``act_bits`` is set."""
    if act_bits is None:
        return nn.ReLU()
    return nn.Sequential(nn.ReLU(), ActivationQuantizer(act_bits, act_int_bits))


class LeNet5(nn.Module):
    """Caffe's LeNet5: conv5x5(20)-pool-conv5x5(50)-pool-fc500-fc10; 431,080 parameters."""

    def __init__(self, num_classes=10, in_channels=1, act_bits=None, act_int_bits=None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.fc2 = nn.Linear(500, num_classes)
        self.act = _act(act_bits, act_int_bits)
        # Caffe's LeNet5 has no activation after its convolutions; a quantised model
        # quantises their (pooled) outputs too.
        q = act_bits is not None
        self.q1 = ActivationQuantizer(act_bits, act_int_bits) if q else nn.Identity()
        self.q2 = ActivationQuantizer(act_bits, act_int_bits) if q else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.q1(F.max_pool2d(self.conv1(x), 2))
        x = self.q2(F.max_pool2d(self.conv2(x), 2))
        x = self.act(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


CIFARNET_LAYERS = ((64, 1), (64, 1), (128, 2), (128, 1), (128, 1), (192, 2), (192, 1), (192, 1))


class CifarNet(nn.Module):
    """Eight 3×3 conv-BN-ReLU layers, global average pooling, linear; 1.29M parameters."""

    def __init__(self, num_classes=10, in_channels=3, act_bits=None, act_int_bits=None):
        super().__init__()
        layers, c = [], in_channels
        for out, stride in CIFARNET_LAYERS:
            layers += [
                nn.Conv2d(c, out, 3, stride, 1, bias=False),
                nn.BatchNorm2d(out),
                _act(act_bits, act_int_bits),
            ]
            c = out
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


@ARCHS.register("lenet5")
def lenet5(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    return LeNet5(num_classes, in_channels)


@ARCHS.register("cifarnet")
def cifarnet(num_classes: int = 10, in_channels: int = 3) -> nn.Module:
    return CifarNet(num_classes, in_channels)
