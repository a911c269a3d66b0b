"""The compression registry: every method of BreakingBED's zoo describes itself.

A :class:`CompressionMethod` is one zoo variant (``kd``, ``prune-filter``, ``xnor``, ...):
its family (an enum), the settings that go into the recipe (and so into the checkpoint's
name), the structure it gives the model when it is built (binarised layers), how it
prepares a model for training (masks, an after-step hook, a loss), the model whose weights
it starts from and the teacher it distils, its training or fine-tuning schedule per
profile, its plot style (the family's marker, its place in the paper's order) and the
weight bits that the cost model must count.

The registry is timm-style: :func:`register` (``register_model``), :func:`create` (the
method, with an error listing the valid names), :func:`list_methods` (``list_models``).
The zoo's BreakingBED entries are generated from it, and the plot style, the zoo table
and the cost checks read it, so **a new method is one module** that registers it (the
package imports all of its modules) plus its profile values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from compression_robustness.core.registry import Registry
from compression_robustness.core.units import Family

#: One marker per family, shared by every figure (a new method of a family takes its marker).
FAMILY_MARKERS: dict[Family, str] = {
    Family.VANILLA: "o",
    Family.DISTILLED: "D",
    Family.PRUNED: "s",
    Family.BINARY: "^",
    Family.QUANTISED: "v",
    Family.ADVERSARIAL: "P",
}
#: Architectures whose cpu schedule is shorter (3-5x the cost per epoch of ResNet20).
DEEP_ARCHS = frozenset({"resnet56", "resnet110"})


@dataclass(frozen=True)
class Preparation:
    """What training needs besides the model: pruning masks (kept zero by ``after_step``,
    which runs after every optimiser step) and a loss ``loss_fn(logits, y, x)`` replacing
    cross-entropy."""

    masks: dict[str, Any] | None = None
    after_step: Callable[[nn.Module], None] | None = None
    loss_fn: Callable | None = None


@dataclass(frozen=True)
class PrepareContext:
    """What a method's ``prepare`` may use: the input shape (C, H, W), the dataset's
    normalisation and, for distillation, the trained teacher (a raw model)."""

    input_shape: tuple[int, ...]
    normalize: nn.Module
    teacher: nn.Module | None = None


@dataclass(frozen=True)
class CompressionMethod:
    """A compression method of the zoo, one variant per entry (see the module docstring).

    ``settings`` is the method's section of the recipe's ``compression`` (hashed);
    ``structure(model, settings)`` changes the built model in place (binarised layers), so
    that its checkpoint loads; ``prepare(model, settings, ctx)`` returns its
    :class:`Preparation`; ``recipes`` maps a profile to the schedule, ``deep_recipes``
    overrides it for :data:`DEEP_ARCHS`; ``parent`` is the variant whose weights it starts
    from (``None``: from scratch); ``teacher`` maps an architecture to its teacher's zoo
    name; ``profiles`` maps an architecture to the profiles that train it by default;
    ``weight_bits`` is what a stored weight of its compressed layers costs (32, or 1 for
    binary ones); ``order`` is its place in the paper's tables and legends.
    """

    name: str
    family: Family
    title: str
    description: str  # "{arch}" is replaced by the architecture
    order: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    recipes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    deep_recipes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    parent: str | None = None
    teacher: Mapping[str, str] = field(default_factory=dict)
    structure: Callable[[nn.Module, Mapping[str, Any]], None] | None = None
    prepare: Callable[[nn.Module, Mapping[str, Any], PrepareContext], Preparation] | None = None
    profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    weight_bits: int = 32

    def __post_init__(self):
        object.__setattr__(self, "family", Family(self.family))

    @property
    def marker(self) -> str:
        return FAMILY_MARKERS[self.family]

    def recipes_for(self, arch: str) -> dict[str, dict[str, Any]]:
        """The schedule of every profile for ``arch``."""
        out = {p: dict(r) for p, r in self.recipes.items()}
        if arch in DEEP_ARCHS:
            out.update({p: dict(r) for p, r in self.deep_recipes.items()})
        return out

    def describe(self, arch: str) -> str:
        return self.description.format(arch=arch, teacher=self.teacher.get(arch, ""))

    def compression(self) -> dict[str, Any]:
        """The recipe's ``compression`` section (empty for the uncompressed baseline)."""
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.settings.items()}

    def build(self, model: nn.Module) -> nn.Module:
        if self.structure is not None:
            self.structure(model, self.settings)
        return model

    def prepare_model(self, model: nn.Module, ctx: PrepareContext) -> Preparation:
        if self.prepare is None:
            return Preparation()
        return self.prepare(model, self.settings, ctx)


COMPRESSION: Registry[CompressionMethod] = Registry("compression method", param="variants")


def register(method: CompressionMethod) -> CompressionMethod:
    return COMPRESSION.register(method.name, method)


def create(name: str) -> CompressionMethod:
    """The method ``name``; an unknown name is an error that lists the valid ones."""
    return COMPRESSION.get(name)


def list_methods(family: Family | str | None = None) -> list[str]:
    """Method names in the paper's order (optionally of one family)."""
    methods = [COMPRESSION.get(n) for n in COMPRESSION.names()]
    if family is not None:
        methods = [m for m in methods if m.family is Family(family)]
    return [m.name for m in sorted(methods, key=lambda m: (m.order, m.name))]


def variant_rank(variant: str) -> int:
    """Sort key that puts variants in the paper's order (unknown variants last)."""
    order = list_methods()
    return order.index(variant) if variant in order else len(order)
