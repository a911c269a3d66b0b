"""Memory, MACs and normalised compute cost (NCC) of a model, traced from the model itself.

This reproduces the cost columns of BreakingBED's Table 1 (Vemparala et al. 2021) from the
modules, never from a hand-entered table: forward hooks on every ``nn.Conv2d`` and
``nn.Linear`` record the output size of each layer for one input of ``input_shape``; MACs
and memory then follow from the layer's weight tensor, its pruning mask (if any) and, for
binary layers, the number of weight and activation bases.

Accounting (every choice below is deliberate; the tests in ``tests/test_runtime_costs.py`` compare
the result with the paper's Table 1):

* **What counts as a parameter.** Convolution and fully connected weights, plus their biases
  (the CIFAR ResNets' only bias is the fc's 10 numbers). BatchNorm parameters and buffers are
  *not* counted: at inference a BN folds into the preceding layer's per-channel scale and
  shift, and the paper's vanilla ResNet20 figure (1.07 MB) is exactly its conv + fc weights
  in fp32 (268,346 numbers = 1.073 MB; with BN's affine parameters it would be 1.079 MB).
  For the same reason a per-output-channel scale applied right after a single binary
  convolution (XNOR-Net's alpha) is not counted either: it folds into that BN.
* **Memory.** 32 bits per full-precision number. A binary layer stores 1 bit per weight and
  per weight basis (``M`` bits per weight for ABC-Net) plus the full-precision scalars it
  reports via ``stored_scalars()`` (ABC-Net's alpha_m, beta_n and shifts v_n). Masked
  (pruned) layers store only their non-zero weights plus an index whose size depends on the
  mask's structure, inferred from the mask itself (:func:`sparsity_pattern`):

  - ``"structured"`` (whole filters / input channels removed, i.e. the mask is an outer
    product of a per-filter and a per-input-channel indicator): no index, the layer is
    simply smaller;
  - ``"kernel"`` (mask constant over each k x k kernel): a 1-bit bitmap per kernel;
  - ``"weight"`` (anything finer): a 1-bit bitmap per weight.

  MB means 10^6 bytes (as in the paper: 268,346 x 4 B = 1.07 MB).
* **MACs.** A convolution costs (non-zero weights) x (output positions) multiply-accumulates
  per image, a linear layer its non-zero weights; biases, BN, activations and pooling are not
  counted. A binary convolution with ``M`` weight and ``N`` activation bases counts as
  ``M * N`` binary convolutions (ABC-Net's cost; XNOR-Net is ``M = N = 1``).
* **NCC** (normalised compute cost, in 10^6): ``fp_macs + binary_macs / 48``, because a Xilinx
  DSP48 slice performs one full-precision MAC or 48 XNORs (plus popcount) per cycle.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from compression_robustness.models.trace import trace_layers

FP_BITS = 32
XNORS_PER_DSP = 48
BYTES_PER_MB = 1e6


def is_binary(module: nn.Module) -> bool:
    """A binary layer (see :mod:`compression_robustness.compression.binary`), by duck typing."""
    return hasattr(module, "num_weight_bases") and hasattr(module, "num_activation_bases")


def sparsity_pattern(mask: torch.Tensor | None) -> str:
    """Classify a 0/1 weight mask as ``dense``, ``structured``, ``kernel`` or ``weight``.

    ``structured`` means the mask is the outer product of a per-output and a per-input
    indicator (whole filters and/or input channels removed), so the layer can be physically
    shrunk and needs no index. ``kernel`` means each k x k kernel is entirely kept or removed.
    """
    if mask is None or bool((mask != 0).all()):
        return "dense"
    keep = mask != 0
    rows = keep.flatten(1).any(1)
    cols = keep.transpose(0, 1).flatten(1).any(1)
    outer = rows.view(-1, *([1] * (keep.dim() - 1))) & cols.view(1, -1, *([1] * (keep.dim() - 2)))
    if bool((outer.expand_as(keep) == keep).all()):
        return "structured"
    if keep.dim() > 2:
        k = keep.flatten(2)
        if bool((k.all(2) | ~k.any(2)).all()):
            return "kernel"
    return "weight"


def index_bits(mask: torch.Tensor | None) -> int:
    """Bits of the sparse index a masked layer needs (bitmap at the mask's granularity)."""
    pattern = sparsity_pattern(mask)
    if pattern in ("dense", "structured"):
        return 0
    if pattern == "kernel":
        return mask.shape[0] * mask.shape[1]
    return mask.numel()


def model_costs(
    model: nn.Module,
    input_shape: tuple[int, ...] = (3, 32, 32),
    masks: dict[str, torch.Tensor] | None = None,
) -> dict[str, Any]:
    """Parameters, memory, MACs and NCC of ``model`` for one input of ``input_shape``.

    ``masks`` (parameter name -> 0/1 tensor, as returned by
    :func:`compression_robustness.compression.prune_masks`) marks pruned weights; without
    it every weight counts (pass ``masks_from_zeros(model)`` for a pruned checkpoint).
    See the module docstring for the accounting. Returns a dict with

    * ``params``: numbers stored for inference (non-zero fp weights and biases, binary
      weights, and binary layers' fp scalars; BatchNorm excluded),
    * ``fp_params``, ``binary_params`` (binary weights, each stored as ``M`` bits),
      ``scale_params`` and ``index_bits`` (the parts of the above),
    * ``memory_mb`` (10^6 bytes),
    * ``fp_macs`` and ``binary_macs`` (raw counts per image; a binary MAC of an ``M x N``
      ABC layer is counted ``M * N`` times),
    * ``ncc``: ``(fp_macs + binary_macs / 48) / 10^6``, the paper's NCC column.
    """
    masks = masks or {}
    calls = trace_layers(model, input_shape)
    fp_macs = binary_macs = 0
    for call in calls:
        mod = call.module
        if is_binary(mod):
            bases = mod.num_weight_bases * mod.num_activation_bases
            binary_macs += bases * call.dense_macs
        else:
            mask = masks.get(f"{call.name}.weight")
            nnz = mod.weight.numel() if mask is None else int((mask != 0).sum())
            fp_macs += nnz * call.positions

    fp_params = binary_params = scale_params = idx_bits = bits = 0
    seen: set[int] = set()
    for call in calls:  # memory once per module, even if it were called twice
        mod = call.module
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        bias = 0 if mod.bias is None else mod.bias.numel()
        if is_binary(mod):
            binary_params += mod.weight.numel()
            scale_params += mod.stored_scalars()
            fp_params += bias
            bits += mod.num_weight_bases * mod.weight.numel()
        else:
            mask = masks.get(f"{call.name}.weight")
            nnz = mod.weight.numel() if mask is None else int((mask != 0).sum())
            fp_params += nnz + bias
            idx_bits += index_bits(mask)
    bits += FP_BITS * (fp_params + scale_params) + idx_bits
    return {
        "params": fp_params + binary_params + scale_params,
        "fp_params": fp_params,
        "binary_params": binary_params,
        "scale_params": scale_params,
        "index_bits": idx_bits,
        "memory_mb": bits / 8 / BYTES_PER_MB,
        "fp_macs": fp_macs,
        "binary_macs": binary_macs,
        "ncc": (fp_macs + binary_macs / XNORS_PER_DSP) / 1e6,
    }
