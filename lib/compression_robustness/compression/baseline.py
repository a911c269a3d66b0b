"""The uncompressed baseline of BreakingBED's zoo, as a compression method that changes
nothing: the reference every compressed variant is compared with."""

from __future__ import annotations

from compression_robustness.compression.base import CompressionMethod, register
from compression_robustness.core import recipes as R
from compression_robustness.core.units import Family

register(
    CompressionMethod(
        "vanilla",
        Family.VANILLA,
        "vanilla",
        "{arch} trained from scratch on CIFAR-10 (He et al. 2016)",
        0,
        recipes={
            "smoke": R.SMOKE_CIFAR,
            "cpu": R.CPU_CIFAR,
            "paper": R.HE_CIFAR,
            "cpu-next": R.CPU_NEXT_CIFAR,
        },
        deep_recipes={"cpu": R.CPU_CIFAR_DEEP, "cpu-next": R.CPU_NEXT_CIFAR_DEEP},
        profiles={
            "resnet20": ("smoke", "cpu", "paper"),
            "resnet56": ("cpu", "paper"),
            "resnet110": (),  # KD's teacher of ResNet56, trained only when asked for
        },
    )
)
