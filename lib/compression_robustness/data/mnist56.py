"""MNIST upscaled to 56x56 (Cheng & Hu): every 28x28 pixel repeated into a 2x2 block.

The pixel noise of :mod:`compression_robustness.attacks.pixel_noise` acts on the 28x28 grid
and so changes whole 2x2 blocks; normalisation uses MNIST's mean and std.
"""

from __future__ import annotations

import numpy as np

from compression_robustness.data import datasets as D

#: Upscaling factor from the 28x28 original: one original pixel is a ``SCALE x SCALE`` block.
SCALE = 2
SIDE = 28 * SCALE


# --------------------------------------------------------------------------- dataset
def _mnist56_load(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Real MNIST with each pixel repeated into a 2×2 block (uint8, N×1×56×56)."""
    x, y = D.spec("mnist").loader(split)
    return np.repeat(np.repeat(x, SCALE, axis=-2), SCALE, axis=-1), y


if "mnist56" not in D.DATASETS:
    D.DATASETS.register(
        "mnist56",
        D.DatasetSpec(
            "mnist56",
            10,
            (1, SIDE, SIDE),
            (0.1307,),
            (0.3081,),
            tuple(str(i) for i in range(10)),
            loader=_mnist56_load,
        ),
    )
