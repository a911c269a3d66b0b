"""Binary convolutions (XNOR-Net, ABC-Net) and :func:`binarize` for the CIFAR ResNets.

* **XNOR-Net** (Rastegari et al. 2016, "XNOR-Net: ImageNet classification using binary
  convolutional neural networks"): weights ``sign(W) * alpha`` with ``alpha = mean|W|`` per
  output channel, activations ``sign(x)``. XNOR-Net's activation scaling factor ``K`` (a box
  filter of ``mean_c |x|``) is omitted, as in the brief and common re-implementations: only
  the sign is binarised. ``sign(0) = +1`` so every activation is exactly +-1.
* **ABC-Net** (Lin, Zhao & Pan 2017, "Towards accurate binary convolutional neural
  network"): ``M`` binary weight bases ``B_m = sign(W - mean(W) + u_m std(W))`` with ``u_m``
  evenly spread in [-1, 1] (``u = 0`` when ``M = 1``) and scalars ``alpha_m`` fitted by least
  squares, ``min_alpha ||W - sum_m alpha_m B_m||^2``. As in the paper's formulation, mean,
  std and ``alpha_m`` are **per layer** by default; ``per_channel=True`` fits them per output
  channel instead. ``N`` binary activation bases ``A_n = H_{v_n}(x) = sign(clip(x + v_n, 0,
  1) - 0.5)`` (i.e. +1 where ``x + v_n >= 0.5``) with learnable shifts ``v_n`` and learnable
  scales ``beta_n``, ``x ~ sum_n beta_n A_n``. The paper does not fix an initialisation; ours
  puts the thresholds ``0.5 - v_n`` at ``(2n - N - 1) / (N + 1)`` (0 for ``N = 1``, i.e.
  XNOR's ``sign``) and ``beta_n = 1 / N``.

Fast path. Convolution is bilinear, so ``sum_{m,n} alpha_m beta_n conv(A_n, B_m) ==
conv(sum_n beta_n A_n, sum_m alpha_m B_m)``: :meth:`BinaryConv2d.forward` runs one
convolution of the effective binary input with the effective binary weight, at roughly
full-precision cost; :meth:`BinaryConv2d.explicit_forward` is the literal ``M x N`` sum (for
tests). The cost model (:mod:`compression_robustness.runtime.costs`) still charges ``M * N``
binary convolutions, which is what XNOR/popcount hardware executes.

Gradients (training). ``sign`` uses the straight-through estimator (Bengio et al. 2013;
Courbariaux, Hubara et al. 2016 "BinaryNet"): the gradient passes where ``|x| <= 1``, i.e.
the derivative of ``hardtanh``, as in the XNOR-Net code. For weights, autograd also goes
through XNOR's ``alpha = mean|W|``; ABC's ``alpha_m`` (and the mean/std that define the bases)
are treated as constants, giving ABC-Net's ``dL/dW = sum_m alpha_m dL/dB_m``. ABC's
activation passes the gradient through the bounded activation ``h_v(x) = clip(x + v, 0, 1)``
like the paper, scaled by 2 so that it is exactly the derivative of the surrogate below.

Surrogate (for BPDA, Athalye et al. 2018). ``set_surrogate(model, True)`` replaces the
activation ``sign`` in the *forward* pass by its identity-clip surrogate: ``clip(x, -1, 1)``
for XNOR, ``sum_n beta_n (2 clip(x + v_n, 0, 1) - 1)`` for ABC. The weights stay binarised
(they are constants with respect to the input). Default (off) is the true binary forward.

Block layout. The CIFAR ResNet's ReLUs sit right before the block convolutions, and the
sign of a ReLU output is constantly +1, so a binary conv there would see no information.
:func:`binarize` therefore replaces the ReLUs (stem ``relu``, each block's ``relu1`` and
``relu2``) by ``nn.Hardtanh`` by default (BinaryNet's real-valued activation), which gives
XNOR-Net's layer order BN -> binary activation -> binary conv (Rastegari et al. 2016).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch
from torch import nn

from compression_robustness.compression.base import CompressionMethod, register
from compression_robustness.core import recipes as R
from compression_robustness.core.registry import Registry
from compression_robustness.core.units import Family
from compression_robustness.models import BasicBlock

log = logging.getLogger(__name__)


def _sign(x: torch.Tensor) -> torch.Tensor:
    """sign with sign(0) = +1, so the output is exactly +-1."""
    return (x >= 0).to(x.dtype) * 2 - 1


class _SignSTE(torch.autograd.Function):
    """sign(x) forward; straight-through gradient where ``|x| <= 1`` (BinaryNet, XNOR-Net)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x.abs() <= 1)
        return _sign(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (inside,) = ctx.saved_tensors
        return grad * inside


def _multilevel_forward(x: torch.Tensor, shift: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """``sum_n beta_n sign(x + v_n - 0.5)`` (the forward of :class:`_MultiLevelSTE`)."""
    out = torch.zeros_like(x)
    for n in range(shift.shape[0]):
        out = out + torch.where(x + shift[n] - 0.5 >= 0, beta[n], -beta[n])
    return out


def _multilevel_backward(
    x: torch.Tensor, grad: torch.Tensor, shift: torch.Tensor, beta: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of :func:`_multilevel_forward` for x, shift and beta (see the class)."""
    gx = torch.zeros_like(x)
    gshift, gbeta = [], []
    for n in range(shift.shape[0]):
        z = x + shift[n]
        g = grad * ((z >= 0) & (z <= 1)).to(x.dtype) * (2 * beta[n])
        gx = gx + g
        gshift.append(g.sum())
        gbeta.append(torch.where(z - 0.5 >= 0, grad, -grad).sum())
    return gx, torch.stack(gshift), torch.stack(gbeta)


#: activations at least this large run the compiled kernels (training and attack batches);
#: smaller ones (tests, single images) run eager and never pay the compile
COMPILE_MIN_NUMEL = 1 << 18
_compiled: dict[str, object] = {}


def _run_kernel(name: str, fn, numel: int, *args):
    """``fn(*args)``, through Inductor (one fused loop instead of about 7 passes per basis)
    for inputs of at least :data:`COMPILE_MIN_NUMEL` elements; eager for smaller inputs or
    once compiling has failed (logged once; compile errors surface at the first call).

    The compiled kernels run the same float operations in the same order as ``fn``, so their
    outputs are bit-identical (tested); only the gradient sums' reduction order differs.
    """
    if numel < COMPILE_MIN_NUMEL or _compiled.get(name) is False:
        return fn(*args)
    try:
        if name not in _compiled:
            _compiled[name] = torch.compile(fn, dynamic=True)
        return _compiled[name](*args)
    except Exception as e:  # no compiler toolchain, unsupported platform
        log.warning("ABC-Net activation kernel runs eager: torch.compile failed (%s)", e)
        _compiled[name] = False
        return fn(*args)


class _MultiLevelSTE(torch.autograd.Function):
    """ABC-Net's ``sum_n beta_n H_{v_n}(x)`` without materialising the N bases for autograd.

    Backward: d/dx of ``H_v`` is ``2 * 1{0 <= x + v <= 1}`` (straight through the bounded
    activation h_v), d/dv_n likewise, d/dbeta_n = ``H_{v_n}(x)``. Large inputs run
    through compiled kernels (:func:`_run_kernel`): ABC(5x5) training on one CPU thread spent
    two thirds of each step in this function's eager form.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, shift: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, shift, beta)
        s, b = shift.detach(), beta.detach()
        return _run_kernel("forward", _multilevel_forward, x.numel(), x, s, b)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, shift, beta = ctx.saved_tensors
        s, b = shift.detach(), beta.detach()
        gx, gshift, gbeta = _run_kernel(
            "backward", _multilevel_backward, x.numel(), x, grad.contiguous(), s, b
        )
        return gx, gshift.to(shift.dtype), gbeta.to(beta.dtype)


class BinaryConv2d(nn.Conv2d):
    """Base of the binary convolutions: an ``nn.Conv2d`` whose forward binarises.

    Subclasses define ``num_weight_bases`` (M), ``num_activation_bases`` (N),
    :meth:`weight_bases`, :meth:`activation_bases`, :meth:`effective_weight`,
    :meth:`binary_input` and :meth:`stored_scalars`. The latent full-precision weight stays
    in ``self.weight`` (so a trained fp conv can be binarised and fine-tuned).
    """

    num_weight_bases: int = 1
    num_activation_bases: int = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.surrogate = False

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, **kwargs) -> BinaryConv2d:
        """A binary copy of ``conv`` (same geometry, weights and device)."""
        new = cls(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            groups=conv.groups,
            bias=conv.bias is not None,
            padding_mode=conv.padding_mode,
            **kwargs,
        ).to(device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            new.weight.copy_(conv.weight)
            if conv.bias is not None:
                new.bias.copy_(conv.bias)
        return new

    def weight_bases(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, alpha)``: bases ``(M, *weight.shape)`` of +-1 and scales ``(M,)`` or ``(M, out)``."""
        raise NotImplementedError

    def activation_bases(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(A, beta)``: the true binary bases ``(N, *x.shape)`` of +-1 and scales ``(N,)``."""
        raise NotImplementedError

    def effective_weight(self) -> torch.Tensor:
        """``sum_m alpha_m B_m``, the weight the fast path convolves with."""
        raise NotImplementedError

    def binary_input(self, x: torch.Tensor) -> torch.Tensor:
        """``sum_n beta_n A_n`` (or its surrogate when ``self.surrogate``)."""
        raise NotImplementedError

    def stored_scalars(self) -> int:
        """Full-precision numbers this layer stores at inference besides the binary weights."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(self.binary_input(x), self.effective_weight(), self.bias)

    def explicit_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The literal ``sum_{m,n} alpha_m beta_n conv(A_n, B_m)`` (M*N convolutions; tests)."""
        bases, alpha = self.weight_bases()
        acts, beta = self.activation_bases(x)
        out = torch.zeros((), dtype=x.dtype, device=x.device)
        for m in range(bases.shape[0]):
            a = alpha[m].view(1, -1, 1, 1) if alpha.dim() == 2 else alpha[m]
            for n in range(acts.shape[0]):
                out = out + a * beta[n] * self._conv_forward(acts[n], bases[m], None)
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, M={self.num_weight_bases}, N={self.num_activation_bases}"


class XNORConv2d(BinaryConv2d):
    """XNOR-Net convolution (Rastegari et al. 2016): ``conv(sign(x), sign(W) * alpha)``.

    ``alpha = mean |W|`` per output channel (the closed-form optimum of
    ``||W - alpha B||^2``). It is not counted as stored (``stored_scalars() == 0``): a
    per-output-channel scale right before a BatchNorm folds into it.
    """

    num_weight_bases = 1
    num_activation_bases = 1

    def _alpha(self) -> torch.Tensor:
        return self.weight.abs().mean(dim=tuple(range(1, self.weight.dim())))

    def weight_bases(self) -> tuple[torch.Tensor, torch.Tensor]:
        return _SignSTE.apply(self.weight).unsqueeze(0), self._alpha().unsqueeze(0)

    def activation_bases(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _SignSTE.apply(x).unsqueeze(0), torch.ones(1, dtype=x.dtype, device=x.device)

    def effective_weight(self) -> torch.Tensor:
        alpha = self._alpha().view(-1, *([1] * (self.weight.dim() - 1)))
        return _SignSTE.apply(self.weight) * alpha

    def binary_input(self, x: torch.Tensor) -> torch.Tensor:
        if self.surrogate:
            return x.clamp(-1.0, 1.0)
        return _SignSTE.apply(x)

    def stored_scalars(self) -> int:
        return 0


class ABCConv2d(BinaryConv2d):
    """ABC-Net convolution (Lin et al. 2017) with ``M`` weight and ``N`` activation bases.

    ``ABCConv2d(in, out, k, ..., M=3, N=3, per_channel=False)``. See the module docstring for
    the bases. Stored scalars: ``alpha_m`` (``M`` per layer, or ``M * out`` with
    ``per_channel``), ``beta_n`` and ``v_n`` (``N`` each).
    """

    def __init__(self, *args, M: int = 1, N: int = 1, per_channel: bool = False, **kwargs):
        if M < 1 or N < 1:
            raise ValueError(f"ABC-Net needs M >= 1 and N >= 1, got M={M}, N={N}")
        super().__init__(*args, **kwargs)
        self.num_weight_bases, self.num_activation_bases = int(M), int(N)
        self.per_channel = bool(per_channel)
        u = torch.linspace(-1.0, 1.0, M) if M > 1 else torch.zeros(1)
        self.register_buffer("u", u, persistent=False)
        thresholds = (2 * torch.arange(1, N + 1, dtype=torch.float32) - N - 1) / (N + 1)
        self.shift = nn.Parameter(0.5 - thresholds)
        self.beta = nn.Parameter(torch.full((N,), 1.0 / N))

    def _fit_alpha(self, bases: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Least-squares ``alpha`` (normal equations, pseudo-inverse for repeated bases)."""
        m = bases.shape[0]
        if self.per_channel:
            b = bases.flatten(2).double()  # (M, out, n)
            gram = torch.einsum("mon,pon->omp", b, b)
            rhs = torch.einsum("mon,on->om", b, w.flatten(1).double())
            alpha = (torch.linalg.pinv(gram) @ rhs.unsqueeze(-1)).squeeze(-1).T  # (M, out)
        else:
            b = bases.reshape(m, -1).double()
            alpha = torch.linalg.pinv(b @ b.T) @ (b @ w.flatten().double())  # (M,)
        return alpha.to(w.dtype)

    def weight_bases(self) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.weight
        dims = tuple(range(1, w.dim())) if self.per_channel else tuple(range(w.dim()))
        mean = w.mean(dims, keepdim=True).detach()
        std = w.std(dims, keepdim=True, correction=0).detach()
        shifted = (w - mean).unsqueeze(0) + self.u.view(-1, *([1] * w.dim())) * std.unsqueeze(0)
        bases = _SignSTE.apply(shifted)  # (M, *w.shape)
        with torch.no_grad():
            alpha = self._fit_alpha(bases, w)
        return bases, alpha

    def effective_weight(self) -> torch.Tensor:
        bases, alpha = self.weight_bases()
        shape = (-1, *([1] * self.weight.dim()))
        if self.per_channel:
            shape = (bases.shape[0], -1, *([1] * (self.weight.dim() - 1)))
        return (alpha.view(shape) * bases).sum(0)

    def activation_bases(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = x.unsqueeze(0) + self.shift.view(-1, *([1] * x.dim()))
        return _sign(z - 0.5), self.beta

    def binary_input(self, x: torch.Tensor) -> torch.Tensor:
        if self.surrogate:
            z = x.unsqueeze(0) + self.shift.view(-1, *([1] * x.dim()))
            return (self.beta.view(-1, *([1] * x.dim())) * (2 * z.clamp(0.0, 1.0) - 1)).sum(0)
        return _MultiLevelSTE.apply(x, self.shift, self.beta)

    def stored_scalars(self) -> int:
        alphas = self.num_weight_bases * (self.out_channels if self.per_channel else 1)
        return alphas + 2 * self.num_activation_bases

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, per_channel={self.per_channel}"


BINARIZATIONS: Registry[type[BinaryConv2d]] = Registry("binarization", param="kind")
BINARIZATIONS.register("xnor", XNORConv2d)
BINARIZATIONS.register("abc", ABCConv2d)

_ACTIVATIONS = {"hardtanh": nn.Hardtanh, "identity": nn.Identity, "relu": nn.ReLU}


def binarize(
    model: nn.Module,
    kind: str = "xnor",
    M: int = 1,
    N: int = 1,
    *,
    per_channel: bool = False,
    activation: str = "hardtanh",
) -> nn.Module:
    """Binarise a CIFAR ResNet in place and return it.

    Every convolution of every :class:`~compression_robustness.models.BasicBlock` becomes an
    :class:`XNORConv2d` (``kind="xnor"``, Rastegari et al. 2016; needs ``M = N = 1``) or an
    :class:`ABCConv2d` (``kind="abc"``, Lin et al. 2017, ``M`` weight and ``N`` activation
    bases), initialised from the current weights. The first convolution and the fc layer stay
    in full precision and all BatchNorms are kept, so ``model.features()`` still works.
    ``activation`` replaces the ReLUs in front of the binary convs (stem ``relu``, blocks'
    ``relu1``/``relu2``): ``"hardtanh"`` (default; see the module docstring), ``"identity"``,
    or ``"relu"`` (keep them; then XNOR's ``sign`` sees only non-negative inputs).
    """
    cls = BINARIZATIONS.get(kind)
    if cls is XNORConv2d and (M, N) != (1, 1):
        raise ValueError(f"XNOR-Net has one weight and one activation base, got M={M}, N={N}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {sorted(_ACTIVATIONS)}")
    kwargs = {"M": M, "N": N, "per_channel": per_channel} if cls is ABCConv2d else {}
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    if not blocks:
        raise ValueError("binarize needs a CIFAR ResNet (a model with BasicBlock modules)")
    act = _ACTIVATIONS[activation]
    for block in blocks:
        for attr in ("conv1", "conv2"):
            conv = getattr(block, attr)
            if isinstance(conv, BinaryConv2d):
                raise ValueError("model is already binarised")
            setattr(block, attr, cls.from_conv(conv, **kwargs))
        if activation != "relu":
            block.relu1, block.relu2 = act(), act()
    if activation != "relu" and isinstance(getattr(model, "relu", None), nn.ReLU):
        model.relu = act()
    return model


def binary_layers(model: nn.Module) -> list[BinaryConv2d]:
    """The binary convolutions of ``model`` (empty for a full-precision model)."""
    return [m for m in model.modules() if isinstance(m, BinaryConv2d)]


def set_surrogate(model: nn.Module, on: bool) -> nn.Module:
    """Switch every binary layer's activation ``sign`` to its differentiable surrogate (BPDA).

    ``on=False`` (the default state) restores the true binary forward. Raises ``ValueError``
    for a model without binary layers, so a mix-up is not silently ignored. Returns ``model``.
    """
    layers = binary_layers(model)
    if not layers:
        raise ValueError("set_surrogate: the model has no binary layers")
    for layer in layers:
        layer.surrogate = bool(on)
    return model


@contextlib.contextmanager
def surrogate_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``with surrogate_mode(model):`` runs the surrogate forward, restoring the previous state."""
    layers = binary_layers(model)
    before = [layer.surrogate for layer in layers]
    set_surrogate(model, True)
    try:
        yield model
    finally:
        for layer, state in zip(layers, before, strict=True):
            layer.surrogate = state


# --------------------------------------------------------------------------- zoo methods
#: binarize()'s settings that are not its defaults' business: spelled out so they are hashed
_ZOO_BINARY = {"activation": "hardtanh"}


def _binary_structure(model: nn.Module, settings) -> None:
    binarize(model, **settings["binary"])


def binary_method(name: str, title: str, binary: dict, order: int) -> CompressionMethod:
    """A zoo method that binarises every residual block of the vanilla weights, then
    fine-tunes (ABC-Net's activation bases cost 1.9x-3.4x an XNOR step on CPU, so the cpu
    profile fine-tunes them for fewer epochs)."""
    abc = binary["kind"] == "abc"
    return CompressionMethod(
        name,
        Family.BINARY,
        title,
        "{arch} " + f"binarised ({name}), initialised from the vanilla weights",
        order,
        settings={"binary": {**binary, **_ZOO_BINARY}},
        recipes={
            "smoke": R.SMOKE_FINETUNE,
            "cpu": R.CPU_FINETUNE_ABC if abc else R.CPU_FINETUNE_BINARY,
            "paper": R.PAPER_BINARY,
            "cpu-next": R.CPU_NEXT_FINETUNE_ABC if abc else R.CPU_NEXT_FINETUNE_BINARY,
        },
        deep_recipes={
            "cpu-next": R.CPU_NEXT_FINETUNE_ABC_DEEP if abc else R.CPU_NEXT_FINETUNE_BINARY_DEEP
        },
        parent="vanilla",
        structure=_binary_structure,
        profiles={"resnet20": ("smoke", "cpu", "paper"), "resnet56": ("paper",)},
        weight_bits=1,
    )


register(binary_method("xnor", "XNOR", {"kind": "xnor"}, 30))
for _i, _m in enumerate((1, 3, 5)):
    _abc = {"kind": "abc", "M": _m, "N": _m, "per_channel": False}
    register(binary_method(f"abc-{_m}x{_m}", f"ABC {_m}×{_m}", _abc, 31 + _i))
