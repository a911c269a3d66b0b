"""BreakingBED's CIFAR-10 ResNet zoo (Vemparala et al.): vanilla, KD-KL, four pruning
regularities, XNOR and ABC-Net, for ResNet20 and ResNet56 (the models of the zoo, pgd,
sweep and cam chapters). Data only: the structure comes from each entry's compression."""

from __future__ import annotations

from compression_robustness.zoo import recipes as R
from compression_robustness.zoo.entry import ZOO, ZooEntry, default_models, register

#: BreakingBED's KD-KL: temperature 30 (the paper's value), RepDistiller's loss weights.
KD_DEFAULTS = {"T": 30.0, "kl_weight": 0.9, "ce_weight": 0.1}
PRUNE_REGULARITIES = ("filter", "channel", "kernel", "weight")
_BIN = {"activation": "hardtanh"}  # binarize()'s settings, spelled out so they are hashed
BINARY_VARIANTS = {
    "xnor": {"kind": "xnor", **_BIN},
    "abc-1x1": {"kind": "abc", "M": 1, "N": 1, "per_channel": False, **_BIN},
    "abc-3x3": {"kind": "abc", "M": 3, "N": 3, "per_channel": False, **_BIN},
    "abc-5x5": {"kind": "abc", "M": 5, "N": 5, "per_channel": False, **_BIN},
}
TEACHERS = {"resnet20": "resnet56-vanilla", "resnet56": "resnet110-vanilla"}


def _cifar_zoo() -> None:
    deep = {"resnet56", "resnet110"}
    for arch in ("resnet20", "resnet56", "resnet110"):
        cpu = R.CPU_CIFAR_DEEP if arch in deep else R.CPU_CIFAR
        cpu_next = R.CPU_NEXT_CIFAR_DEEP if arch in deep else R.CPU_NEXT_CIFAR
        default = {"resnet20": ("smoke", "cpu", "paper"), "resnet56": ("cpu", "paper")}
        register(
            ZooEntry(
                f"{arch}-vanilla",
                arch,
                "cifar10",
                {"smoke": R.SMOKE_CIFAR, "cpu": cpu, "paper": R.HE_CIFAR, "cpu-next": cpu_next},
                family="vanilla",
                description=f"{arch} trained from scratch on CIFAR-10 (He et al. 2016)",
                profiles=default.get(arch, ("paper",)) if arch != "resnet110" else (),
            )
        )
    for arch in ("resnet20", "resnet56"):
        in_cpu = ("smoke", "cpu", "paper") if arch == "resnet20" else ("paper",)
        register(
            ZooEntry(
                f"{arch}-kd",
                arch,
                "cifar10",
                {"smoke": R.SMOKE_CIFAR, "cpu": R.CPU_CIFAR, "paper": R.REPDISTILLER},
                family="distilled",
                description=f"{arch} distilled from {TEACHERS[arch]} with KD-KL (T=30)",
                profiles=in_cpu,
                teacher=TEACHERS[arch],
                kd=KD_DEFAULTS,
            )
        )
        for reg in PRUNE_REGULARITIES:
            register(
                ZooEntry(
                    f"{arch}-prune-{reg}",
                    arch,
                    "cifar10",
                    {
                        "smoke": R.SMOKE_FINETUNE,
                        "cpu": R.CPU_FINETUNE_PRUNE,
                        "paper": R.PAPER_FINETUNE_PRUNE,
                    },
                    family="pruned",
                    description=f"{arch} {reg}-wise l2-pruned to 50% MACs, fine-tuned",
                    profiles=in_cpu,
                    parent=f"{arch}-vanilla",
                    prune=reg,
                )
            )
        for variant, binary in BINARY_VARIANTS.items():
            register(
                ZooEntry(
                    f"{arch}-{variant}",
                    arch,
                    "cifar10",
                    {
                        "smoke": R.SMOKE_FINETUNE,
                        "cpu": R.CPU_FINETUNE_ABC
                        if binary["kind"] == "abc"
                        else R.CPU_FINETUNE_BINARY,
                        "paper": R.PAPER_BINARY,
                    },
                    family="binary",
                    description=f"{arch} binarised ({variant}), initialised from the vanilla weights",
                    profiles=in_cpu,
                    parent=f"{arch}-vanilla",
                    binary=binary,
                )
            )


_cifar_zoo()

#: BreakingBED's CIFAR-10 ResNet zoo (the models of the zoo, pgd, sweep and cam chapters);
#: other chapters' models register below and stay out of these chapters.
BREAKINGBED_MODELS: tuple[str, ...] = tuple(
    n for n in ZOO.names() if n.startswith(("resnet20-", "resnet56-", "resnet110-"))
)


def breakingbed_models(profile: str) -> list[str]:
    """The BreakingBED zoo models that ``profile`` trains by default."""
    return [n for n in default_models(profile) if n in BREAKINGBED_MODELS]
