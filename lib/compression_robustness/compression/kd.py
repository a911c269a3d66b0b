"""Knowledge distillation with a KL term (KD-KL; Hinton, Vinyals & Dean 2015).

BreakingBED (Vemparala et al. 2021) distils with the KL loss of CRD's code base
(Tian, Krishnan & Isola 2020, "Contrastive representation distillation", the RepDistiller
repository): the student minimises

    ce_weight * CE(student, y) + kl_weight * T^2 * KL(softmax(teacher / T) || softmax(student / T))

with the KL averaged over the batch ("batchmean"); the ``T^2`` keeps the soft-target
gradients on the scale of the hard-target ones (Hinton et al. 2015, Sec. 2). The student has
the same architecture (and training recipe) as the teacher's vanilla model and is evaluated
at T = 1, i.e. on its plain logits: distillation only changes the training loss.

Use with the trainer::

    teacher = zoo.get("resnet20-vanilla", profile).model
    loss_fn = make_kd_loss(teacher, Normalize(spec.mean, spec.std))
    train(student, recipe, loss_fn=loss_fn)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness.compression.base import CompressionMethod, Preparation, register
from compression_robustness.core import recipes as R
from compression_robustness.core.units import Family


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    y: torch.Tensor,
    T: float = 30.0,
    kl_weight: float = 0.9,
    ce_weight: float = 0.1,
) -> torch.Tensor:
    """``ce_weight * CE(s, y) + kl_weight * T^2 * KL(softmax(t/T) || softmax(s/T))`` (batchmean).

    The teacher logits are treated as constants (detached).
    """
    if T <= 0:
        raise ValueError(f"temperature T must be positive, got {T}")
    ce = F.cross_entropy(student_logits, y)
    kl = F.kl_div(
        F.log_softmax(student_logits / T, dim=1),
        F.log_softmax(teacher_logits.detach() / T, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    return ce_weight * ce + kl_weight * T * T * kl


def make_kd_loss(
    teacher: nn.Module,
    normalize: Callable[[torch.Tensor], torch.Tensor] | None,
    T: float = 30.0,
    kl_weight: float = 0.9,
    ce_weight: float = 0.1,
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """A ``loss_fn(logits, y, x)`` for :func:`compression_robustness.runtime.train.train`.

    ``x`` is the raw [0, 1] batch the trainer feeds the student (which normalises it
    itself); the teacher, a raw model like every zoo model, gets ``normalize(x)`` (pass the
    dataset's :class:`~compression_robustness.models.Normalize`; ``None`` feeds ``x``
    unchanged). The teacher runs in eval mode under ``torch.inference_mode`` and is never updated.
    """
    teacher.eval()

    def loss_fn(logits: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if teacher.training:  # someone switched it back; BN statistics must stay frozen
            teacher.eval()
        # inference mode (no autograd bookkeeping at all); under the trainer's bfloat16
        # autocast the teacher's forward runs in bfloat16 too. The clone leaves inference
        # mode so that the loss may keep it for its backward pass.
        p = next(teacher.parameters(), None)
        if p is not None and p.device != x.device:  # the trainer moved the student there
            teacher.to(x.device)
            if isinstance(normalize, nn.Module):
                normalize.to(x.device)
        with torch.inference_mode():
            t_logits = teacher(normalize(x) if normalize is not None else x)
        t_logits = t_logits.clone()
        return kd_loss(logits, t_logits, y, T=T, kl_weight=kl_weight, ce_weight=ce_weight)

    return loss_fn


# --------------------------------------------------------------------------- zoo method
#: BreakingBED's KD-KL: temperature 30 (the paper's value), RepDistiller's loss weights.
KD_DEFAULTS = {"T": 30.0, "kl_weight": 0.9, "ce_weight": 0.1}


def _prepare_kd(model: nn.Module, settings, ctx) -> Preparation:
    if ctx.teacher is None:
        raise ValueError("knowledge distillation needs a teacher")
    return Preparation(loss_fn=make_kd_loss(ctx.teacher, ctx.normalize, **settings["kd"]))


register(
    CompressionMethod(
        "kd",
        Family.DISTILLED,
        "KD-KL",
        "{arch} distilled from {teacher} with KD-KL (T=30)",
        10,
        settings={"kd": KD_DEFAULTS},
        # trained from scratch with the teacher's soft targets: the vanilla schedule
        recipes={"smoke": R.SMOKE_CIFAR, "cpu": R.CPU_CIFAR, "paper": R.REPDISTILLER},
        teacher={"resnet20": "resnet56-vanilla", "resnet56": "resnet110-vanilla"},
        prepare=_prepare_kd,
        profiles={"resnet20": ("smoke", "cpu", "paper"), "resnet56": ("paper",)},
    )
)
