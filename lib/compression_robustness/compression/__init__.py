"""Compression methods of the BreakingBED model zoo (Vemparala et al. 2021, Table 1).

* :mod:`.base`: the compression registry -- :class:`CompressionMethod` (family, recipe
  settings, structure, preparation, schedules per profile, style, weight bits),
  :func:`register`, :func:`create`, :func:`list_methods`; the zoo's BreakingBED entries,
  the plot style and the zoo table read it. Every module of this package is imported, so
  a new method is one module that registers it;
* :mod:`.baseline`: the uncompressed ``vanilla`` method;

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

import importlib
import pkgutil

from compression_robustness.compression.base import (
    COMPRESSION,
    FAMILY_MARKERS,
    CompressionMethod,
    Preparation,
    PrepareContext,
    create,
    list_methods,
    register,
    variant_rank,
)
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

# every method module registers its methods (a new one needs no edit here)
for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = [
    "ABCConv2d",
    "BINARIZATIONS",
    "BinaryConv2d",
    "COMPRESSION",
    "CompressionMethod",
    "FAMILY_MARKERS",
    "Preparation",
    "PrepareContext",
    "create",
    "list_methods",
    "register",
    "variant_rank",
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
