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
* ``ifgm``: iterative FGM with L2-normalised steps (Zhao et al., "To compress or not to
  compress"; or their Algorithm 1's raw steps ``eps · ∇J``);
* ``cw_l2``: Carlini & Wagner L2 (Adam in tanh space), trade-off constant ``c`` fixed or
  binary-searched per example;
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
from compression_robustness.core.params import check_choices, check_number
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
    """Iterative fast gradient method (Kurakin et al. 2017; Zhao et al.'s IFGM), recording.

    From the clean input it takes ``max_iter`` steps ``x ← clip_[0,1](x + N)``, in [0, 1]
    input units (Zhao et al.: ``eps_step = 0.02`` for 12 iterations, clipped to [0, 1] only).

    By default (``normalise=True``, the study's results so far) ``N = eps_step · g/‖g‖₂``
    per example, ``g`` the input gradient of the cross-entropy of the true label
    (cleverhans/ART FGM with norm 2; ``loss_reduction`` does not matter).
    ``normalise=False`` is Zhao et al.'s Algorithm 1 read literally (IFGSM with its sign
    dropped): ``N = eps_step · ∇_x J(x, y)``, the raw gradient. It is weaker on binarised
    models, whose clipped straight-through gradients are small (tests/test_attacks_strength.py),
    and the transferability chapter has not been recomputed with it.

    ``loss_reduction`` (raw steps only) fixes the scale of ``∇J``, which the paper does not state:

    * ``"sum"`` (default): ``J`` is the batch's summed cross-entropy, so each example's
      step is ``eps_step`` times the gradient of *its own* loss, whatever else is in its
      batch and however the examples are batched (what cleverhans' FGM differentiates:
      the vector of per-example losses, which TensorFlow's gradient sums);
    * ``"mean"``: the batch-mean cross-entropy (the default of PyTorch's and Keras' loss
      objects): every step is ``1/len(batch)`` times the ``"sum"`` step, so an example's
      attack depends on the ``batch_size`` it was batched with (measured on LeNet5 with 250
      images per batch: no effect at all at the paper's settings).

    Because ``N`` is proportional to the gradient, an example the model classifies with
    high confidence (a vanishing cross-entropy gradient) moves very little; that is the
    paper's definition. ``eps`` optionally bounds the total L2
    perturbation (projection onto the L2 ball before clipping); ``None`` (the paper's
    setting) leaves it unbounded. Records ``iterations, accuracy, loss, n_examples``.
    """

    name = "IFGM"
    LOSS_REDUCTIONS = ("sum", "mean")

    def __init__(
        self,
        estimator,
        eps_step: float,
        max_iter: int,
        eps: float | None = None,
        loss_reduction: str = "sum",
        normalise: bool = True,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        seed: int = 0,
        verbose: bool = False,
    ):
        self.loss_reduction, self.normalise = loss_reduction, normalise
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
        check_choices("loss_reduction", [self.loss_reduction], self.LOSS_REDUCTIONS)
        if not isinstance(self.normalise, bool):
            raise ConfigError(f"parameter `normalise` must be a bool, got {self.normalise!r}")
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def _loss_grad(self, x: torch.Tensor, y: torch.Tensor):
        grad, logits, losses = super()._loss_grad(x, y)
        if not isinstance(self.estimator, FastPyTorchClassifier):
            grad = grad * len(x)  # ART's loss_gradient is of the batch-mean loss
        return grad, logits, losses

    def start(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def bounds(self, x0: torch.Tensor):
        return None, None

    def step(self, xa, grad, x0, lo, hi) -> torch.Tensor:
        if self.normalise:
            norm = _l2(grad).clamp_min(1e-12).view(-1, *([1] * (grad.ndim - 1)))
            xa = xa + self.eps_step * grad / norm
        else:  # the paper's N = eps * grad J, J summed (per example) or batch-averaged
            scale = 1.0 / len(xa) if self.loss_reduction == "mean" else 1.0
            xa = xa + (self.eps_step * scale) * grad
        if self.eps is not None:
            d = xa - x0
            scale = (self.eps / _l2(d).clamp_min(1e-12)).clamp(max=1.0)
            xa = x0 + d * scale.view(-1, *([1] * (d.ndim - 1)))
        return xa.clamp(0.0, 1.0)


# --------------------------------------------------------------------------- Carlini & Wagner
def _success_frame(
    record_at, correct, n_fooled, l2_sum, n, n_orig_correct, n_l2=None
) -> pd.DataFrame:
    """The record of a minimal-perturbation attack; ``mean_l2 = l2_sum / n_l2`` (default
    ``n_l2 = n_fooled``: the mean L2 of the fooled examples)."""
    n_l2 = n_fooled if n_l2 is None else n_l2
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "iterations": record_at,
                "accuracy": (correct / n).numpy(),
                "success_rate": (n_fooled / max(1, n_orig_correct)).numpy(),
                "mean_l2": (l2_sum / n_l2).numpy(),
                "n_examples": n,
            }
        )


class RecordingCarliniL2(EvasionAttack):
    """Carlini & Wagner's L2 attack (2017), batched and torch-native, recording as it goes.

    Untargeted: it minimises ``‖x' − x‖₂² + c · max(Z_y(x') − max_{j≠y} Z_j(x') + κ, 0)``
    over the tanh-space variable ``w`` (``x' = (tanh w + 1)/2``, so x' stays in [0, 1]) with
    Adam (learning rate ``learning_rate``, β = (0.9, 0.999)) as in the authors' code, for
    ``max_iter`` iterations per constant, batched. Like C&W (and ART) it keeps, per example,
    the adversarial example of least L2 norm found so far (the clean input if none), checked
    before every update and after the last.

    **Binary search over c** (``binary_search_steps``, the authors' scheme): ``c`` is the
    initial constant (ART's ``initial_const``); after each search step an example that
    became adversarial halves its interval (``c ← (lo + hi)/2`` with ``hi = c``), one that
    did not multiplies ``c`` by 10 until it has succeeded once, then bisects upwards. Every
    step restarts from the clean input with fresh Adam moments. ``binary_search_steps=1``
    is a fixed ``c`` (the paper sweeps ``c`` as its ε; BreakingBED's sweep).

    **Convergence on saturated inputs.** A pixel exactly at 0 or 1 (81.5 % of MNIST's) sits
    at ``w = ±atanh(smoother)``; Adam moves ``w`` by about ``learning_rate`` per step, so
    with C&W's smoother 0.999999 (``|w| = 7.25``) and learning rate 0.01, 50 steps cannot
    move such a pixel (measured: 60-82 % accuracy left on Galloway's binarised CNNs). Here
    the start is clipped to ``|2x − 1| ≤ tanh_smoother`` (0.999: ``|w| ≤ 3.8``, at most
    5e-4 from the input) and the default learning rate is 0.1: a saturated pixel can cross
    the whole range in about 40 steps, and 100 iterations converge on binarised and
    full-precision models alike (see ``tests/test_attacks_strength.py``).

    **Early abort** (``abort_early``, iterations; ``0`` = off): as the authors' code, every
    ``abort_early`` iterations an example whose loss has not fallen below 0.9999 of its
    value at the previous check stops for the rest of that search step, but only once it
    has been adversarial in that step (it would only be shrinking its perturbation): on
    binarised models the loss is piecewise constant, and aborting examples that had not yet
    succeeded left 10 % accuracy where running on reached 0 % (Galloway B32). The check
    interval is fixed (not ``max_iter / 10``), so a run is a prefix of any longer run.

    **Stochastic models** (weights or activations sampled at every pass, such as Galloway's
    S models): best-so-far bookkeeping on one pass would accept an example that a single
    noisy pass misclassified (and the binary search would then prefer ever smaller, less
    reliably adversarial ones: measured on S64, 50 images, the re-evaluated accuracy rose
    from 47 % to 87 % over 5 search steps). So with ``eval_passes > 1`` an iterate counts as
    adversarial (for the best so far, the binary search and early abort) only if it is
    adversarial on ``eval_passes − 1`` further fresh passes too, and
    the recorded accuracy (and success rate) is that of the best-so-far examples
    re-evaluated on ``eval_passes`` fresh passes (mean over passes; ``mean_l2`` is that of
    the accepted examples). ``eval_passes=None`` detects a stochastic model (two passes of
    the first batch differ) and then uses 5 passes; a deterministic model is recorded from
    the attack's own predictions (one pass). :attr:`stochastic` says which.

    At every iteration count in ``record_at`` (0 = the clean input) it records the
    best-so-far examples: ``iterations, accuracy, success_rate`` (fooled among the originally
    correct), ``mean_l2`` (mean L2 norm of those fooled, [0, 1] units) and ``n_examples``.
    With ``binary_search_steps > 1`` there is one row per search step and recorded count,
    ``iterations`` counting every iteration so far (``step · max_iter + it``; iteration 0
    only for the first step) and ``search_step`` the step; the last row is the result. A
    recorded row equals what a separate run with that many iterations returns when
    ``binary_search_steps=1`` (a later search step depends on ``max_iter``).

    After :meth:`generate`: :attr:`iterations_run` (gradient iterations each example ran,
    all search steps, after early abort), :attr:`iterations_to_success` (the iteration
    count, as in ``iterations``, at which each example was first adversarial; −1 never;
    0 misclassified already) and :attr:`const` (each example's final ``c``).
    """

    attack_params = [
        "c",
        "confidence",
        "learning_rate",
        "max_iter",
        "binary_search_steps",
        "abort_early",
        "tanh_smoother",
        "eval_passes",
        "record_at",
        "batch_size",
        "verbose",
    ]
    _estimator_requirements = (BaseEstimator, ClassGradientsMixin, ClassifierMixin)
    #: passes over which a stochastic model's adversarial examples are re-evaluated
    STOCHASTIC_PASSES = 5

    def __init__(
        self,
        estimator,
        c: float,
        max_iter: int,
        confidence: float = 0.0,
        learning_rate: float = 0.1,
        binary_search_steps: int = 1,
        abort_early: int = 0,
        tanh_smoother: float = 0.999,
        eval_passes: int | None = None,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.c, self.max_iter, self.confidence = c, max_iter, confidence
        self.learning_rate, self.record_at = learning_rate, record_at
        self.binary_search_steps, self.abort_early = binary_search_steps, abort_early
        self.tanh_smoother, self.eval_passes = tanh_smoother, eval_passes
        self.batch_size, self.verbose = batch_size, verbose
        self._check_params()
        self.record: pd.DataFrame | None = None
        self.stochastic: bool | None = None

    def _check_params(self) -> None:
        check_number("c", self.c, min=0, strict_min=True)
        check_number("confidence", self.confidence, min=0)
        check_number("learning_rate", self.learning_rate, min=0, strict_min=True)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("binary_search_steps", self.binary_search_steps, min=1, integer=True)
        check_number("abort_early", self.abort_early, min=0, integer=True)
        check_number("tanh_smoother", self.tanh_smoother, min=0, max=1 - 1e-7, strict_min=True)
        if self.eval_passes is not None:
            check_number("eval_passes", self.eval_passes, min=1, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def _passes(self, be: _Backend, x: torch.Tensor) -> int:
        """Evaluation passes: ``eval_passes``, or 5 if two passes on ``x`` differ, else 1."""
        if self.eval_passes is None:
            self.stochastic = not torch.equal(be.logits(x), be.logits(x))
            return self.STOCHASTIC_PASSES if self.stochastic else 1
        self.stochastic = self.eval_passes > 1
        return self.eval_passes

    def _robust(self, be: _Backend, x: torch.Tensor, y: torch.Tensor, passes: int):
        """Whether ``x`` (adversarial on one pass) stays adversarial on ``passes - 1`` more."""
        ok = torch.ones(len(y), dtype=torch.bool)
        for _ in range(passes - 1):
            ok &= margin(be.logits(x), y) + self.confidence <= 0
        return ok

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, "RecordingCarliniL2")
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        be = _Backend(self.estimator, self.batch_size)
        n, steps, max_iter = len(yt), self.binary_search_steps, self.max_iter
        # the recorded rows: (search step, iteration within it), iteration 0 only once
        rows = [(s, it) for s in range(steps) for it in self.record_at if s == 0 or it > 0]
        slot = {key: k for k, key in enumerate(rows)}
        correct = torch.zeros(len(rows), dtype=torch.float64)
        n_fooled = torch.zeros(len(rows), dtype=torch.float64)
        l2_sum = torch.zeros(len(rows), dtype=torch.float64)
        n_l2 = torch.zeros(len(rows), dtype=torch.float64)
        n_orig_correct = 0
        b1, b2, adam_eps, lr, kappa = 0.9, 0.999, 1e-8, self.learning_rate, self.confidence
        passes = self._passes(be, xt[: self.batch_size]) if n else 1
        self.iterations_run = np.zeros(n, dtype=np.int64)
        self.iterations_to_success = np.full(n, -1, dtype=np.int64)
        self.const = np.zeros(n, dtype=np.float64)
        out = torch.empty_like(xt)
        bar = tqdm(
            total=n * max_iter * steps, desc="C&W L2", unit="img-step", disable=not self.verbose
        )
        for i in range(0, n, self.batch_size):
            x0, yb = xt[i : i + self.batch_size], yt[i : i + self.batch_size]
            nb = len(yb)
            shape = (-1,) + (1,) * (x0.ndim - 1)
            w0 = torch.atanh((2 * x0 - 1) * self.tanh_smoother)
            const = torch.full((nb,), float(self.c), dtype=torch.float64)
            lower = torch.zeros(nb, dtype=torch.float64)
            upper = torch.full((nb,), math.inf, dtype=torch.float64)
            best_l2 = torch.full((nb,), math.inf)
            best_x = x0.clone()
            best_pred = torch.full((nb,), -1, dtype=torch.long)
            orig_correct = torch.zeros(nb, dtype=torch.bool)
            first = self.iterations_to_success[i : i + nb]
            ran = self.iterations_run[i : i + nb]

            def record(k, yb=yb, bx=best_x, bp=best_pred, bl=best_l2, oc=orig_correct):
                if passes == 1:
                    correct[k] += (bp == yb).sum()
                    fooled = oc & (bp != yb)
                    n_fooled[k] += fooled.sum()
                    l2_sum[k] += bl[fooled].sqrt().double().sum()
                    return
                # a stochastic model: fresh passes of the returned examples
                f = 0.0
                for _ in range(passes):
                    pred = be.logits(bx).argmax(1)
                    correct[k] += (pred == yb).sum().double() / passes
                    f += float((oc & (pred != yb)).sum()) / passes
                n_fooled[k] += f
                taken = oc & torch.isfinite(bl)  # mean L2: of the examples accepted
                l2_sum[k] += bl[taken].sqrt().double().sum()
                n_l2[k] += taken.sum()

            for s in range(steps):
                w = w0.clone()
                m, v = torch.zeros_like(w), torch.zeros_like(w)
                # a deterministic model's misclassified inputs are returned as they are
                live = (
                    orig_correct.clone()
                    if s > 0 and passes == 1
                    else torch.ones(nb, dtype=torch.bool)
                )
                found = torch.zeros(nb, dtype=torch.bool)
                last_check = torch.full((nb,), math.inf)
                cs = const.float()
                for it in range(max_iter + 1):
                    idx = live.nonzero().squeeze(1)
                    if len(idx):
                        xa = x0[idx] if it == 0 else (torch.tanh(w[idx]) + 1) / 2
                        if it < max_iter:
                            g, z = be.margin_grad(xa, yb[idx])
                        else:
                            z = be.logits(xa)
                        mg = margin(z, yb[idx])
                        pred = z.argmax(1)
                        if s == 0 and it == 0:
                            best_pred[:] = pred
                            orig_correct[:] = pred == yb
                            n_orig_correct += int(orig_correct.sum())
                        l2sq = (xa - x0[idx]).pow(2).flatten(1).sum(1)
                        adv = mg + kappa <= 0
                        if passes > 1 and bool(adv.any()):  # and on further fresh passes
                            adv[adv.clone()] = self._robust(be, xa[adv], yb[idx][adv], passes)
                        found[idx] |= adv
                        new = idx[adv & torch.from_numpy(first[idx.numpy()] < 0)].numpy()
                        first[new] = s * max_iter + it
                        improved = adv & (l2sq < best_l2[idx])
                        imp = idx[improved]
                        best_l2[imp] = l2sq[improved]
                        best_x[imp] = xa[improved]
                        best_pred[imp] = pred[improved]
                    if (s, it) in slot:
                        record(slot[(s, it)])
                    if it == max_iter:
                        break
                    if not len(idx):
                        continue
                    stop = torch.zeros(len(idx), dtype=torch.bool)
                    if s == 0 and it == 0 and passes == 1:
                        stop = ~orig_correct
                    if self.abort_early and it % self.abort_early == 0:
                        loss = l2sq + cs[idx] * (mg + kappa).clamp(min=0)
                        stop |= found[idx] & (loss > 0.9999 * last_check[idx])
                        last_check[idx] = loss
                    if stop.any():
                        live[idx[stop]] = False
                        keep = ~stop
                        idx, xa, g, mg = idx[keep], xa[keep], g[keep], mg[keep]
                        if not len(idx):
                            continue
                    wi = w[idx]
                    tw = torch.tanh(wi)
                    hinge = (mg + kappa > 0).to(g.dtype) * cs[idx]
                    gx = hinge.view(shape) * g + 2 * (xa - x0[idx])
                    gw = gx * (1 - tw * tw) / 2
                    t = it + 1
                    mi = m[idx].mul_(b1).add_(gw, alpha=1 - b1)
                    vi = v[idx].mul_(b2).addcmul_(gw, gw, value=1 - b2)
                    m[idx], v[idx] = mi, vi
                    mhat, vhat = mi / (1 - b1**t), vi / (1 - b2**t)
                    w[idx] = wi - lr * mhat / (vhat.sqrt() + adam_eps)
                    ran[idx.numpy()] += 1
                    bar.update(len(idx))
                # the authors' binary search on each example's constant
                used = const
                upper = torch.where(found, torch.minimum(upper, used), upper)
                lower = torch.where(found, lower, torch.maximum(lower, used))
                const = torch.where(torch.isfinite(upper), (lower + upper) / 2, used * 10)
            # the least constant that succeeded, else the last one tried
            self.const[i : i + nb] = torch.where(torch.isfinite(upper), upper, used).numpy()
            out[i : i + self.batch_size] = best_x
        bar.close()
        its = [s * max_iter + it for s, it in rows]
        self.record = _success_frame(
            its, correct, n_fooled, l2_sum, n, n_orig_correct, n_l2 if passes > 1 else None
        )
        if steps > 1:
            self.record["search_step"] = [s for s, _ in rows]
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
    loss_reduction: str = "sum",
    normalise: bool = True,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingIFGM:
    """Iterative FGM: ``max_iter`` L2-normalised steps of ``eps`` (``eps`` in [0, 1] input
    units, Zhao et al.: 0.02 for 12 iterations); ``normalise=False``: the raw steps
    ``N = eps · ∇J`` of Zhao et al.'s Algorithm 1, ``J`` the cross-entropy summed over the
    batch (``loss_reduction="sum"``: each example's own gradient) or averaged (``"mean"``). ``max_norm``
    optionally bounds the total L2 perturbation ([0, 1] units; ``None`` = no bound, as in
    the paper). See :class:`RecordingIFGM`."""
    check_number("eps", eps, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    if max_norm is not None:
        check_number("max_norm", max_norm, min=0, strict_min=True)
    return RecordingIFGM(
        estimator,
        eps_step=float(eps),
        max_iter=max_iter,
        eps=None if max_norm is None else float(max_norm),
        loss_reduction=loss_reduction,
        normalise=normalise,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        verbose=verbose,
    )


def build_cw_l2(
    estimator,
    c: float,
    max_iter: int = 100,
    record_at: Sequence[int] | None = None,
    confidence: float = 0.0,
    learning_rate: float = 0.1,
    binary_search_steps: int = 1,
    abort_early: int = 0,
    tanh_smoother: float = 0.999,
    eval_passes: int | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> RecordingCarliniL2:
    """C&W L2 with the paper's ε = the trade-off constant ``c`` (ART's ``initial_const``;
    not the confidence κ), ``max_iter`` Adam iterations (learning rate 0.1 in tanh space,
    start clipped to ``|2x − 1| ≤ tanh_smoother``) per constant. ``binary_search_steps=1``
    (the default, BreakingBED's sweep) keeps ``c`` fixed; more steps search ``c`` per example
    as the authors do, starting from ``c``. ``abort_early`` (iterations, 0 = off) stops an
    example whose loss stalls; ``eval_passes`` re-evaluates the result of a stochastic
    model (``None``: 5 passes if the model is stochastic). See :class:`RecordingCarliniL2`."""
    check_number("c", c, min=0, strict_min=True)
    check_number("max_iter", max_iter, min=1, integer=True)
    return RecordingCarliniL2(
        estimator,
        c=float(c),
        max_iter=max_iter,
        confidence=confidence,
        learning_rate=learning_rate,
        binary_search_steps=binary_search_steps,
        abort_early=abort_early,
        tanh_smoother=tanh_smoother,
        eval_passes=eval_passes,
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
        description="iterative FGM, L2-normalised steps of eps (Zhao et al.: eps 0.02 in "
        "[0, 1] input units, 12 iterations; or their Algorithm 1's raw steps eps * grad J), "
        "clipped to [0, 1], anytime recording",
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
        description="Carlini & Wagner L2, trade-off constant c (ART's initial_const, not "
        "confidence) fixed or binary-searched per example, Adam (lr 0.1) in tanh space, "
        "best-so-far anytime recording",
        anytime=True,
        sweep_axes=frozenset({"eps", "iterations"}),
        stress=("iterations", {"eps": 1.0}),
        stress_label="iterations",
        sweep_params=_cw_sweep,
        order=3,
        version=2,  # binary search, clipped tanh start, lr 0.1 (was 0.01), early abort
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
