"""Attacks behind a registry, in the papers' units, as ART ``EvasionAttack`` objects.

Every builder takes the ART estimator and the attack's parameters *in the paper's units*
(for example ε in 0-255 pixel units) and converts them. Modules:

* :mod:`.base`: the registry and unit conversions;
* :mod:`.gradient`: white-box attacks with anytime recording (PGD, FGSM, BIM, IFGM,
  C&W L2, DeepFool);
* :mod:`.blackbox`: score-based black-box attacks with query counting and anytime
  recording (LocalSearch, GenAttack);
* :mod:`.pixel_noise`: model-agnostic pixel perturbations (Cheng & Hu) and the black-box
  Pointwise attack (Schott et al.).
"""

from __future__ import annotations

from art.attacks.attack import EvasionAttack

from compression_robustness.attacks import blackbox, gradient, pixel_noise  # noqa: F401  (register their attacks)
from compression_robustness.attacks.base import (
    ATTACKS,
    PIXEL,
    AttackInfo,
    normalise_record_at,
    pixels_to_unit,
    register,
)
from compression_robustness.attacks.blackbox import GenAttack, LocalSearch
from compression_robustness.attacks.gradient import (
    RecordingBIM,
    RecordingCarliniL2,
    RecordingDeepFool,
    RecordingIFGM,
    RecordingPGD,
    resolve_batch_size,
)

__all__ = [
    "ATTACKS",
    "PIXEL",
    "AttackInfo",
    "GenAttack",
    "LocalSearch",
    "RecordingBIM",
    "RecordingCarliniL2",
    "RecordingDeepFool",
    "RecordingIFGM",
    "RecordingPGD",
    "build",
    "normalise_record_at",
    "pixels_to_unit",
    "register",
    "resolve_batch_size",
]


def build(name: str, estimator, **params) -> EvasionAttack:
    """Build the attack ``name`` bound to ``estimator``; parameters in the paper's units."""
    return ATTACKS.get(name).builder(estimator, **params)
