"""Attacks behind a registry, in the papers' units, as ART ``EvasionAttack`` objects.

Every builder takes the ART estimator and the attack's parameters *in the paper's units*
(for example ε in 0-255 pixel units) and converts them. The registry is timm-style:
:func:`create` (``create_model``), :func:`list_attacks` (``list_models``) and
:func:`register` (``register_model``); each entry is an :class:`AttackSpec` that describes
itself (unit and norm as enums, black-box or not, title, and for BreakingBED's sweep its
grid axes, stress axis, anytime recording, grid point -> parameters and target policy), so
adding an attack to the sweep is one module that registers it plus its profile values.
Modules:

* :mod:`.base`: the registry, :class:`AttackSpec` and unit conversions;
* :mod:`.gradient`: white-box attacks with anytime recording (PGD, FGSM, BIM, IFGM,
  C&W L2, DeepFool);
* :mod:`.blackbox`: score-based black-box attacks with query counting and anytime
  recording (LocalSearch, GenAttack);
* :mod:`.pixel_noise`: model-agnostic pixel perturbations (Cheng & Hu) and the black-box
  Pointwise attack (Schott et al.);
* :mod:`.art_backed`: ART's own PGD and DeepFool (the independent checks) and its
  BoundaryAttack.
"""

from __future__ import annotations

import importlib
import pkgutil

from compression_robustness.attacks.base import (
    ATTACKS,
    AttackSpec,
    SweepPoint,
    cell_version,
    create,
    list_attacks,
    next_class,
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
from compression_robustness.core.units import PIXEL

#: every module of this package, imported so that each registers its attacks: a new attack
#: is one new module here (tests/test_architecture.py counts these as the package's imports)
MODULES = tuple(
    importlib.import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
)

__all__ = [
    "ATTACKS",
    "PIXEL",
    "AttackSpec",
    "SweepPoint",
    "cell_version",
    "create",
    "list_attacks",
    "next_class",
    "GenAttack",
    "LocalSearch",
    "RecordingBIM",
    "RecordingCarliniL2",
    "RecordingDeepFool",
    "RecordingIFGM",
    "RecordingPGD",
    "normalise_record_at",
    "pixels_to_unit",
    "register",
    "resolve_batch_size",
]
