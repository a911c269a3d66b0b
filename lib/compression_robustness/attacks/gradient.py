"""Gradient-based (white-box) attacks with anytime recording.

An iterative attack here records accuracy (and loss or perturbation size) at every requested
iteration count within one run, so a whole curve (such as BreakingBED's Fig. 2) costs one
attack. Every attack runs batched and torch-native on a :class:`FastPyTorchClassifier`; on
any other ART classifier it falls back to ART's ``predict``/``loss_gradient``/
``class_gradient`` (same arithmetic, slower).

Registered here (parameters in the papers' units, see each builder):

* ``pgd``: L∞ PGD with random start (Madry et al. 2018);
* ``fgsm``: the fast gradient sign method (Goodfellow et al. 2015), one L∞ step;
* ``bim``: the basic iterative method / I-FGSM (Kurakin et al. 2017), no random start;
* ``ifgm``: iterative FGM with L2-normalised steps (as in Zhao et al., "To compress or
  not to compress");
* ``cw_l2``: Carlini & Wagner L2 with a fixed trade-off constant ``c`` (Adam, no binary
  search);
* ``deepfool``: DeepFool (Moosavi-Dezfooli et al. 2016) with overshoot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from art.attacks.attack import EvasionAttack
from art.estimators.classification.classifier import ClassGradientsMixin, ClassifierMixin
from art.estimators.estimator import BaseEstimator, LossGradientsMixin
from tqdm import tqdm

from compression_robustness.attacks.base import (
    AttackSpec,
    SweepPoint,
    normalise_record_at,
    pixels_to_unit,
    register,
)
from compression_robustness.core.params import check_number
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Norm, Unit
from compression_robustness.runtime.estimator import DEFAULT_BATCH_SIZE, FastPyTorchClassifier


def resolve_batch_size(estimator, batch_size: int | None) -> int:
    """``batch_size``, or when ``None`` the estimator's ``default_batch_size`` (else 256).

    Never ART's default of 1: every attack here runs batched.
    """
    if batch_size is None:
        batch_size = getattr(estimator, "default_batch_size", None) or DEFAULT_BATCH_SIZE
    return check_number("batch_size", batch_size, min=1, integer=True)


def true_labels(y, who: str) -> torch.Tensor:
    """Integer labels as a tensor (one-hot accepted); ``None`` is a :class:`ConfigError`."""
    if y is None:
        raise ConfigError(f"{who} needs the true labels `y` (it records accuracy)")
    yt = torch.from_numpy(np.asarray(y)).long()
    return yt.argmax(1) if yt.ndim == 2 else yt


class _Backend:
    """Logits and input gradients of an ART classifier: torch-native for a
    :class:`FastPyTorchClassifier`, otherwise through ART's numpy API."""

    def __init__(self, estimator, batch_size: int):
        self.est = estimator
        self.fast = isinstance(estimator, FastPyTorchClassifier)
        self.batch_size = batch_size

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        if self.fast:
            return self.est.torch_predict(x, batch_size=self.batch_size).clone()
        return torch.from_numpy(self.est.predict(x.numpy(), batch_size=self.batch_size))

    def margin_grad(self, x: torch.Tensor, y: torch.Tensor):
        """``(grad of Z_y - max_{j≠y} Z_j wrt x, logits)`` (one forward, one backward)."""
        if self.fast:

            def run(forward):
                with torch.enable_grad():
                    xg = x.detach().requires_grad_(True)
                    z = forward(xg)
                    (g,) = torch.autograd.grad(margin(z, y).sum(), xg)
                return g, z.detach()

            return self.est.with_net(run, len(x))
        z = self.logits(x)
        other = _other_max(z, y)[1]
        xn = x.numpy()
        g = self.est.class_gradient(xn, label=y.numpy()) - self.est.class_gradient(
            xn, label=other.numpy()
        )
        return torch.from_numpy(g).reshape(x.shape), z

    def class_grads(self, x: torch.Tensor, labels: torch.Tensor):
        """``(logits, grads)`` with ``grads[i, k] = dZ_{labels[i, k]}(x_i)/dx_i``."""
        if self.fast:

            def run(forward):
                with torch.enable_grad():
                    xg = x.detach().requires_grad_(True)
                    z = forward(xg)
                    k = labels.shape[1]
                    grads = [
                        torch.autograd.grad(
                            z.gather(1, labels[:, j : j + 1]).sum(), xg, retain_graph=j < k - 1
                        )[0]
                        for j in range(k)
                    ]
                return z.detach(), torch.stack(grads, 1)

            # Always eager: a compiled backward donates its buffers and so cannot be run
            # again with retain_graph=True (one backward per class here), and DeepFool asks
            # for ever smaller subsets (its active examples), each a new compile.
            return self.est.with_net(run, len(x), allow_compile=False)
        z = self.logits(x)
        xn = x.numpy()
        grads = [
            torch.from_numpy(self.est.class_gradient(xn, label=labels[:, j].numpy())).reshape(
                x.shape
            )
            for j in range(labels.shape[1])
        ]
        return z, torch.stack(grads, 1)


def _other_max(z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The largest logit other than ``y`` and its class."""
    masked = z.masked_fill(F.one_hot(y, z.shape[1]).bool(), -math.inf)
    return masked.max(1)


def margin(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Z_y - max_{j≠y} Z_j``: positive iff ``y`` is the unique top class."""
    return z.gather(1, y[:, None]).squeeze(1) - _other_max(z, y)[0]


def _l2(d: torch.Tensor) -> torch.Tensor:
    return d.flatten(1).norm(dim=1)


# --------------------------------------------------------------------------- PGD, BIM, IFGM
class RecordingPGD(EvasionAttack):
    """L∞ projected gradient descent (Madry et al. 2018) that records as it goes.

    Starting from a uniform random point in the ε-ball (seeded), it takes ``max_iter``
    signed-gradient steps of size ``eps_step`` on the cross-entropy loss of the true label,
    projecting onto the ε-ball and [0, 1] after each. At every iteration count in
    ``record_at`` (0 = the random start) it records the accuracy and the mean cross-entropy
    loss of the current adversarial examples, so one run yields a whole curve.

    After :meth:`generate`, :attr:`record` is a DataFrame with one row per recorded
    iteration: ``iterations, accuracy, loss, n_examples``.

    With a :class:`FastPyTorchClassifier` it runs torch-native; with any other ART
    classifier it uses ``loss_gradient``/``predict`` (same arithmetic, slower).

    Subclasses change the start (:meth:`start`) and the step (:meth:`step`).
    """

    attack_params = ["eps", "eps_step", "max_iter", "record_at", "batch_size", "seed", "verbose"]
    _estimator_requirements = (BaseEstimator, LossGradientsMixin, ClassifierMixin)
    name = "PGD"

    def __init__(
        self,
        estimator,
        eps: float,
        eps_step: float,
        max_iter: int,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        seed: int = 0,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.eps, self.eps_step, self.max_iter = eps, eps_step, max_iter
        self.record_at = record_at
        self.batch_size, self.seed, self.verbose = batch_size, seed, verbose
        self._check_params()
        self.record: pd.DataFrame | None = None

    def _check_params(self) -> None:
        check_number("eps", self.eps, min=0)
        check_number("eps_step", self.eps_step, min=0)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    # -- gradient/prediction back-ends -------------------------------------------------------
    def _loss_grad(self, x: torch.Tensor, y: torch.Tensor):
        est = self.estimator
        if isinstance(est, FastPyTorchClassifier):
            return est.torch_loss_grad(x, y)
        # Generic ART path: mean-reduced gradient (same sign), logits from predict.
        onehot = np.eye(est.nb_classes, dtype=np.float32)[y.numpy()]  # ART wants one-hot
        g = torch.from_numpy(est.loss_gradient(x.numpy(), onehot))
        logits = torch.from_numpy(est.predict(x.numpy(), batch_size=len(x)))
        return g, logits, F.cross_entropy(logits, y, reduction="none")

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        est = self.estimator
        if isinstance(est, FastPyTorchClassifier):  # compiled too when the estimator compiles
            return est.torch_eval_logits(x)
        return torch.from_numpy(est.predict(x.numpy(), batch_size=len(x)))

    def random_start(self, x: torch.Tensor) -> torch.Tensor:
        """The seeded uniform start in the ε-ball, drawn over the whole input at once."""
        gen = torch.Generator().manual_seed(int(self.seed))
        noise = (torch.rand(x.shape, generator=gen, dtype=torch.float32) * 2 - 1) * self.eps
        return (x + noise).clamp_(0.0, 1.0)

    def start(self, x: torch.Tensor) -> torch.Tensor:
        """The starting point of the whole input (PGD: :meth:`random_start`)."""
        return self.random_start(x)

    def bounds(self, x0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Elementwise lower/upper bounds of the feasible set (the ε-ball within [0, 1])."""
        return (x0 - self.eps).clamp(min=0.0), (x0 + self.eps).clamp(max=1.0)

    def step(self, xa, grad, x0, lo, hi) -> torch.Tensor:
        """One ascent step from ``xa`` along ``grad``, projected onto the feasible set."""
        return torch.minimum(torch.maximum(xa + self.eps_step * grad.sign(), lo), hi)

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, type(self).__name__)
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        rec = set(self.record_at)
        n_rec = len(self.record_at)
        correct = torch.zeros(n_rec, dtype=torch.float64)
        loss_sum = torch.zeros(n_rec, dtype=torch.float64)
        slot = {it: k for k, it in enumerate(self.record_at)}
        x_start = self.start(xt)
        out = torch.empty_like(xt)
        n = len(yt)
        steps = tqdm(
            total=n * self.max_iter, desc=self.name, unit="img-step", disable=not self.verbose
        )
        for i in range(0, n, self.batch_size):
            x0, yb = xt[i : i + self.batch_size], yt[i : i + self.batch_size]
            lo, hi = self.bounds(x0)
            xa = x_start[i : i + self.batch_size].clone()
            for it in range(self.max_iter + 1):
                if it == self.max_iter:
                    if it in rec:
                        logits = self._logits(xa)
                        losses = F.cross_entropy(logits, yb, reduction="none")
                        correct[slot[it]] += (logits.argmax(1) == yb).sum()
                        loss_sum[slot[it]] += losses.double().sum()
                    break
                grad, logits, losses = self._loss_grad(xa, yb)
                if it in rec:
                    correct[slot[it]] += (logits.argmax(1) == yb).sum()
                    loss_sum[slot[it]] += losses.double().sum()
                xa = self.step(xa, grad, x0, lo, hi)
                steps.update(len(yb))
            out[i : i + self.batch_size] = xa
        steps.close()
        self.record = pd.DataFrame(
            {
                "iterations": self.record_at,
                "accuracy": (correct / n).numpy(),
                "loss": (loss_sum / n).numpy(),
                "n_examples": n,
            }
        )
        return out.numpy()


class RecordingBIM(RecordingPGD):
    """The basic iterative method / I-FGSM (Kurakin et al. 2017), recording as it goes.

    PGD without the random start: ``max_iter`` signed-gradient steps of size ``eps_step``
    from the clean input, each projected onto the L∞ ε-ball and [0, 1]. With
    ``max_iter=1`` and ``eps_step=eps`` it is FGSM (Goodfellow et al. 2015). ``seed`` is
    accepted for a uniform interface; nothing is random.
    """

    name = "BIM"

    def start(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()


class RecordingIFGM(RecordingPGD):
    """Iterative fast gradient method with L2-normalised steps, recording as it goes.

    From the clean input it takes ``max_iter`` steps ``x ← clip_[0,1](x + eps_step · g/‖g‖₂)``
    with ``g`` the input gradient of the cross-entropy of the true label, per example
    (Zhao et al., "To compress or not to compress": ``eps_step=0.02`` for 12 iterations).
    ``eps_step`` is an L2 norm **in [0, 1] input units** (the whole image's perturbation per
    step). ``eps`` optionally bounds the total L2 perturbation (projection onto the L2 ball
    before clipping); ``None`` (the paper's setting) leaves it bounded only by
    ``max_iter * eps_step``. Records ``iterations, accuracy, loss, n_examples``.
    """

    name = "IFGM"

    def __init__(
        self,
        estimator,
        eps_step: float,
        max_iter: int,
        eps: float | None = None,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        seed: int = 0,
        verbose: bool = False,
    ):
        super().__init__(
            estimator,
            eps=eps,
            eps_step=eps_step,
            max_iter=max_iter,
            record_at=record_at,
            batch_size=batch_size,
            seed=seed,
            verbose=verbose,
        )

    def _check_params(self) -> None:
        if self.eps is not None:
            check_number("eps", self.eps, min=0)
        check_number("eps_step", self.eps_step, min=0)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def start(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def bounds(self, x0: torch.Tensor):
        return None, None

    def step(self, xa, grad, x0, lo, hi) -> torch.Tensor:
        norm = _l2(grad).clamp_min(1e-12).view(-1, *([1] * (grad.ndim - 1)))
        xa = xa + self.eps_step * grad / norm
        if self.eps is not None:
            d = xa - x0
            scale = (self.eps / _l2(d).clamp_min(1e-12)).clamp(max=1.0)
            xa = x0 + d * scale.view(-1, *([1] * (d.ndim - 1)))
        return xa.clamp(0.0, 1.0)


# --------------------------------------------------------------------------- Carlini & Wagner
def _success_frame(record_at, correct, n_fooled, l2_sum, n, n_orig_correct) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "iterations": record_at,
                "accuracy": (correct / n).numpy(),
                "success_rate": (n_fooled / max(1, n_orig_correct)).numpy(),
                "mean_l2": (l2_sum / n_fooled).numpy(),
                "n_examples": n,
            }
        )


class RecordingCarliniL2(EvasionAttack):
    """Carlini & Wagner's L2 attack (2017) with a fixed constant ``c``, recording as it goes.

    Untargeted: it minimises ``‖x' − x‖₂² + c · max(Z_y(x') − max_{j≠y} Z_j(x') + κ, 0)``
    over the tanh-space variable ``w`` (``x' = (tanh w + 1)/2``, so x' stays in [0, 1]) with
    Adam (learning rate ``learning_rate``, β = (0.9, 0.999)) as in the authors' code, for
    ``max_iter`` iterations, batched. Like C&W (and ART) it keeps, per example, the
    adversarial example of least L2 norm found so far (the clean input if none), checked
    before every update and after the last.

    ``c`` is fixed: there is **no binary search** over it (the paper sweeps ``c`` as its
    ε), i.e. ART's ``CarliniL2Method`` with ``binary_search_steps=1, initial_const=c``. The
    optimiser differs from ART's (Adam versus ART's gradient descent with line search).

    At every iteration count in ``record_at`` (0 = the clean input) it records the
    best-so-far examples: ``iterations, accuracy, success_rate`` (fooled among the originally
    correct), ``mean_l2`` (mean L2 norm of those fooled, [0, 1] units) and ``n_examples``.
    """

    attack_params = [
        "c",
        "confidence",
        "learning_rate",
        "max_iter",
        "record_at",
        "batch_size",
        "verbose",
    ]
    _estimator_requirements = (BaseEstimator, ClassGradientsMixin, ClassifierMixin)
    _tanh_smoother = 0.999999  # as ART and C&W: keeps arctanh finite at 0 and 1

    def __init__(
        self,
        estimator,
        c: float,
        max_iter: int,
        confidence: float = 0.0,
        learning_rate: float = 0.01,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.c, self.max_iter, self.confidence = c, max_iter, confidence
        self.learning_rate, self.record_at = learning_rate, record_at
        self.batch_size, self.verbose = batch_size, verbose
        self._check_params()
        self.record: pd.DataFrame | None = None

    def _check_params(self) -> None:
        check_number("c", self.c, min=0, strict_min=True)
        check_number("confidence", self.confidence, min=0)
        check_number("learning_rate", self.learning_rate, min=0, strict_min=True)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, "RecordingCarliniL2")
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        be = _Backend(self.estimator, self.batch_size)
        slot = {it: k for k, it in enumerate(self.record_at)}
        n_rec, n = len(self.record_at), len(yt)
        correct = torch.zeros(n_rec, dtype=torch.float64)
        n_fooled = torch.zeros(n_rec, dtype=torch.float64)
        l2_sum = torch.zeros(n_rec, dtype=torch.float64)
        n_orig_correct = 0
        b1, b2, adam_eps, lr, kappa = 0.9, 0.999, 1e-8, self.learning_rate, self.confidence
        out = torch.empty_like(xt)
        bar = tqdm(
            total=n * self.max_iter, desc="C&W L2", unit="img-step", disable=not self.verbose
        )
        for i in range(0, n, self.batch_size):
            x0, yb = xt[i : i + self.batch_size], yt[i : i + self.batch_size]
            shape = (-1,) + (1,) * (x0.ndim - 1)
            w = torch.atanh((2 * x0 - 1) * self._tanh_smoother)
            m, v = torch.zeros_like(w), torch.zeros_like(w)
            best_l2 = torch.full((len(yb),), math.inf)
            best_x, best_pred = x0.clone(), None
            orig_correct = None
            for it in range(self.max_iter + 1):
                xa = x0 if it == 0 else (torch.tanh(w) + 1) / 2
                if it < self.max_iter:
                    g, z = be.margin_grad(xa, yb)
                else:
                    z = be.logits(xa)
                mg = margin(z, yb)
                pred = z.argmax(1)
                if it == 0:
                    best_pred = pred.clone()
                    orig_correct = pred == yb
                    n_orig_correct += int(orig_correct.sum())
                l2sq = (xa - x0).pow(2).flatten(1).sum(1)
                improved = (mg + kappa <= 0) & (l2sq < best_l2)
                best_l2[improved] = l2sq[improved]
                best_x[improved] = xa[improved]
                best_pred[improved] = pred[improved]
                if it in slot:
                    k = slot[it]
                    fooled = orig_correct & (best_pred != yb)
                    correct[k] += (best_pred == yb).sum()
                    n_fooled[k] += fooled.sum()
                    l2_sum[k] += best_l2[fooled].sqrt().double().sum()
                if it == self.max_iter:
                    break
                tw = torch.tanh(w)
                gx = self.c * (mg + kappa > 0).to(g.dtype).view(shape) * g + 2 * (xa - x0)
                gw = gx * (1 - tw * tw) / 2
                t = it + 1
                m.mul_(b1).add_(gw, alpha=1 - b1)
                v.mul_(b2).addcmul_(gw, gw, value=1 - b2)
                mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
                w = w - lr * mhat / (vhat.sqrt() + adam_eps)
                bar.update(len(yb))
            out[i : i + self.batch_size] = best_x
        bar.close()
        self.record = _success_frame(self.record_at, correct, n_fooled, l2_sum, n, n_orig_correct)
        return out.numpy()


# --------------------------------------------------------------------------- DeepFool
class RecordingDeepFool(EvasionAttack):
    """DeepFool (Moosavi-Dezfooli et al. 2016), batched and torch-native, recording as it goes.

    For each example it linearises the classifier around the current point and steps to the
    nearest linearised boundary between the originally predicted class and the ``nb_grads``
    top-scoring classes (``nb_grads`` per example; ART takes their union over the input),
    clipping to [0, 1]; an example stops as soon as its prediction changes, or after
    ``max_iter`` steps. The result is ``x + (1 + overshoot)·(x_k − x)`` clipped to [0, 1] — the
    same arithmetic as ART's ``DeepFool`` (``epsilon`` there is the overshoot).

    One difference from ART: examples whose prediction is already wrong (against the true
    labels ``y``) are returned unchanged, as C&W and the black-box attacks do. ART attacks
    them too, away from their wrong prediction and often into the true class, which would
    let the accuracy under attack exceed the clean accuracy.

    At every iteration count in ``record_at`` (0 = the clean input) it records the result
    that a run with ``max_iter`` equal to that count returns (overshoot applied):
    ``iterations, accuracy, success_rate, mean_l2, n_examples`` (as
    :class:`RecordingCarliniL2`).
    """

    attack_params = ["max_iter", "overshoot", "nb_grads", "record_at", "batch_size", "verbose"]
    _estimator_requirements = (BaseEstimator, ClassGradientsMixin, ClassifierMixin)
    _tol = 1e-7  # ART's guard against division by zero

    def __init__(
        self,
        estimator,
        max_iter: int,
        overshoot: float = 0.02,
        nb_grads: int = 10,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.max_iter, self.overshoot, self.nb_grads = max_iter, overshoot, nb_grads
        self.record_at, self.batch_size, self.verbose = record_at, batch_size, verbose
        self._check_params()
        self.record: pd.DataFrame | None = None

    def _check_params(self) -> None:
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("overshoot", self.overshoot, min=0)
        check_number("nb_grads", self.nb_grads, min=2, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def _linear_step(self, z, grads, cand):
        """The minimal step to the nearest linearised boundary (ART's arithmetic)."""
        f = z.gather(1, cand)  # (n, K), column 0 = the original prediction
        w_diff = grads - grads[:, :1]
        f_diff = f - f[:, :1]
        norm = w_diff.flatten(2).norm(dim=2) + self._tol
        value = f_diff.abs() / norm
        value[:, 0] = math.inf
        lsel = value.argmin(1)
        ar = torch.arange(len(lsel))
        w_l = w_diff[ar, lsel]
        r = f_diff[ar, lsel].abs() / (w_l.flatten(1).norm(dim=1).pow(2) + self._tol)
        return r.view(-1, *([1] * (w_l.ndim - 1))) * w_l

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, "RecordingDeepFool")
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        be = _Backend(self.estimator, self.batch_size)
        slot = {it: k for k, it in enumerate(self.record_at)}
        n_rec, n = len(self.record_at), len(yt)
        correct = torch.zeros(n_rec, dtype=torch.float64)
        n_fooled = torch.zeros(n_rec, dtype=torch.float64)
        l2_sum = torch.zeros(n_rec, dtype=torch.float64)
        n_orig_correct = 0
        out = torch.empty_like(xt)
        bar = tqdm(
            total=n * self.max_iter, desc="DeepFool", unit="img-step", disable=not self.verbose
        )

        for i in range(0, n, self.batch_size):
            x0, yb = xt[i : i + self.batch_size], yt[i : i + self.batch_size]
            z0 = be.logits(x0)
            cand = z0.topk(min(self.nb_grads, z0.shape[1]), dim=1).indices
            khat = cand[:, 0]
            orig_correct = khat == yb
            n_orig_correct += int(orig_correct.sum())
            cur = x0.clone()
            active = orig_correct.clone()  # misclassified examples are left as they are

            def result(cur=cur, x0=x0):
                return (x0 + (1 + self.overshoot) * (cur - x0)).clamp(0.0, 1.0)

            def record(k, res, yb=yb, orig_correct=orig_correct, x0=x0):
                pred = be.logits(res).argmax(1)
                fooled = orig_correct & (pred != yb)
                correct[k] += (pred == yb).sum()
                n_fooled[k] += fooled.sum()
                l2_sum[k] += _l2(res - x0)[fooled].double().sum()

            if 0 in slot:
                record(slot[0], x0)
            z, grads = be.class_grads(x0, cand) if self.max_iter > 0 else (z0, None)
            for step in range(1, self.max_iter + 1):
                idx = active.nonzero().squeeze(1)
                if len(idx):
                    r = self._linear_step(z[idx], grads[idx], cand[idx])
                    cur[idx] = (cur[idx] + r).clamp(0.0, 1.0)
                    if step < self.max_iter:
                        z_new, g_new = be.class_grads(cur[idx], cand[idx])
                        grads[idx] = g_new
                    else:
                        z_new = be.logits(cur[idx])
                    z[idx] = z_new
                    active[idx] = z_new.argmax(1) == khat[idx]
                    bar.update(len(idx))
                if step in slot:
                    record(slot[step], result())
            out[i : i + self.batch_size] = result()
        bar.close()
        self.record = _success_frame(self.record_at, correct, n_fooled, l2_sum, n, n_orig_correct)
        return out.numpy()


# --------------------------------------------------------------------------- builders
def build_pgd(
    estimator,
    eps: float,
    alpha: float,
    max_iter: int,
    record_at: Sequence[int] | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingPGD:
    """PGD with ε and step α in 0-255 pixel units, random start, L∞."""
    check_number("eps", eps, min=0)
    check_number("alpha", alpha, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingPGD(
        estimator,
        eps=pixels_to_unit(eps),
        eps_step=pixels_to_unit(alpha),
        max_iter=max_iter,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        seed=seed,
        verbose=verbose,
    )


def build_fgsm(
    estimator, eps: float, batch_size: int | None = None, verbose: bool = False
) -> RecordingBIM:
    """FGSM: one signed-gradient step of size ε (0-255 pixel units, L∞); records that step."""
    check_number("eps", eps, min=0, strict_min=True)
    return RecordingBIM(
        estimator,
        eps=pixels_to_unit(eps),
        eps_step=pixels_to_unit(eps),
        max_iter=1,
        record_at=[1],
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_bim(
    estimator,
    eps: float,
    alpha: float,
    max_iter: int,
    record_at: Sequence[int] | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingBIM:
    """BIM / I-FGSM with ε and step α in 0-255 pixel units, L∞, no random start."""
    check_number("eps", eps, min=0, strict_min=True)
    check_number("alpha", alpha, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingBIM(
        estimator,
        eps=pixels_to_unit(eps),
        eps_step=pixels_to_unit(alpha),
        max_iter=max_iter,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_ifgsm(
    estimator,
    step: float,
    max_iter: int,
    eps: float | None = None,
    record_at: Sequence[int] | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingBIM:
    """I-FGSM in [0, 1] input units (Zhao et al., Galloway et al.): ``max_iter`` L-inf
    steps of ``step``, within ``eps`` (default ``step * max_iter``, so that only the [0, 1]
    clipping binds); one step of ``step`` is FGSM."""
    check_number("step", step, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingBIM(
        estimator,
        eps=step * max_iter if eps is None else eps,
        eps_step=step,
        max_iter=max_iter,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_ifgm(
    estimator,
    eps: float = 0.02,
    max_iter: int = 12,
    record_at: Sequence[int] | None = None,
    max_norm: float | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingIFGM:
    """Iterative FGM (L2): ``eps`` is the L2 norm of each step in [0, 1] input units
    (Zhao et al.: 0.02 for 12 iterations); ``max_norm`` optionally bounds the total L2
    perturbation ([0, 1] units; ``None`` = no bound, as in the paper)."""
    check_number("eps", eps, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    if max_norm is not None:
        check_number("max_norm", max_norm, min=0, strict_min=True)
    return RecordingIFGM(
        estimator,
        eps_step=float(eps),
        max_iter=max_iter,
        eps=None if max_norm is None else float(max_norm),
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_cw_l2(
    estimator,
    c: float,
    max_iter: int = 50,
    record_at: Sequence[int] | None = None,
    confidence: float = 0.0,
    learning_rate: float = 0.01,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingCarliniL2:
    """C&W L2 with the paper's ε = the trade-off constant ``c`` (ART's ``initial_const``;
    not the confidence κ), fixed (no binary search), ``max_iter`` Adam iterations."""
    check_number("c", c, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingCarliniL2(
        estimator,
        c=float(c),
        max_iter=max_iter,
        confidence=confidence,
        learning_rate=learning_rate,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_deepfool(
    estimator,
    max_iter: int = 50,
    overshoot: float = 0.02,
    nb_grads: int = 10,
    record_at: Sequence[int] | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingDeepFool:
    """DeepFool with ``max_iter`` iterations (the paper's strength axis) and overshoot
    0.02 (the paper's default), linearising towards the ``nb_grads`` top classes."""
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingDeepFool(
        estimator,
        max_iter=max_iter,
        overshoot=overshoot,
        nb_grads=nb_grads,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def _pgd_sweep(p: SweepPoint) -> dict:
    # step eps/4, as in the paper's Fig. 2 (eps 2, alpha 0.5)
    return {
        "eps": p.eps,
        "alpha": p.eps / 4,
        "max_iter": p.max_iter,
        "record_at": p.iterations,
        "seed": p.seed,
    }


def _cw_sweep(p: SweepPoint) -> dict:
    # the paper's eps of C&W is its trade-off constant c
    return {"c": p.eps, "max_iter": p.max_iter, "record_at": p.iterations}


def _deepfool_sweep(p: SweepPoint) -> dict:
    return {"max_iter": p.max_iter, "record_at": p.iterations}


register(
    "pgd",
    AttackSpec(
        build_pgd,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="PGD, i = 3",
        description="L-inf PGD with random start (Madry et al. 2018), anytime recording",
        anytime=True,
        sweep_axes=frozenset({"eps", "iterations"}),
        stress=("eps", {"iterations": 3}),
        stress_label="ε (0-255)",
        sweep_params=_pgd_sweep,
        order=2,
    ),
)
register(
    "fgsm",
    AttackSpec(
        build_fgsm,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="FGSM",
        description="FGSM, one signed-gradient step (Goodfellow et al. 2015)",
        sweep_axes=frozenset({"eps"}),
        stress=("eps", {}),
        stress_label="ε (0-255)",
        sweep_params=lambda p: {"eps": p.eps},
        order=1,
    ),
)
register(
    "bim",
    AttackSpec(
        build_bim,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="BIM",
        description="BIM / I-FGSM without random start (Kurakin et al. 2017), step alpha in "
        "0-255 units, anytime recording",
        anytime=True,
    ),
)
register(
    "ifgsm",
    AttackSpec(
        build_ifgsm,
        unit=Unit.UNIT_INTERVAL,
        norm=Norm.LINF,
        title="IFGSM",
        description="I-FGSM with L-inf steps in [0, 1] input units (Zhao et al.; one step is "
        "Galloway et al.'s FGSM), no random start, anytime recording",
        anytime=True,
    ),
)
register(
    "ifgm",
    AttackSpec(
        build_ifgm,
        unit=Unit.UNIT_INTERVAL,
        norm=Norm.L2,
        title="IFGM",
        description="iterative FGM with L2-normalised steps of eps in [0, 1] input units "
        "(Zhao et al.: 0.02 x 12 iterations), clipped to [0, 1], anytime recording",
        anytime=True,
    ),
)
register(
    "cw_l2",
    AttackSpec(
        build_cw_l2,
        unit=Unit.CW_CONSTANT,
        norm=Norm.L2,
        title="C&W-L2, c = 1",
        description="Carlini & Wagner L2, fixed trade-off constant c (ART's initial_const, not "
        "confidence), Adam in tanh space, best-so-far anytime recording",
        anytime=True,
        sweep_axes=frozenset({"eps", "iterations"}),
        stress=("iterations", {"eps": 1.0}),
        stress_label="iterations",
        sweep_params=_cw_sweep,
        order=3,
    ),
)
register(
    "deepfool",
    AttackSpec(
        build_deepfool,
        unit=Unit.NONE,
        norm=Norm.L2,
        title="DeepFool",
        description="DeepFool (Moosavi-Dezfooli et al. 2016), batched, overshoot 0.02; "
        "strength = iterations; anytime recording",
        anytime=True,
        sweep_axes=frozenset({"iterations"}),
        stress=("iterations", {}),
        stress_label="iterations",
        sweep_params=_deepfool_sweep,
        order=4,
    ),
)
