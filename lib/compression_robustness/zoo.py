"""The model zoo: named, trained models with per-profile recipes and cached checkpoints.

A zoo name such as ``resnet20-vanilla`` maps to a :class:`ZooEntry`: the base
architecture, the dataset, the compression steps (none for vanilla) and a training
recipe per profile. :func:`get` returns the trained model, training it once when its
checkpoint is missing; checkpoints are keyed by a hash of the recipe, so a second request
never retrains.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from . import checkpoints as C
from . import data as D
from . import models as M
from . import paths
from .compression import apply_masks, binarize, make_kd_loss, mask_hook, prune_masks
from .config import check_profile
from .costs import model_costs
from .registry import Registry
from .train import Normalize, TrainState, full_recipe, train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZooEntry:
    """A named model: architecture, dataset, compression and a training recipe per profile.

    Compression is declared, not coded: ``parent`` initialises the weights from another zoo
    model's checkpoint; ``binary`` (``{"kind": "xnor"}`` or ``{"kind": "abc", "M": 3, "N": 3}``)
    binarises the residual blocks; ``prune`` (a regularity) masks the weights at a 50% MAC
    target before fine-tuning, keeping them zero; ``teacher`` distils from another zoo model
    with the KD-KL loss ``kd``. All of it, with the parent's and teacher's checkpoint sha256,
    goes into the recipe, whose hash names the checkpoint.
    """

    name: str
    arch: str
    dataset: str
    recipes: dict[str, dict[str, Any]]  # profile -> recipe overrides
    family: str = "vanilla"
    description: str = ""
    profiles: tuple[str, ...] = ("smoke", "cpu", "paper")  # profiles that train it by default
    parent: str | None = None
    teacher: str | None = None
    kd: dict[str, float] | None = None
    prune: str | None = None
    prune_fraction: float = 0.5
    binary: dict[str, Any] | None = None
    builder: Callable[[ZooEntry, str], nn.Module] | None = field(default=None, compare=False)

    @property
    def variant(self) -> str:
        return self.name.split("-", 1)[1]

    def compression(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.binary:
            out["binary"] = dict(self.binary)
        if self.prune:
            out["prune"] = {
                "regularity": self.prune,
                "mac_fraction_kept": self.prune_fraction,
                "allocator": PRUNE_ALLOCATOR,
            }
        if self.teacher:
            out["kd"] = dict(self.kd or {})
        return out

    def schedule(self, profile: str) -> dict[str, Any]:
        """The training schedule and compression of ``profile``; pure (trains nothing)."""
        check_profile(profile)
        r = full_recipe(arch=self.arch, dataset=self.dataset, **self.recipes[profile])
        comp = self.compression()
        if comp:
            r["compression"] = comp
        return r

    def recipe(self, profile: str) -> dict[str, Any]:
        """The full recipe: the schedule plus the parent's and teacher's checkpoint sha256.

        Resolving those hashes trains the parent or teacher when its checkpoint is missing
        (a dependency); use :meth:`schedule` to describe a model without that side effect.
        """
        r = self.schedule(profile)
        if self.parent:
            r["parent"] = {"name": self.parent, "sha256": checkpoint_sha(self.parent, profile)}
        if self.teacher:
            r["teacher"] = {"name": self.teacher, "sha256": checkpoint_sha(self.teacher, profile)}
        return r


@dataclass
class ZooModel:
    name: str
    model: nn.Module
    manifest: dict[str, Any]
    spec: D.DatasetSpec

    @property
    def sha256(self) -> str:
        return self.manifest["sha256"]

    @property
    def accuracy(self) -> float:
        return self.manifest["test_accuracy"]


ZOO: Registry[ZooEntry] = Registry("zoo model", param="model")


def register(entry: ZooEntry) -> ZooEntry:
    return ZOO.register(entry.name, entry)


# He et al. (2016) CIFAR recipe for the paper profile: 64k iterations of batch 128
# (182 epochs), lr 0.1 divided by 10 at 32k and 48k iterations, weight decay 1e-4.
_HE_CIFAR = {
    "epochs": 182,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 1e-4,
    "schedule": "step",
    "milestones": [91, 136],
}
# RepDistiller's CIFAR recipe (the code BreakingBED cites for KD): 240 epochs, batch 64,
# lr 0.05 divided by 10 at epochs 150, 180 and 210, weight decay 5e-4.
_REPDISTILLER = {
    "epochs": 240,
    "batch_size": 64,
    "lr": 0.05,
    "nesterov": False,
    "weight_decay": 5e-4,
    "schedule": "step",
    "milestones": [150, 180, 210],
}
# CPU recipes: a one-cycle schedule reaches ~90% in a few dozen epochs on 2 cores.
_CPU_CIFAR = {"epochs": 30, "batch_size": 128, "lr": 0.1, "schedule": "onecycle"}
_CPU_CIFAR_DEEP = {**_CPU_CIFAR, "epochs": 15}  # ResNet56/110: 3-5x the cost per epoch
_SMOKE_CIFAR = {"epochs": 1, "batch_size": 128, "lr": 0.05, "train_subset": 2048}
# Fine-tuning compressed models that start from the vanilla weights.
_CPU_FINETUNE_PRUNE = {"epochs": 8, "lr": 0.02, "schedule": "cosine"}
_CPU_FINETUNE_BINARY = {"epochs": 15, "lr": 0.05, "schedule": "onecycle", "weight_decay": 0.0}
# ABC-Net's activation bases cost 1.9x (1x1) to 3.4x (5x5) an XNOR step on CPU (measured),
# so the cpu profile fine-tunes them for fewer epochs.
_CPU_FINETUNE_ABC = {**_CPU_FINETUNE_BINARY, "epochs": 10}
_PAPER_FINETUNE_PRUNE = {"epochs": 60, "lr": 0.01, "schedule": "cosine"}
_PAPER_BINARY = {"epochs": 200, "lr": 0.1, "schedule": "cosine", "weight_decay": 0.0}
_SMOKE_FINETUNE = {**_SMOKE_CIFAR, "lr": 0.01}

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
#: The pruning allocator's name goes into the recipe: change it when the allocator changes,
#: so that checkpoints pruned by another policy are never reused.
PRUNE_ALLOCATOR = "uniform-rate-l2"
TEACHERS = {"resnet20": "resnet56-vanilla", "resnet56": "resnet110-vanilla"}


def _cifar_zoo() -> None:
    deep = {"resnet56", "resnet110"}
    for arch in ("resnet20", "resnet56", "resnet110"):
        cpu = _CPU_CIFAR_DEEP if arch in deep else _CPU_CIFAR
        default = {"resnet20": ("smoke", "cpu", "paper"), "resnet56": ("cpu", "paper")}
        register(
            ZooEntry(
                f"{arch}-vanilla",
                arch,
                "cifar10",
                {"smoke": _SMOKE_CIFAR, "cpu": cpu, "paper": _HE_CIFAR},
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
                {"smoke": _SMOKE_CIFAR, "cpu": _CPU_CIFAR, "paper": _REPDISTILLER},
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
                        "smoke": _SMOKE_FINETUNE,
                        "cpu": _CPU_FINETUNE_PRUNE,
                        "paper": _PAPER_FINETUNE_PRUNE,
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
                        "smoke": _SMOKE_FINETUNE,
                        "cpu": _CPU_FINETUNE_ABC
                        if binary["kind"] == "abc"
                        else _CPU_FINETUNE_BINARY,
                        "paper": _PAPER_BINARY,
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
BREAKINGBED_MODELS: tuple[str, ...] = tuple(ZOO.names())


def default_models(profile: str) -> list[str]:
    """The zoo models a profile trains by default (those the profile's chapters use)."""
    check_profile(profile)
    return [n for n in ZOO.names() if profile in ZOO.get(n).profiles]


def breakingbed_models(profile: str) -> list[str]:
    """The BreakingBED zoo models that ``profile`` trains by default."""
    return [n for n in default_models(profile) if n in BREAKINGBED_MODELS]


def names(dataset: str | None = None) -> list[str]:
    return [n for n in ZOO.names() if dataset is None or ZOO.get(n).dataset == dataset]


def build(entry: ZooEntry, profile: str) -> nn.Module:
    """The untrained model with the entry's structure (binarised layers included)."""
    if entry.builder is not None:
        return entry.builder(entry, profile)
    spec = D.spec(entry.dataset)
    model = M.build_arch(entry.arch, spec.num_classes, spec.shape[0])
    if entry.binary:
        binarize(model, **entry.binary)
    return model


def checkpoint_sha(name: str, profile: str) -> str:
    """The sha256 of a zoo model's checkpoint, training it first when it has no manifest.

    Only the manifest is read, so results keyed by this sha stay readable where the weights
    are not committed (see :mod:`~compression_robustness.checkpoints`).
    """
    where = checkpoint_paths(name, profile)
    if not where.has_manifest():
        get(name, profile)
    return C.read_manifest(where)["sha256"]


def checkpoint_manifest(name: str, profile: str) -> dict[str, Any]:
    """The checkpoint manifest of a zoo model (trains it first when there is none)."""
    checkpoint_sha(name, profile)
    return C.read_manifest(checkpoint_paths(name, profile))


def checkpoint_paths(name: str, profile: str) -> C.CheckpointPaths:
    entry = ZOO.get(name)
    return C.CheckpointPaths.for_recipe(
        paths.checkpoints_dir(profile),
        name,
        entry.recipe(profile),
        large_folder=paths.large_checkpoints_dir(profile),
    )


def _prepare(entry: ZooEntry, profile: str):
    """The model to train, with its loss and after-step hook, from the entry's compression
    (or from the entry's own ``prepare_fn`` hook, see :class:`HookedZooEntry`)."""
    hook = getattr(entry, "prepare_fn", None)
    if hook is not None:
        return hook(entry, profile)
    spec = D.spec(entry.dataset)
    model = M.build_arch(entry.arch, spec.num_classes, spec.shape[0])
    if entry.parent:
        model.load_state_dict(get(entry.parent, profile).model.state_dict())
    if entry.binary:
        binarize(model, **entry.binary)
    masks, after_step, loss_fn = None, None, None
    if entry.prune:
        masks = prune_masks(model, entry.prune, entry.prune_fraction, spec.shape)
        apply_masks(model, masks)
        after_step = mask_hook(masks)
    if entry.teacher:
        teacher = get(entry.teacher, profile).model
        loss_fn = make_kd_loss(teacher, Normalize(spec.mean, spec.std), **(entry.kd or {}))
    return model, masks, after_step, loss_fn


def get(
    name: str, profile: str, *, train_if_missing: bool = True, progress: bool = True
) -> ZooModel:
    """The trained model ``name`` for ``profile`` (eval mode, on CPU).

    A missing checkpoint is trained (and its parent or teacher first, if they are missing
    too), resuming from the last finished epoch of an interrupted run.
    """
    entry = ZOO.get(name)
    recipe = entry.recipe(profile)
    where = checkpoint_paths(name, profile)
    if where.exists():
        model = build(entry, profile)
        manifest = C.load_into(model, where)
    else:
        if where.has_manifest():
            log.warning(
                "the weights of %s (profile %s) are not here (%s bytes, over the %s-byte limit "
                "for committed weights); retraining, which writes a new manifest",
                name,
                profile,
                C.read_manifest(where).get("weights_bytes", "?"),
                C.MAX_COMMITTED_BYTES,
            )
        if not train_if_missing:
            raise FileNotFoundError(
                f"no checkpoint for {name!r} in profile {profile!r} at {where.weights}; "
                f"train it with `make models PROFILE={profile}` or allow training"
            )
        log.warning(
            "training %s for profile %s (no checkpoint at %s)", name, profile, where.weights
        )
        model, masks, after_step, loss_fn = _prepare(entry, profile)
        # The resumable training state sits beside the weights it will become: committed
        # (so training resumes across machines) only when the model is small enough.
        nbytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
        big = where.large is not None and nbytes > C.MAX_COMMITTED_BYTES
        stem = (where.large if big else where.weights).with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        info = train(
            model,
            recipe,
            progress=progress,
            state_path=stem,
            loss_fn=loss_fn,
            after_step=after_step,
        )
        spec = D.spec(entry.dataset)
        manifest = C.save(
            model,
            where,
            {
                "name": name,
                "profile": profile,
                "recipe": recipe,
                "dataset": entry.dataset,
                "family": entry.family,
                "test_accuracy": info["test_accuracy"],
                "train_seconds": info["train_seconds"],
                "n_train": info["n_train"],
                "n_test": info["n_test"],
                "history": info["history"],
                # the validation stopping rule's outcome, for recipes that have one
                **{
                    k: info[k]
                    for k in ("n_val", "val_accuracy", "images_seen", "target_reached")
                    if k in info
                },
                "costs": model_costs(model.eval(), spec.shape, masks),
            },
        )
        TrainState(stem).remove()
    model.eval()
    return ZooModel(name, model, manifest, D.spec(entry.dataset))


# =========================================================================== pixel_noise
# Cheng & Hu (2020), "Architectural resilience to foreground-and-background adversarial
# noise": ImageNet architectures trained on MNIST upscaled to 56x56 (see mnist56_models).
# Paper recipe: SGD, lr 1e-2, momentum 0.9, lr x0.1 after every epoch, until 99.0%
# validation accuracy (the FC network is the exception). Every profile applies that rule:
# 1,000 training images are held out for validation (never trained on), checked every
# 2,000 training images and at the end of every epoch, and training stops at the first check
# at or above 99.0%. The paper profile's epoch is all 59,000 remaining images (at most 10
# epochs). The cpu profile's epoch is a per-architecture subset, sized from the measured
# training throughput (images/s at 56x56 on one core, batch 32) so that a model trains for
# at most about 12 minutes; it runs at most 2 epochs (lr 1e-2, then 1e-3). The accuracy
# reached, and whether the target was, are in each manifest and in the chapter. No
# augmentation, no weight decay (the paper mentions none), batch 32 (Keras' default). These
# models are trained on request (the pixel_noise chapter asks for them), not by
# `make models`; their weights exceed the size limit for committed files.
from . import mnist56_models as _m56  # noqa: E402  (registers the mnist56 dataset and archs)

_M56_BASE = {
    "batch_size": 32,
    "lr": 0.01,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 0.0,
    "schedule": "step",
    "augment": "none",
    "val_subset": 1000,
    "val_every": 2000,
    "target_accuracy": 0.99,
}
#: architecture -> cpu training subset (images per epoch): two epochs take at most about
#: 12 minutes at the training throughput measured on one core (batch 32, channels_last;
#: images/s: FC 622, EfficientNet-B1 97, ResNet-18 96, ResNet-34 52, ResNet-50 35,
#: ResNet-50V2 36, ResNet-101 19, VGG-19 13), capped at 30,000 (FC takes every image)
M56_CPU_SUBSET = {
    "m56_fc": 59000,
    "m56_efficientnet_b1": 30000,
    "m56_resnet18": 30000,
    "m56_resnet34": 20000,
    "m56_resnet50": 12000,
    "m56_resnet50v2": 12000,
    "m56_resnet101": 6000,
    "m56_vgg19": 5000,
}
#: the paper's main comparison and its ResNet depth study (ResNet-50 is in both)
M56_MAIN = ("m56_resnet50", "m56_resnet50v2", "m56_vgg19", "m56_efficientnet_b1", "m56_fc")
M56_DEPTH = ("m56_resnet18", "m56_resnet34", "m56_resnet50", "m56_resnet101")


def _m56_zoo() -> None:
    paper_epochs = 10  # an upper bound: the paper stops at 99.0% validation accuracy
    for arch in dict.fromkeys(M56_MAIN + M56_DEPTH):
        step = {**_M56_BASE, "milestones": list(range(1, paper_epochs))}
        register(
            ZooEntry(
                f"{arch}-vanilla",
                arch,
                "mnist56",
                {
                    "smoke": {
                        **step,
                        "epochs": 1,
                        "train_subset": 512,
                        "test_subset": 200,
                        "milestones": [],
                        "val_subset": 200,
                        "val_every": 256,
                    },
                    "cpu": {
                        **step,
                        "epochs": 2,
                        "milestones": [1],
                        "train_subset": M56_CPU_SUBSET[arch],
                        "test_subset": 1000,
                    },
                    "paper": {**step, "epochs": paper_epochs, "val_every": 10000},
                },
                family="vanilla",
                description=f"{_m56.DISPLAY[arch]} on MNIST upscaled to 56x56 "
                f"({_m56.ADAPTATIONS[arch]})",
                profiles=(),
            )
        )


_m56_zoo()
# =========================================================================== issue 6 block
# MNIST-family models: Galloway et al. (bnn_mnist chapter) and Zhao et al.
# (transferability chapter). Their structure and fine-tuning come from hooks in
# :mod:`.galloway` and :mod:`.zhao`; ``extra`` (hashed into the recipe) describes them.
from . import mnist_models as _mnist_models  # noqa: E402,F401  (registers the archs)


@dataclass(frozen=True)
class HookedZooEntry(ZooEntry):
    """A zoo entry whose structure (``builder``) and preparation for training
    (``prepare_fn(entry, profile) -> (model, masks, after_step, loss_fn)``) are hooks;
    ``extra`` holds their settings and goes into the recipe's ``compression``."""

    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    prepare_fn: Callable[[ZooEntry, str], tuple] | None = field(default=None, compare=False)

    def compression(self) -> dict[str, Any]:
        return {**super().compression(), **self.extra}


def _galloway_hooks():
    from . import galloway

    return galloway.zoo_build, galloway.zoo_prepare


def _zhao_hooks():
    from . import zhao

    return zhao.zoo_build, zhao.zoo_prepare


def _hooked(kind: str):
    """Lazy hooks (the chapter modules import the zoo)."""
    hooks = {"galloway": _galloway_hooks, "zhao": _zhao_hooks}[kind]
    return (lambda e, p: hooks()[0](e, p)), (lambda e, p: hooks()[1](e, p))


_MNIST = {"augment": "none", "batch_size": 64, "lr": 0.05, "schedule": "onecycle"}
_SMOKE_MNIST = {**_MNIST, "epochs": 1, "train_subset": 1024}
# Galloway et al.: every width gets the same cpu schedule (2 epochs on 8,000 images), so
# that the widths differ only in width. Measured training throughput on one core (batch 64):
# K=64 about 1000 images/s, K=128 280, K=256 45 (its 6x6 conv2 dominates); the K=256 models
# took 5-11 minutes each.
_GALLOWAY_CPU = {k: {**_MNIST, "epochs": 2, "train_subset": 8000} for k in (32, 64, 128, 256)}
# The paper profile: 20 epochs on all 60,000 images (our choice; not the authors' schedule).
_GALLOWAY_PAPER = {**_MNIST, "epochs": 20}
_GALLOWAY_ADV = {  # adversarial fine-tuning of the seed-0 model
    "fgsmadv": {
        "smoke": {**_SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 256},
        "cpu": {**_MNIST, "epochs": 1, "train_subset": 4000, "lr": 0.01, "schedule": "cosine"},
        "paper": {**_MNIST, "epochs": 10, "lr": 0.01, "schedule": "cosine"},
    },
    "pgdadv": {
        "smoke": {**_SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 256},
        "cpu": {**_MNIST, "epochs": 1, "train_subset": 2000, "lr": 0.01, "schedule": "cosine"},
        "paper": {**_MNIST, "epochs": 10, "lr": 0.01, "schedule": "cosine"},
    },
}
#: Adversarial training settings per profile ([0, 1] units): Madry et al.'s MNIST PGD has
#: 40 steps of 0.01 within eps = 0.3 (paper profile); cpu takes 10 steps of 0.075, smoke 2.
#: A short fine-tune on PGD examples alone collapses to one class (measured: 9% test
#: accuracy after one epoch on 2,000 images), so cpu and smoke mix in the clean loss with
#: weight 0.5, as FGSM adversarial training does.
GALLOWAY_ADV_SETTINGS = {
    "fgsmadv": {
        p: {"kind": "fgsm", "eps": 0.3, "steps": 1, "seed": 0} for p in ("smoke", "cpu", "paper")
    },
    "pgdadv": {
        "smoke": {
            "kind": "pgd",
            "eps": 0.3,
            "steps": 2,
            "alpha": 0.375,
            "seed": 0,
            "clean_weight": 0.5,
        },
        "cpu": {
            "kind": "pgd",
            "eps": 0.3,
            "steps": 10,
            "alpha": 0.075,
            "seed": 0,
            "clean_weight": 0.5,
        },
        "paper": {"kind": "pgd", "eps": 0.3, "steps": 40, "alpha": 0.01, "seed": 0},
    },
}


GALLOWAY_SEEDS = (0, 1, 2)


def _galloway_extra(kind: str, k: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"kind": kind, "k": k}
    if kind == "s":  # hashed: the stochastic binarisation's normalisation
        extra["stochastic"] = "hard_sigmoid(w / std(w))"
    return extra


def _register_galloway() -> None:
    from .mnist_models import GALLOWAY_KINDS, GALLOWAY_WIDTHS

    build, prep = _hooked("galloway")
    for kind in GALLOWAY_KINDS:
        for k in GALLOWAY_WIDTHS:
            binary = kind in ("b", "s")
            wd = {"weight_decay": 0.0} if binary else {}
            for seed in range(len(GALLOWAY_SEEDS)):
                name = f"galloway-{kind}{k}" + (f"-seed{seed}" if seed else "")
                register(
                    HookedZooEntry(
                        name,
                        f"galloway-{kind}{k}",
                        "mnist",
                        {
                            "smoke": {**_SMOKE_MNIST, **wd, "seed": seed},
                            "cpu": {**_GALLOWAY_CPU[k], **wd, "seed": seed},
                            "paper": {**_GALLOWAY_PAPER, **wd, "seed": seed},
                        },
                        family="bnn" if binary else "full-precision",
                        description=f"Galloway et al. model {kind.upper()}{k}, seed {seed}",
                        profiles=(),
                        builder=build,
                        extra={"galloway": _galloway_extra(kind, k)},
                        prepare_fn=prep,
                    )
                )
            for adv, recipes in _GALLOWAY_ADV.items() if kind != "s" else ():
                register(
                    HookedZooEntry(
                        f"galloway-{kind}{k}-{adv}",
                        f"galloway-{kind}{k}",
                        "mnist",
                        {p: {**r, **wd} for p, r in recipes.items()},
                        family="adversarial",
                        description=f"Galloway et al. {kind.upper()}{k} fine-tuned by {adv}",
                        profiles=(),
                        parent=f"galloway-{kind}{k}",
                        builder=build,
                        extra={
                            "galloway": _galloway_extra(kind, k),
                            "adversarial": GALLOWAY_ADV_SETTINGS[adv],
                        },
                        prepare_fn=prep,
                    )
                )


# Zhao et al.: baselines, then DNS-pruned and fixed-point models fine-tuned from them.
_ZHAO_BASE = {
    "lenet5": {
        "smoke": {**_SMOKE_MNIST, "train_subset": 2048},
        "cpu": {**_MNIST, "epochs": 2, "batch_size": 128, "train_subset": 30000},
        "paper": {**_MNIST, "epochs": 30, "batch_size": 128},
    },
    "cifarnet": {
        "smoke": {**_SMOKE_CIFAR, "train_subset": 512},
        # bfloat16 autocast: 165 images/s on one core (float32: 78), so 5 epochs of all
        # 50,000 images take about 25 minutes
        "cpu": {"epochs": 5, "batch_size": 128, "lr": 0.1, "precision": "bf16"},
        "paper": {"epochs": 300, "batch_size": 128, "lr": 0.1, "schedule": "cosine"},
    },
}
# Compression options per architecture. CifarNet (batch-normalised) keeps its first and
# last layers dense under DNS and is rescaled to fill the fixed-point range before
# quantisation (function-preserving; see zhao.calibrate_fixed_point). LeNet5 has no batch
# norm, so neither applies; it is compressed as the paper describes.
_ZHAO_OPTIONS = {
    "lenet5": {"dns": {}, "fixed_point": {}},
    "cifarnet": {"dns": {"dense_ends": True}, "fixed_point": {"calibrate": True}},
}
# Fine-tuning after compression: the paper fine-tunes for 300-350 epochs; cpu for one
# (LeNet5) or two (CifarNet) epochs on a subset.
_ZHAO_FINETUNE = {
    "lenet5": {
        "smoke": {**_SMOKE_MNIST, "lr": 0.01, "schedule": "cosine", "train_subset": 512},
        "cpu": {**_MNIST, "epochs": 1, "lr": 0.01, "schedule": "cosine", "train_subset": 10000},
        "paper": {**_MNIST, "epochs": 300, "lr": 0.01, "schedule": "cosine"},
    },
    "cifarnet": {
        "smoke": {**_SMOKE_FINETUNE, "train_subset": 256},
        # about 5 minutes each on one core (float32: fixed point is not exact in bfloat16)
        "cpu": {"epochs": 2, "lr": 0.01, "schedule": "cosine", "train_subset": 10000},
        "paper": {"epochs": 350, "lr": 0.01, "schedule": "cosine"},
    },
}


def _register_zhao() -> None:
    from .compression.quantize import paper_int_bits
    from .zhao import BITWIDTHS, DNS_DENSITIES, ZHAO_ARCHS

    build, prep = _hooked("zhao")
    for arch, dataset in ZHAO_ARCHS.items():
        register(
            ZooEntry(
                f"{arch}-base",
                arch,
                dataset,
                _ZHAO_BASE[arch],
                family="vanilla",
                description=f"{arch} baseline (Zhao et al.)",
                profiles=(),
            )
        )
        for d in DNS_DENSITIES:
            register(
                HookedZooEntry(
                    f"{arch}-dns{d}",
                    arch,
                    dataset,
                    _ZHAO_FINETUNE[arch],
                    family="pruned",
                    description=f"{arch} DNS-pruned to {d}% density, fine-tuned",
                    profiles=(),
                    parent=f"{arch}-base",
                    builder=build,
                    extra={
                        "dns": {
                            "density": d / 100,
                            "margin": 0.1,
                            "every": 10,
                            **_ZHAO_OPTIONS[arch]["dns"],
                        }
                    },
                    prepare_fn=prep,
                )
            )
        for b in BITWIDTHS:
            register(
                HookedZooEntry(
                    f"{arch}-q{b}",
                    arch,
                    dataset,
                    _ZHAO_FINETUNE[arch],
                    family="quantised",
                    description=f"{arch} fixed point, {b} bits ({paper_int_bits(b)} integer)",
                    profiles=(),
                    parent=f"{arch}-base",
                    builder=build,
                    extra={
                        "fixed_point": {
                            "bits": b,
                            "int_bits": paper_int_bits(b),
                            **_ZHAO_OPTIONS[arch]["fixed_point"],
                        }
                    },
                    prepare_fn=prep,
                )
            )


_register_galloway()
_register_zhao()
# ======================================================================= end issue 6 block
