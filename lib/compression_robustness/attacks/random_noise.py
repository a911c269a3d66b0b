"""Random noise: the control of the robustness sweep (one new module is all it takes).

``random_noise`` adds uniform noise ``U(-ε, ε)`` to every input value, ε in 0-255 pixel
units (L∞), seeded, in one shot, and clips to [0, 1]. It never looks at the model: a
network that loses much accuracy to it has not met an adversary, only noise.
"""

from __future__ import annotations

import numpy as np
import torch
from art.attacks.attack import EvasionAttack
from art.estimators.classification.classifier import ClassifierMixin
from art.estimators.estimator import BaseEstimator

from compression_robustness.attacks.base import AttackSpec, SweepPoint, pixels_to_unit, register
from compression_robustness.core.params import check_number
from compression_robustness.core.units import Norm, Unit


class RandomNoise(EvasionAttack):
    """Uniform L∞ noise of size ``eps`` ([0, 1] units), seeded; the model is never used."""

    attack_params = ["eps", "seed"]
    _estimator_requirements = (BaseEstimator, ClassifierMixin)

    def __init__(self, estimator, eps: float, seed: int = 0):
        super().__init__(estimator=estimator)
        self.eps, self.seed = eps, seed
        check_number("eps", eps, min=0)
        check_number("seed", seed, min=0, integer=True)
        self.record = None  # one shot: the sweep evaluates the result

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        gen = torch.Generator().manual_seed(int(self.seed))
        noise = (torch.rand(xt.shape, generator=gen) * 2 - 1) * self.eps
        return (xt + noise).clamp_(0.0, 1.0).numpy()


def build_random_noise(
    estimator, eps: float, seed: int = 0, batch_size: int | None = None
) -> RandomNoise:
    """Random noise with ε in 0-255 pixel units (``batch_size`` accepted, unused)."""
    check_number("eps", eps, min=0, strict_min=True)
    return RandomNoise(estimator, eps=pixels_to_unit(eps), seed=seed)


def _sweep(p: SweepPoint) -> dict:
    return {"eps": p.eps, "seed": p.seed}


register(
    "random_noise",
    AttackSpec(
        build_random_noise,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="Random noise",
        description="uniform L-inf noise of size eps (0-255 units), one shot, seeded; "
        "model-agnostic (the sweep's control)",
        black_box=True,
        sweep_axes=frozenset({"eps"}),
        stress=("eps", {}),
        stress_label="ε (0-255)",
        sweep_params=_sweep,
    ),
)
