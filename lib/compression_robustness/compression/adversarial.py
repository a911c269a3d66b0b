"""Adversarial training: a loss for :func:`compression_robustness.runtime.train.train`.

:func:`adversarial_loss` returns ``loss_fn(logits, y, x)`` for the trainer, which calls it
with the clean logits and the clean batch ``x`` in [0, 1] (before normalisation). It
crafts adversarial examples of ``x`` against the current weights and returns

* ``kind="fgsm"`` (Goodfellow et al. 2015, the "+" models of Galloway et al.):
  ``0.5 * CE(clean) + 0.5 * CE(FGSM(x))`` with one signed-gradient step of size ``eps``;
* ``kind="pgd"`` (Madry et al. 2018, the "+*" models): ``CE(PGD(x))`` (optionally mixed
  with the clean loss, ``clean_weight``), ``steps``
  signed-gradient steps of size ``alpha`` from a uniform random start in the L∞ ball of
  radius ``eps``, projected onto the ball and [0, 1].

``eps`` and ``alpha`` are in [0, 1] input units (Galloway et al. use ε = 0.3 on MNIST).
The attack runs with the network in eval mode (batch-norm running statistics, no
updates) and only the input gradient is taken; the weights' gradients come from the
returned loss alone.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness.core.params import check_choices, check_number

ADV_KINDS = ("fgsm", "pgd")


def _input_grad(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        loss = F.cross_entropy(net(xg), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, xg)
    return g


def craft(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    kind: str,
    eps: float,
    steps: int = 1,
    alpha: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Adversarial examples of ``x`` for ``net`` (which takes [0, 1] inputs)."""
    modes = [(m, m.training) for m in net.modules()]
    net.eval()
    try:
        if kind == "fgsm":
            xa = x + eps * _input_grad(net, x, y).sign()
        else:
            alpha = alpha if alpha is not None else 2.5 * eps / steps
            noise = torch.rand(x.shape, generator=generator) * 2 - 1
            xa = (x + eps * noise).clamp(0, 1)
            lo, hi = (x - eps).clamp(min=0), (x + eps).clamp(max=1)
            for _ in range(steps):
                xa = xa + alpha * _input_grad(net, xa, y).sign()
                xa = torch.minimum(torch.maximum(xa, lo), hi)
        return xa.clamp(0, 1).detach()
    finally:
        for m, mode in modes:
            m.training = mode


def adversarial_loss(
    net: nn.Module,
    kind: str,
    eps: float,
    steps: int = 1,
    alpha: float | None = None,
    seed: int = 0,
    clean_weight: float | None = None,
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """The trainer's ``loss_fn`` for adversarial training of ``net`` ([0, 1] inputs).

    ``clean_weight`` (default 0.5 for FGSM, 0 for PGD) mixes in the clean loss:
    ``w * CE(clean) + (1 - w) * CE(adversarial)``."""
    check_choices("adv_kind", [kind], ADV_KINDS)
    check_number("adv_eps", eps, min=0, strict_min=True, max=1)
    check_number("adv_steps", steps, min=1, integer=True)
    w = (0.5 if kind == "fgsm" else 0.0) if clean_weight is None else float(clean_weight)
    check_number("clean_weight", w, min=0, max=1)
    gen = torch.Generator().manual_seed(seed)

    def loss_fn(logits: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        xa = craft(net, x, y, kind, eps, steps, alpha, gen)
        adv = F.cross_entropy(net(xa), y)
        return w * F.cross_entropy(logits, y) + (1 - w) * adv if w else adv

    return loss_fn
