"""Magnitude pruning at a MAC target with four regularities, implemented with masks.

BreakingBED (Vemparala et al. 2021, Table 1) prunes the CIFAR ResNets to 50% of their
compute at four granularities (Mao et al. 2017, "Exploring the granularity of sparsity in
convolutional neural networks"), all with the l2-norm criterion:

* ``filter``: whole output filters of a convolution (Li et al. 2017, "Pruning filters for
  efficient ConvNets"), scored by the l2 norm of the filter ``W[o]``;
* ``channel``: input channels of a convolution (He et al. 2017, "Channel pruning for
  accelerating very deep neural networks"), scored by the l2 norm of ``W[:, i]``; removing
  input channel ``i`` also removes the filter (and its BN channel) that produces it;
* ``kernel``: individual k x k kernels, i.e. ``(out, in)`` pairs, scored by ``||W[o, i]||_2``;
* ``weight``: individual weights, scored by ``|w|`` (Han et al. 2015, "Learning both weights
  and connections for efficient neural networks").

Structure. In a CIFAR ResNet the residual additions tie the channels of the block outputs
together, so ``filter`` and ``channel`` prune only the *inner* channels of each
:class:`~compression_robustness.models.BasicBlock` (``conv1``'s outputs = ``conv2``'s
inputs). The two then remove the same kind of structure (``conv1`` filter + ``bn1`` channel
+ ``conv2`` input channel) and differ only in the criterion. ``kernel`` and ``weight`` prune
both convolutions of every block. The first convolution and the fc layer are never pruned,
at any granularity.

Masks, not surgery: pruned weights are set to zero and kept at zero during fine-tuning by
:func:`mask_hook` (pass it as ``train(..., after_step=mask_hook(masks))``). For
``filter``/``channel`` the masks also zero the BN weight and bias of removed channels, so
those channels output exactly 0 in train and eval mode.

Allocation (how much to prune in each layer). The paper allocated per-layer sparsity with
AMC's reinforcement-learning agent (He et al. 2018, "AMC: AutoML for model compression").
We use a simpler, deterministic allocator: **one uniform rate r for every prunable layer**
(layer l loses ``floor(r * U_l)`` of its ``U_l`` units -- inner channels, kernels or
weights -- the lowest-l2 ones), with r found by bisection on the MAC count that the masks
actually achieve, then a one-unit top-up in the layers with the largest rounding remainder
to land closest to the target. The target is ``mac_fraction`` of the *whole* model's MACs
(first conv and fc included in the total, even though they are not pruned); the achieved MAC
count is within one unit's MACs (< 1% of the total for the CIFAR ResNets) of the target.
At 50% MACs a uniform rate keeps about 50% of the block weights, fewer than the paper's
AMC allocation evidently kept (its memory column implies 57-74% for the channel- and
kernel-pruned rows; pruning the early, high-resolution layers harder, where a weight costs
more MACs, keeps more weights), so our channel- and kernel-pruned models are smaller in
memory than the paper's; see ``tests/test_runtime_costs.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from compression_robustness.compression.base import CompressionMethod, Preparation, register
from compression_robustness.core import recipes as R
from compression_robustness.core.registry import Registry
from compression_robustness.core.units import Family
from compression_robustness.models import BasicBlock, trace_layers

Masks = dict[str, torch.Tensor]

PRUNING: Registry[Callable[..., Masks]] = Registry("pruning regularity", param="regularity")


@dataclass
class _Units:
    """The prunable units of one layer (or one block's inner channels)."""

    scores: torch.Tensor  # (U,) l2 norm of each unit; the lowest are removed first
    cost: int  # MACs per image that removing one unit saves
    to_masks: Callable[[torch.Tensor], Masks]  # keep (U,) bool -> {param name: 0/1 mask}


def _blocks(model: nn.Module) -> list[tuple[str, BasicBlock]]:
    blocks = [(n, m) for n, m in model.named_modules() if isinstance(m, BasicBlock)]
    if not blocks:
        raise ValueError("pruning needs a CIFAR ResNet (a model with BasicBlock modules)")
    return blocks


def _inner_channel_units(model: nn.Module, positions: dict[str, int], by: str) -> list[_Units]:
    units = []
    for name, b in _blocks(model):
        w1, w2 = b.conv1.weight.detach(), b.conv2.weight.detach()
        if by == "filter":
            scores = w1.flatten(1).norm(dim=1)
        else:
            scores = w2.transpose(0, 1).flatten(1).norm(dim=1)
        cost = (
            w1[0].numel() * positions[f"{name}.conv1"]
            + w2[:, 0].numel() * positions[f"{name}.conv2"]
        )

        def to_masks(keep: torch.Tensor, name=name, w1=w1, w2=w2, bn=b.bn1) -> Masks:
            k = keep.to(w1.dtype)
            return {
                f"{name}.conv1.weight": k.view(-1, 1, 1, 1).expand_as(w1).clone(),
                f"{name}.conv2.weight": k.view(1, -1, 1, 1).expand_as(w2).clone(),
                f"{name}.bn1.weight": k.clone().to(bn.weight.dtype),
                f"{name}.bn1.bias": k.clone().to(bn.bias.dtype),
            }

        units.append(_Units(scores, cost, to_masks))
    return units


def _block_convs(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    return [(f"{n}.{c}", getattr(b, c)) for n, b in _blocks(model) for c in ("conv1", "conv2")]


def _kernel_units(model: nn.Module, positions: dict[str, int]) -> list[_Units]:
    units = []
    for name, conv in _block_convs(model):
        w = conv.weight.detach()
        k = w[0, 0].numel()

        def to_masks(keep: torch.Tensor, name=name, w=w) -> Masks:
            shape = (w.shape[0], w.shape[1]) + (1,) * (w.dim() - 2)
            return {f"{name}.weight": keep.to(w.dtype).view(shape).expand_as(w).clone()}

        units.append(_Units(w.flatten(2).norm(dim=2).flatten(), k * positions[name], to_masks))
    return units


def _weight_units(model: nn.Module, positions: dict[str, int]) -> list[_Units]:
    units = []
    for name, conv in _block_convs(model):
        w = conv.weight.detach()

        def to_masks(keep: torch.Tensor, name=name, w=w) -> Masks:
            return {f"{name}.weight": keep.to(w.dtype).view_as(w).clone()}

        units.append(_Units(w.abs().flatten(), positions[name], to_masks))
    return units


def _allocate(units: list[_Units], target_removed: float) -> list[int]:
    """Units to remove per layer: a uniform rate by bisection, then a one-unit top-up."""
    sizes = [len(u.scores) for u in units]
    costs = [u.cost for u in units]

    def counts_at(rate: float) -> list[int]:
        return [math.floor(rate * s) for s in sizes]

    def removed(counts: list[int]) -> int:
        return sum(k * c for k, c in zip(counts, costs, strict=True))

    if removed(sizes) < target_removed:
        raise ValueError(
            f"cannot remove {target_removed:.0f} MACs: the prunable layers only have "
            f"{removed(sizes)}"
        )
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if removed(counts_at(mid)) <= target_removed:
            lo = mid
        else:
            hi = mid
    counts = counts_at(lo)
    current = removed(counts)
    order = sorted(range(len(units)), key=lambda i: lo * sizes[i] - counts[i], reverse=True)
    for i in order:
        new = current + costs[i]
        if counts[i] < sizes[i] and abs(target_removed - new) < abs(target_removed - current):
            counts[i] += 1
            current = new
    return counts


def _prune(
    model: nn.Module,
    regularity: str,
    mac_fraction: float = 0.5,
    input_shape: tuple[int, ...] = (3, 32, 32),
) -> Masks:
    if not 0.0 < mac_fraction <= 1.0:
        raise ValueError(f"mac_fraction must be in (0, 1], got {mac_fraction}")
    calls = trace_layers(model, input_shape)
    positions = {c.name: c.positions for c in calls}
    total = sum(c.dense_macs for c in calls)
    if regularity in ("filter", "channel"):
        units = _inner_channel_units(model, positions, by=regularity)
    elif regularity == "kernel":
        units = _kernel_units(model, positions)
    else:
        units = _weight_units(model, positions)
    counts = _allocate(units, (1.0 - mac_fraction) * total)
    masks: Masks = {}
    for u, k in zip(units, counts, strict=True):
        keep = torch.ones(len(u.scores), dtype=torch.bool, device=u.scores.device)
        keep[torch.argsort(u.scores, stable=True)[:k]] = False
        masks.update(u.to_masks(keep))
    return masks


for _reg in ("filter", "channel", "kernel", "weight"):

    def _builder(model, mac_fraction=0.5, input_shape=(3, 32, 32), _reg=_reg) -> Masks:
        return _prune(model, _reg, mac_fraction, input_shape)

    _builder.__doc__ = f"``{_reg}``-wise l2 pruning masks (see :func:`prune_masks`)."
    PRUNING.register(_reg, _builder)


def prune_masks(
    model: nn.Module,
    regularity: str,
    mac_fraction: float = 0.5,
    input_shape: tuple[int, ...] = (3, 32, 32),
) -> Masks:
    """0/1 masks that keep ``mac_fraction`` of ``model``'s MACs at the given regularity.

    ``regularity`` is one of :data:`PRUNING` (``filter``, ``channel``, ``kernel``,
    ``weight``; an unknown name raises ``UnknownNameError`` listing them). The masks are
    computed from the current weights (l2 criterion, uniform per-layer rate; see the module
    docstring) and are *not* applied: call :func:`apply_masks`. Keys are parameter names,
    values have the parameter's shape and dtype. For ``filter``/``channel`` the entries
    include the BN weight and bias of every pruned channel.
    """
    return PRUNING.get(regularity)(model, mac_fraction=mac_fraction, input_shape=input_shape)


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Masks) -> nn.Module:
    """Zero the masked entries of ``model``'s parameters in place; returns ``model``."""
    params = dict(model.named_parameters())
    missing = sorted(set(masks) - set(params))
    if missing:
        raise KeyError(f"masks name parameters the model does not have: {missing[:5]}")
    for name, mask in masks.items():
        p = params[name]
        p.masked_fill_(mask.to(p.device) == 0, 0.0)
    return model


def mask_hook(masks: Masks) -> Callable[[nn.Module], None]:
    """An ``after_step(model)`` callback for :func:`compression_robustness.runtime.train.train`.

    It re-applies ``masks`` after every optimiser step, so weights pruned before
    fine-tuning stay exactly zero whatever the gradients, momentum or weight decay do.
    """

    def after_step(model: nn.Module) -> None:
        apply_masks(model, masks)

    return after_step


def masks_from_zeros(model: nn.Module) -> Masks:
    """Masks of the exact zeros in the block convolutions of a (pruned) CIFAR ResNet.

    Use it to cost a pruned checkpoint: ``model_costs(model, masks=masks_from_zeros(model))``.
    """
    return {
        f"{n}.weight": (c.weight.detach() != 0).to(c.weight.dtype) for n, c in _block_convs(model)
    }


# --------------------------------------------------------------------------- zoo methods
#: The allocator's name goes into the recipe (the checkpoint's name), so that checkpoints
#: pruned by another policy are never reused.
PRUNE_ALLOCATOR = "uniform-rate-l2"
#: BreakingBED prunes to 50% of the MACs.
MAC_FRACTION_KEPT = 0.5


def _prepare_pruned(model: nn.Module, settings, ctx) -> Preparation:
    p = settings["prune"]
    masks = prune_masks(model, p["regularity"], p["mac_fraction_kept"], ctx.input_shape)
    apply_masks(model, masks)
    return Preparation(masks=masks, after_step=mask_hook(masks))


def pruned_method(regularity: str, order: int, mac_fraction_kept: float = MAC_FRACTION_KEPT):
    """The zoo method ``prune-<regularity>``: l2 masks at a MAC target on the vanilla
    weights, kept zero while fine-tuning."""
    PRUNING.check(regularity)
    pct = round(100 * mac_fraction_kept)
    return CompressionMethod(
        f"prune-{regularity}"
        if mac_fraction_kept == MAC_FRACTION_KEPT
        else f"prune-{regularity}-{pct}",
        Family.PRUNED,
        f"{regularity}-pruned"
        + ("" if mac_fraction_kept == MAC_FRACTION_KEPT else f" ({pct}% MACs)"),
        "{arch} " + f"{regularity}-wise l2-pruned to {pct}% MACs, fine-tuned",
        order,
        settings={
            "prune": {
                "regularity": regularity,
                "mac_fraction_kept": mac_fraction_kept,
                "allocator": PRUNE_ALLOCATOR,
            }
        },
        recipes={
            "smoke": R.SMOKE_FINETUNE,
            "cpu": R.CPU_FINETUNE_PRUNE,
            "paper": R.PAPER_FINETUNE_PRUNE,
            "cpu-next": R.CPU_NEXT_FINETUNE_PRUNE,
        },
        deep_recipes={"cpu-next": R.CPU_NEXT_FINETUNE_PRUNE_DEEP},
        parent="vanilla",
        prepare=_prepare_pruned,
        profiles={"resnet20": ("smoke", "cpu", "paper"), "resnet56": ("paper",)},
    )


for _i, _reg in enumerate(("filter", "channel", "kernel", "weight")):
    register(pruned_method(_reg, 20 + _i))
