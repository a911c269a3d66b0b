"""ART's own attacks behind the registry, with the papers' units: the independent
implementations this study checks its attacks against (ART's PGD, DeepFool) and the
decision-based BoundaryAttack of Cheng & Hu's Table 2.

ART draws its random numbers from numpy's global generator, so each builder that takes a
``seed`` seeds it; an attack's result then depends only on its parameters.
"""

from __future__ import annotations

import numpy as np
from art.attacks.evasion import BoundaryAttack, DeepFool, ProjectedGradientDescent

from compression_robustness.attacks.base import AttackSpec, pixels_to_unit, register
from compression_robustness.core.units import Norm, Unit


def build_art_pgd(
    estimator,
    eps: float = 2.0,
    alpha: float = 0.5,
    max_iter: int = 10,
    seed: int = 0,
    batch_size: int = 256,
) -> ProjectedGradientDescent:
    """ART's L-inf PGD, one random start; ``eps`` and ``alpha`` in 0-255 pixel units."""
    np.random.seed(seed)
    return ProjectedGradientDescent(
        estimator,
        eps=pixels_to_unit(eps),
        eps_step=pixels_to_unit(alpha),
        max_iter=max_iter,
        num_random_init=1,
        batch_size=batch_size,
        verbose=False,
    )


def build_art_deepfool(
    estimator,
    max_iter: int = 20,
    overshoot: float = 0.02,
    nb_grads: int = 10,
    batch_size: int = 256,
) -> DeepFool:
    """ART's DeepFool; ``overshoot`` is ART's ``epsilon`` (dimensionless)."""
    return DeepFool(
        estimator,
        max_iter=max_iter,
        epsilon=overshoot,
        nb_grads=nb_grads,
        batch_size=batch_size,
        verbose=False,
    )


def build_boundary(
    estimator,
    delta: float = 0.01,
    epsilon: float = 0.01,
    max_iter: int = 10,
    num_trial: int = 25,
    sample_size: int = 20,
    init_size: int = 100,
    seed: int = 0,
    batch_size: int = 256,
) -> BoundaryAttack:
    """ART's untargeted BoundaryAttack (Brendel et al. 2018); its step sizes are ART's."""
    np.random.seed(seed)
    return BoundaryAttack(
        estimator,
        batch_size=batch_size,
        targeted=False,
        delta=delta,
        epsilon=epsilon,
        max_iter=max_iter,
        num_trial=num_trial,
        sample_size=sample_size,
        init_size=init_size,
        verbose=False,
    )


register(
    "art_pgd",
    AttackSpec(
        build_art_pgd,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="ART PGD",
        description="ART's ProjectedGradientDescent (one random start): the independent check "
        "of the library's PGD",
    ),
)
register(
    "art_deepfool",
    AttackSpec(
        build_art_deepfool,
        unit=Unit.NONE,
        norm=Norm.L2,
        title="ART DeepFool",
        description="ART's DeepFool (overshoot 0.02, nb_grads class gradients); strength = "
        "iterations",
    ),
)
register(
    "boundary",
    AttackSpec(
        build_boundary,
        unit=Unit.NONE,
        norm=Norm.L2,
        title="Boundary",
        description="ART's BoundaryAttack (Brendel et al. 2018), decision-based, untargeted; "
        "minimises L2",
        black_box=True,
    ),
)
