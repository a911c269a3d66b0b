"""Compression methods of the BreakingBED model zoo (Vemparala et al. 2021, Table 1).

* :mod:`.kd`: knowledge distillation with a KL loss (Hinton et al. 2015) --
  :func:`kd_loss`, :func:`make_kd_loss`;
* :mod:`.pruning`: l2 pruning at a MAC target with four regularities (filter, channel,
  kernel, weight) implemented with masks -- :data:`PRUNING`, :func:`prune_masks`,
  :func:`apply_masks`, :func:`mask_hook`, :func:`masks_from_zeros`;
* :mod:`.quantize`: fixed-point quantisation of weights and activations (Zhao et al. 2019)
  -- :func:`quantize`, :func:`fake_quantize`, :class:`ActivationQuantizer`;
* :mod:`.dns`: dynamic network surgery masks (Guo et al. 2016) -- :func:`dns_update`,
  :func:`dns_thresholds`;
* :mod:`.binary`: XNOR-Net (Rastegari et al. 2016) and ABC-Net (Lin et al. 2017) binary
  convolutions -- :class:`XNORConv2d`, :class:`ABCConv2d`, :func:`binarize`,
  :func:`set_surrogate`, :func:`surrogate_mode`.

Their memory and compute costs are measured by :mod:`compression_robustness.runtime.costs`.
"""

from compression_robustness.compression.binary import (
    BINARIZATIONS,
    ABCConv2d,
    BinaryConv2d,
    XNORConv2d,
    binarize,
    binary_layers,
    set_surrogate,
    surrogate_mode,
)
from compression_robustness.compression.kd import kd_loss, make_kd_loss
from compression_robustness.compression.pruning import (
    PRUNING,
    apply_masks,
    mask_hook,
    masks_from_zeros,
    prune_masks,
)

__all__ = [
    "ABCConv2d",
    "BINARIZATIONS",
    "BinaryConv2d",
    "PRUNING",
    "XNORConv2d",
    "apply_masks",
    "binarize",
    "binary_layers",
    "kd_loss",
    "make_kd_loss",
    "mask_hook",
    "masks_from_zeros",
    "prune_masks",
    "set_surrogate",
    "surrogate_mode",
]
