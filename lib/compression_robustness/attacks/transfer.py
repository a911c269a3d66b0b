"""Transfer evaluation (generate on one model, evaluate on another) and substitute training.

* :func:`transfer_rows` crafts adversarial examples on a **source** estimator and only
  *predicts* with each **target**: the targets' gradients are never requested, so the
  attack is black-box for them (Zhao et al.'s three scenarios and Galloway et al.'s
  black-box table are both this).
* :func:`train_substitute` is Papernot et al.'s (2017) practical black-box attack: a
  substitute network is trained on labels queried from the target (an oracle returning
  class labels only), with Jacobian-based dataset augmentation
  ``x ← clip(x + λ · sign(∇_x F_sub(x)[oracle(x)]))`` doubling the set each round.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from art.attacks.attack import EvasionAttack
from torch import nn

from compression_robustness.core.params import check_number
from compression_robustness.data.datasets import DatasetSpec
from compression_robustness.models import Normalize
from compression_robustness.runtime.estimator import FastPyTorchClassifier


def predict_labels(est, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Class labels from an estimator's forward pass only (no gradients)."""
    if isinstance(est, FastPyTorchClassifier):
        return est.torch_predict(x, batch_size=batch_size).argmax(1)
    return torch.from_numpy(est.predict(x.numpy(), batch_size=batch_size).argmax(1))


def perturbation_stats(x: torch.Tensor, x_adv: torch.Tensor) -> dict[str, float]:
    """Mean absolute perturbation per pixel and mean L2 norm per image ([0, 1] units)."""
    d = (x_adv - x).flatten(1)
    return {
        "mean_abs_perturbation": float(d.abs().mean()),
        "mean_l2": float(d.norm(dim=1).mean()),
    }


def generate(attack: EvasionAttack, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Adversarial examples of ``x`` from ``attack`` (bound to the *source* estimator)."""
    return torch.from_numpy(attack.generate(x.numpy(), y.numpy()))


def transfer_rows(
    x: torch.Tensor,
    y: torch.Tensor,
    x_adv: torch.Tensor,
    targets: dict[str, object],
    batch_size: int = 256,
) -> list[dict]:
    """Accuracy of every target (name -> estimator) on ``x_adv``, by prediction only."""
    stats = perturbation_stats(x, x_adv)
    rows = []
    for name, est in targets.items():
        clean = (predict_labels(est, x, batch_size) == y).float().mean().item()
        adv = (predict_labels(est, x_adv, batch_size) == y).float().mean().item()
        rows.append(
            {
                "target": name,
                "clean_accuracy": clean,
                "accuracy": adv,
                "n_examples": len(y),
                **stats,
            }
        )
    return rows


def jacobian_augment(
    model: nn.Module, x: torch.Tensor, labels: torch.Tensor, lam: float
) -> torch.Tensor:
    """Papernot et al.'s augmentation: step ``lam`` along the sign of the substitute's
    gradient of the oracle-assigned class, clipped to [0, 1]."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        z = model(xg)
        (g,) = torch.autograd.grad(z.gather(1, labels[:, None]).sum(), xg)
    return (x + lam * g.sign()).clamp(0, 1).detach()


def train_substitute(
    oracle: Callable[[torch.Tensor], torch.Tensor],
    x_seed: torch.Tensor,
    build: Callable[[], nn.Module],
    spec: DatasetSpec,
    rounds: int = 4,
    epochs: int = 10,
    lam: float = 0.1,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[nn.Module, dict]:
    """Train a substitute on oracle labels with Jacobian augmentation (Papernot et al.).

    ``oracle(x)`` returns class labels for [0, 1] inputs (the only access to the target).
    Returns the substitute (taking [0, 1] inputs, normalisation included, eval mode) and
    ``{"n_queries", "n_train"}``.
    """
    check_number("sub_rounds", rounds, min=1, integer=True)
    check_number("sub_epochs", epochs, min=1, integer=True)
    check_number("sub_lambda", lam, min=0, strict_min=True)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(Normalize(spec.mean, spec.std), build())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x = x_seed.clone()
    labels = oracle(x)
    n_queries = len(x)
    for r in range(rounds):
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), batch_size):
                bi = perm[i : i + batch_size]
                loss = F.cross_entropy(net(x[bi]), labels[bi])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        if r < rounds - 1:
            net.eval()
            # Papernot et al. alternate the sign of lambda every few rounds; one sign here.
            x_new = jacobian_augment(net, x, labels, lam)
            y_new = oracle(x_new)
            n_queries += len(x_new)
            x, labels = torch.cat([x, x_new]), torch.cat([labels, y_new])
    net.eval()
    return net, {"n_queries": n_queries, "n_train": len(x)}


def accuracy_of(net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> float:
    with torch.inference_mode():
        pred = torch.cat(
            [net(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]
        )
    return float((pred == y).float().mean())


def as_numpy_labels(y: torch.Tensor) -> np.ndarray:
    return y.numpy().astype(np.int64)
