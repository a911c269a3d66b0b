"""BreakingBED's CIFAR-10 ResNet zoo (Vemparala et al.): every registered compression
method (vanilla, KD-KL, four pruning regularities, XNOR and ABC-Net, and any method added
to :mod:`compression_robustness.compression`) for ResNet20 and ResNet56, the models of the
zoo, pgd, sweep and cam chapters. Generated from the compression registry: the method
carries its schedules, its parent, its teacher and the profiles that train it."""

from __future__ import annotations

from compression_robustness import compression as K
from compression_robustness.zoo.entry import ZOO, ZooEntry, default_models, register

ARCHS = ("resnet20", "resnet56", "resnet110")


def entry(arch: str, method: K.CompressionMethod) -> ZooEntry:
    """The zoo entry ``<arch>-<method>``."""
    return ZooEntry(
        f"{arch}-{method.name}",
        arch,
        "cifar10",
        method.recipes_for(arch),
        family=method.family.value,
        description=method.describe(arch),
        profiles=method.profiles.get(arch, ()),
        parent=f"{arch}-{method.parent}" if method.parent else None,
        teacher=method.teacher.get(arch),
        method=None if method.name == "vanilla" else method.name,
    )


def _cifar_zoo() -> None:
    for name in K.list_methods():
        method = K.create(name)
        for arch in method.profiles:  # the architectures the method is trained on
            register(entry(arch, method))


_cifar_zoo()

#: BreakingBED's CIFAR-10 ResNet zoo (the models of the zoo, pgd, sweep and cam chapters);
#: other chapters' models register below and stay out of these chapters.
BREAKINGBED_MODELS: tuple[str, ...] = tuple(
    n for n in ZOO.names() if n.startswith(tuple(f"{a}-" for a in ARCHS))
)


def breakingbed_models(profile: str) -> list[str]:
    """The BreakingBED zoo models that ``profile`` trains by default."""
    return [n for n in default_models(profile) if n in BREAKINGBED_MODELS]
