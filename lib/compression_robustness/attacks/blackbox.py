"""Score-based black-box attacks: LocalSearch and GenAttack, with anytime recording.

ART implements neither, so both are written here as ART ``EvasionAttack`` subclasses. They
only ever call the estimator's ``predict`` (``torch_predict`` on a
:class:`FastPyTorchClassifier`, the same function without a numpy round trip) — never a
gradient — and count their queries: :attr:`queries` (total) and
:attr:`queries_per_example` after :meth:`generate`. Candidates (probe images, populations)
are batched across images. Both stop an example as soon as it is adversarial, keep every
iterate inside the L∞ ε-ball and [0, 1], and record accuracy at several round/generation
counts in one run (``record_at``), each equal to what a separate run with that many
rounds/generations returns (same seed).

* ``local_search``: Narodytska & Kasiviswanathan (2017), "Simple black-box adversarial
  perturbations for deep networks" (LocSearchAdv), with an L∞ ε-bound as in BreakingBED;
* ``genattack``: Alzantot et al. (2019), "GenAttack: practical black-box attacks with
  gradient-free optimization", targeted, with the adaptive mutation of the authors' code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from art.attacks.attack import EvasionAttack
from art.estimators.classification.classifier import ClassifierMixin
from art.estimators.estimator import BaseEstimator
from tqdm import tqdm

from compression_robustness.attacks.base import (
    AttackSpec,
    SweepPoint,
    next_class,
    normalise_record_at,
    pixels_to_unit,
    register,
)
from compression_robustness.attacks.gradient import resolve_batch_size, true_labels
from compression_robustness.core.params import check_number
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Norm, Unit
from compression_robustness.runtime.estimator import DEFAULT_BATCH_SIZE, FastPyTorchClassifier


def _generator(seed: int, chunk: int) -> torch.Generator:
    """An independent generator per (seed, chunk of images), so a chunk's randomness does
    not depend on how many rounds earlier chunks ran."""
    state = np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1, dtype=np.uint64)
    return torch.Generator().manual_seed(int(state[0]) & 0x7FFF_FFFF_FFFF_FFFF)


def _as_log_probs(out: torch.Tensor) -> torch.Tensor:
    """Log-probabilities from the estimator's outputs (logits or probabilities)."""
    out = out.float()
    if bool((out >= 0).all()) and torch.allclose(out.sum(1), torch.ones(len(out)), atol=1e-4):
        return out.clamp_min(1e-30).log()
    return F.log_softmax(out, dim=1)


class _BlackBox(EvasionAttack):
    """Query counting and prediction for the black-box attacks."""

    _estimator_requirements = (BaseEstimator, ClassifierMixin)

    def _reset_queries(self, n: int) -> None:
        self.queries = 0
        self.queries_per_example = np.zeros(n, dtype=np.int64)

    def _query(self, x: torch.Tensor, owners: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probabilities of ``x`` through ``predict`` only; counts one query per image
        against the example indices ``owners`` (``None``: an uncounted evaluation)."""
        est = self.estimator
        if isinstance(est, FastPyTorchClassifier):
            out = est.torch_predict(x, batch_size=self.batch_size)
        else:
            out = torch.from_numpy(est.predict(x.numpy(), batch_size=self.batch_size))
        if owners is not None:
            self.queries += len(x)
            np.add.at(self.queries_per_example, owners.numpy(), 1)
        return _as_log_probs(out)

    def _record_frame(self, correct, success, queries, n) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "iterations": self.record_at,
                "accuracy": (correct / n).numpy(),
                "success_rate": (success / n).numpy(),
                "queries": (queries / n).numpy(),
                "n_examples": n,
            }
        )


class LocalSearch(_BlackBox):
    """LocSearchAdv (Narodytska & Kasiviswanathan 2017), batched, within an L∞ ε-ball.

    Per example, starting from a random ``init_fraction`` (10 %) of the pixel locations, each
    *round*:

    1. scores up to ``max_candidates`` random locations of the current neighbourhood
       (foolbox's speed-up; the paper scores all): the log-probability of the true class
       (the paper's probability; the same order, without float32 saturation at 1) after
       applying, at that location only, the **move** of step 2. The probe is the step that
       would be applied, inside the ε-ball and [0, 1], in pixel units;
    2. applies the moves of the ``t`` locations of lowest score (each exactly as probed);
    3. stops the example if its true class is no longer in the top ``k``;
    4. the new neighbourhood is every location within ``d`` (L∞) of those ``t``.

    The **move** of a location changes every channel ``v`` of it (pixel value in [0, 1],
    ball bounds ``[lo, hi] = [x₀ − ε, x₀ + ε] ∩ [0, 1]``) by ``p`` along the direction of
    the paper's cyclic step: ``s = sign(CYC(r·(v − ½)) − (v − ½))``, where ``CYC`` wraps a
    value outside ``[−½, ½]`` back in by ±1 (so with ``r > 1`` a mid-range value moves away
    from grey, and one beyond ``½ ± 1/(2r)``, whose step wraps, towards grey): ``v' = clip(v + s·p,
    lo, hi)``; where the ball leaves no room that way (``v' = v``, the pixel sits at that
    bound) it moves by ``p`` the other way instead, the cyclic wrap within the ball. A move
    therefore always changes a pixel (unless ``ε = 0``), and a location can be moved again
    later. ``p = None`` (the default) is unlimited: every move goes to a bound of the ball.

    Why not the paper's literal probe: its probe sets a location to ``p·sign(I)`` with
    ``p = 10`` in centred units (about 160x ε = 16/255), far outside [0, 1], while the step
    it ranks is then projected onto ±ε: the scores did not describe the step, saturated
    locations kept winning with moves that no longer changed them, and the search stalled
    (measured on 20 vanilla ResNet20 CIFAR-10 images at ε = 16: 76 locations ever perturbed
    in 200 rounds of 32 candidates and 18 in 50 rounds of 128, leaving 75 % and 90 %
    accuracy; this version leaves 0 % after 50 rounds of either).

    Defaults follow the paper and foolbox 2: ``r=1.5, d=5, t=5, k=1`` (the paper's ``R``,
    the number of rounds, is ``max_iter``); the paper scores 128 candidates per round
    (``max_candidates``). ``eps`` and ``p`` are in [0, 1] units (the builder converts from
    0-255). Each round costs at most ``max_candidates + 1`` queries per active example,
    plus one initial query for the clean input.

    After :meth:`generate`: :attr:`record` has ``iterations, accuracy, success_rate``
    (true class not in the top ``k``), ``queries`` (mean per example so far) and
    ``n_examples``; :attr:`queries`, :attr:`queries_per_example`.
    """

    attack_params = [
        "eps",
        "max_iter",
        "p",
        "r",
        "d",
        "t",
        "k",
        "init_fraction",
        "max_candidates",
        "record_at",
        "batch_size",
        "seed",
        "verbose",
    ]

    def __init__(
        self,
        estimator,
        eps: float,
        max_iter: int,
        p: float | None = None,
        r: float = 1.5,
        d: int = 5,
        t: int = 5,
        k: int = 1,
        init_fraction: float = 0.1,
        max_candidates: int = 128,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        seed: int = 0,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.eps, self.max_iter, self.p, self.r, self.d, self.t, self.k = (
            eps,
            max_iter,
            p,
            r,
            d,
            t,
            k,
        )
        self.init_fraction, self.max_candidates = init_fraction, max_candidates
        self.record_at, self.batch_size, self.seed, self.verbose = (
            record_at,
            batch_size,
            seed,
            verbose,
        )
        self._check_params()
        self.record: pd.DataFrame | None = None
        self._reset_queries(0)

    def _check_params(self) -> None:
        check_number("eps", self.eps, min=0, max=1)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        if self.p is not None:
            check_number("p", self.p, min=0, max=1, strict_min=True)
        check_number("r", self.r, min=0, max=2, strict_min=True)
        check_number("d", self.d, min=0, integer=True)
        check_number("t", self.t, min=1, integer=True)
        check_number("k", self.k, min=1, integer=True)
        if self.k >= self.estimator.nb_classes:
            raise ConfigError(
                f"parameter `k` must be < the number of classes "
                f"({self.estimator.nb_classes}), got {self.k}"
            )
        check_number("init_fraction", self.init_fraction, min=0, max=1, strict_min=True)
        check_number("max_candidates", self.max_candidates, min=1, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)
        check_number("seed", self.seed, min=0, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def _in_top_k(self, logp: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (logp.topk(self.k, dim=1).indices == y[:, None]).any(1)

    def moves(self, v: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
        """The value every pixel of ``v`` takes when its location is moved (see the class
        docstring): ``p`` along the direction of the paper's cyclic step ``CYC(r·I)``,
        within ``[lo, hi]``, or ``p`` the other way where that bound leaves no room."""
        c = v - 0.5
        rc = self.r * c
        cyc = torch.where(rc > 0.5, rc - 1.0, torch.where(rc < -0.5, rc + 1.0, rc))
        s = torch.where(cyc >= c, 1.0, -1.0)
        step = s * (1.0 if self.p is None else float(self.p))
        new = torch.minimum(torch.maximum(v + step, lo), hi)
        back = torch.minimum(torch.maximum(v - step, lo), hi)
        return torch.where(new == v, back, new)

    def _probe_scores(self, cur, moved, y, img, loc, owners, shape) -> torch.Tensor:
        """True-class log-probability after moving location ``loc`` of image ``cur[img]``
        to ``moved[img]`` (the move step 2 would apply), that location alone."""
        scores = torch.empty(len(img))
        for s in range(0, len(img), self.batch_size):
            ii, ll = img[s : s + self.batch_size], loc[s : s + self.batch_size]
            probe = cur[ii].clone()  # (b, C, H*W)
            ar = torch.arange(len(ii))
            probe[ar, :, ll] = moved[ii, :, ll]
            logp = self._query(probe.view(len(ii), *shape), owners[ii])
            scores[s : s + len(ii)] = logp.gather(1, y[ii][:, None]).squeeze(1)
        return scores

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, "LocalSearch")
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        if xt.ndim != 4:
            raise ConfigError("LocalSearch needs images of shape (N, C, H, W)")
        n, ch, h, wd = xt.shape
        hw = h * wd
        self._reset_queries(n)
        slot = {it: j for j, it in enumerate(self.record_at)}
        n_rec = len(self.record_at)
        correct = torch.zeros(n_rec, dtype=torch.float64)
        success = torch.zeros(n_rec, dtype=torch.float64)
        queries = torch.zeros(n_rec, dtype=torch.float64)
        n_init = max(1, round(self.init_fraction * hw))
        m_eff = min(self.max_candidates, hw)
        out = torch.empty_like(xt)
        bar = tqdm(
            total=n * self.max_iter, desc="LocalSearch", unit="img-round", disable=not self.verbose
        )

        for chunk, i in enumerate(range(0, n, self.batch_size)):
            gen = _generator(self.seed, chunk)
            x0 = xt[i : i + self.batch_size].reshape(-1, ch, hw)
            yb = yt[i : i + self.batch_size]
            nb = len(yb)
            owners = torch.arange(i, i + nb)
            lo, hi = (x0 - self.eps).clamp(min=0.0), (x0 + self.eps).clamp(max=1.0)
            cur = x0.clone()
            logp = self._query(cur.view(nb, ch, h, wd), owners)
            pred = logp.argmax(1)
            active = self._in_top_k(logp, yb)
            keys = torch.rand(nb, hw, generator=gen)
            cand = torch.zeros(nb, hw, dtype=torch.bool)
            cand.scatter_(1, keys.topk(n_init, dim=1).indices, True)

            def record(j, pred=pred, active=active, yb=yb, owners=owners):
                correct[j] += (pred == yb).sum()
                success[j] += (~active).sum()
                queries[j] += float(self.queries_per_example[owners.numpy()].sum())

            if 0 in slot:
                record(slot[0])
            for rnd in range(1, self.max_iter + 1):
                act = active.nonzero().squeeze(1)
                if len(act):
                    na = len(act)
                    cur_a = cur[act]
                    moved = self.moves(cur_a, lo[act], hi[act])
                    # 1. a random subset of each neighbourhood, scored by probing its move
                    keys = torch.rand(na, hw, generator=gen)
                    keys[~cand[act]] = -1.0
                    top = keys.topk(m_eff, dim=1)
                    valid = top.values >= 0
                    rows = torch.arange(na)[:, None].expand(na, m_eff)[valid]
                    locs = top.indices[valid]
                    scores = torch.full((na, m_eff), torch.inf)
                    scores[valid] = self._probe_scores(
                        cur_a, moved, yb[act], rows, locs, owners[act], (ch, h, wd)
                    )
                    # 2. apply the moves of the t lowest-scoring locations, as probed
                    tt = min(self.t, m_eff)
                    low = (-scores).topk(tt, dim=1)
                    chosen_valid = torch.isfinite(low.values)
                    chosen = top.indices.gather(1, low.indices)
                    mask = torch.zeros(na, hw, dtype=torch.bool)
                    r_idx = torch.arange(na)[:, None].expand(na, tt)[chosen_valid]
                    mask[r_idx, chosen[chosen_valid]] = True
                    cur[act] = torch.where(mask[:, None, :], moved, cur_a)
                    # 3. is it adversarial (true class out of the top k)?
                    lp = self._query(cur[act].view(na, ch, h, wd), owners[act])
                    pred[act] = lp.argmax(1)
                    active[act] = self._in_top_k(lp, yb[act])
                    # 4. the new neighbourhood: within d of the perturbed locations
                    nbh = F.max_pool2d(
                        mask.float().view(na, 1, h, wd), 2 * self.d + 1, stride=1, padding=self.d
                    )
                    cand[act] = nbh.view(na, hw) > 0
                    bar.update(na)
                if rnd in slot:
                    record(slot[rnd])
            out[i : i + nb] = cur.view(nb, ch, h, wd)
        bar.close()
        self.record = self._record_frame(correct, success, queries, n)
        return out.numpy()


class GenAttack(_BlackBox):
    """GenAttack (Alzantot et al. 2019): a targeted genetic search in the L∞ ε-ball, batched.

    Per example it evolves a population of ``population`` noise tensors δ (the images are
    ``clip(x + δ)`` in the ε-ball ∩ [0, 1]) for ``max_iter`` generations, as in the authors'
    code (``genattack_tf2.py``):

    * the first population is sparse: each pixel is ``U(−ε, ε)`` with probability ``ρ_min``,
      else 0;
    * fitness is ``log p_target − log Σ_{j≠target} p_j``; the elite (the fittest member, or
      the fittest adversarial one) survives unchanged; the other ``population − 1`` children
      take each pixel from one of two parents sampled with probabilities
      ``softmax(fitness / temperature)``, in proportion to the parents' probabilities;
    * mutation adds ``U(−α·ε, α·ε)`` to each pixel with probability ``ρ``; with
      ``adaptive=True`` (the authors' default) ``ρ = 1`` for the first 10 generations, then
      ``max(ρ_min, 0.5·0.9^plateaus)``, and ``α = max(α_min, 0.4·0.9^plateaus)``, where a
      plateau is counted after 100 (300 if the best margin ``p_target − max p`` is below
      −0.4) generations without improvement of that margin; children are clipped to the ε-ball;
    * an example stops as soon as a member is classified as the target.

    Defaults are the authors' ``main.py``: ``population=6, mutation_rate (ρ_min)=0.005,
    alpha (α_min)=0.2, temperature=0.1``. The elite is not re-queried, so ``g`` generations
    cost ``g·(population − 1) + 1`` queries per example (the authors' count).

    ``generate(x, y, target=None)``: ``y`` are the true labels (accuracy is recorded
    against them); ``target`` (an int or one label per example) defaults to
    ``(y + 1) mod C``. :attr:`record` has ``iterations, accuracy, success_rate`` (classified
    as the target), ``queries`` (mean per example so far), ``n_examples``; generation 0 is
    the clean input (evaluated without counting a query).
    """

    attack_params = [
        "eps",
        "max_iter",
        "population",
        "mutation_rate",
        "alpha",
        "temperature",
        "adaptive",
        "record_at",
        "batch_size",
        "seed",
        "verbose",
    ]

    def __init__(
        self,
        estimator,
        eps: float,
        max_iter: int,
        population: int = 6,
        mutation_rate: float = 0.005,
        alpha: float = 0.2,
        temperature: float = 0.1,
        adaptive: bool = True,
        record_at: Sequence[int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        seed: int = 0,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.eps, self.max_iter, self.population = eps, max_iter, population
        self.mutation_rate, self.alpha, self.temperature = mutation_rate, alpha, temperature
        self.adaptive = adaptive
        self.record_at, self.batch_size, self.seed, self.verbose = (
            record_at,
            batch_size,
            seed,
            verbose,
        )
        self._check_params()
        self.record: pd.DataFrame | None = None
        self._reset_queries(0)

    def _check_params(self) -> None:
        check_number("eps", self.eps, min=0, max=1)
        check_number("max_iter", self.max_iter, min=0, integer=True)
        check_number("population", self.population, min=2, integer=True)
        check_number("mutation_rate", self.mutation_rate, min=0, max=1)
        check_number("alpha", self.alpha, min=0)
        check_number("temperature", self.temperature, min=0, strict_min=True)
        if not isinstance(self.adaptive, bool):
            raise ConfigError(f"parameter `adaptive` must be a bool, got {self.adaptive!r}")
        check_number("batch_size", self.batch_size, min=1, integer=True)
        check_number("seed", self.seed, min=0, integer=True)
        self.record_at = normalise_record_at(self.record_at, self.max_iter)

    def targets(self, y: torch.Tensor, target=None) -> torch.Tensor:
        """The target labels: ``target`` (an int or one per example) or ``(y + 1) mod C``."""
        nb_classes = self.estimator.nb_classes
        if target is None:
            return (y + 1) % nb_classes
        tt = torch.as_tensor(np.asarray(target)).long()
        if tt.ndim == 2:
            tt = tt.argmax(1)
        elif tt.ndim == 0:
            tt = tt.expand(len(y)).clone()
        if tt.shape != y.shape or bool(((tt < 0) | (tt >= nb_classes)).any()):
            raise ConfigError(f"parameter `target` must hold {len(y)} labels in [0, {nb_classes})")
        return tt

    def _evaluate(self, x0, noise, lo, hi, owners):
        """Log-probabilities of the members ``clip(x0 + noise)``: (na, m, C)."""
        na, m = noise.shape[:2]
        imgs = torch.minimum(torch.maximum(x0[:, None] + noise, lo[:, None]), hi[:, None])
        own = owners[:, None].expand(na, m).reshape(-1)
        parts = [
            self._query(
                imgs.reshape(na * m, *x0.shape[1:])[s : s + self.batch_size],
                own[s : s + self.batch_size],
            )
            for s in range(0, na * m, self.batch_size)
        ]
        return torch.cat(parts).view(na, m, -1)

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        yt = true_labels(y, "GenAttack")
        tt = self.targets(yt, kwargs.get("target"))
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
        n, npop, eps = len(yt), self.population, float(self.eps)
        self._reset_queries(n)
        slot = {it: j for j, it in enumerate(self.record_at)}
        n_rec = len(self.record_at)
        correct = torch.zeros(n_rec, dtype=torch.float64)
        success = torch.zeros(n_rec, dtype=torch.float64)
        queries = torch.zeros(n_rec, dtype=torch.float64)
        out = torch.empty_like(xt)
        bar = tqdm(
            total=n * self.max_iter, desc="GenAttack", unit="img-gen", disable=not self.verbose
        )

        for chunk, i in enumerate(range(0, n, self.batch_size)):
            gen = _generator(self.seed, chunk)
            x0, yb, tb = (a[i : i + self.batch_size] for a in (xt, yt, tt))
            nb = len(yb)
            owners = torch.arange(i, i + nb)
            lo, hi = (x0 - eps).clamp(min=0.0), (x0 + eps).clamp(max=1.0)
            shape = (nb, npop, *x0.shape[1:])
            noise = (torch.rand(shape, generator=gen) * 2 - 1) * eps
            noise = noise * (torch.rand(shape, generator=gen) < self.mutation_rate)
            logp = torch.empty(nb, npop, self.estimator.nb_classes)
            elite = x0.clone()  # the current best image per example
            elite_pred = torch.full((nb,), -1, dtype=torch.long)
            if 0 in slot:  # the clean input: an evaluation, not a query
                elite_pred[:] = self._query(x0, None).argmax(1)
            done = torch.zeros(nb, dtype=torch.bool)
            best_margin = torch.full((nb,), -1.0)
            plateau_count = torch.zeros(nb, dtype=torch.long)
            plateaus = torch.zeros(nb, dtype=torch.long)

            def record(j, yb=yb, tb=tb, owners=owners, elite_pred=elite_pred):
                correct[j] += (elite_pred == yb).sum()
                success[j] += (elite_pred == tb).sum()
                queries[j] += float(self.queries_per_example[owners.numpy()].sum())

            if 0 in slot:
                record(slot[0])
            for g in range(1, self.max_iter + 1):
                act = (~done).nonzero().squeeze(1)
                if len(act):
                    na = len(act)
                    first = 0 if g == 1 else 1  # the elite (member 0) is not re-queried
                    logp[act, first:] = self._evaluate(
                        x0[act], noise[act, first:], lo[act], hi[act], owners[act]
                    )
                    lp = logp[act]
                    tgt = tb[act]
                    lp_t = lp.gather(2, tgt[:, None, None].expand(na, npop, 1)).squeeze(2)
                    others = lp.scatter(2, tgt[:, None, None].expand(na, npop, 1), -torch.inf)
                    fitness = lp_t - others.logsumexp(2)
                    is_adv = lp.argmax(2) == tgt[:, None]
                    # elite: the fittest member, or the fittest adversarial one
                    rank = torch.where(is_adv, fitness + 1e6, fitness)
                    e = rank.argmax(1)
                    ar = torch.arange(na)
                    elite_noise = noise[act, e]
                    elite[act] = torch.minimum(
                        torch.maximum(x0[act] + elite_noise, lo[act]), hi[act]
                    )
                    elite_pred[act] = lp[ar, e].argmax(1)
                    won = is_adv.any(1)
                    done[act[won]] = True
                    # adaptive mutation (authors' plateau rule on the best win margin)
                    p = lp.exp()
                    win = (
                        (
                            p.gather(2, tgt[:, None, None].expand(na, npop, 1)).squeeze(2)
                            - p.max(2).values
                        )
                        .max(1)
                        .values
                    )
                    better = win > best_margin[act]
                    best_margin[act] = torch.where(better, win, best_margin[act])
                    cnt = torch.where(better, 0, plateau_count[act] + 1)
                    thresh = torch.where(win > -0.4, 100, 300)
                    hit = cnt > thresh
                    plateaus[act] += hit.long()
                    plateau_count[act] = torch.where(hit, 0, cnt)
                    bar.update(na)
                    if g < self.max_iter:
                        keep = ~won
                        if keep.any():
                            self._breed(
                                noise,
                                logp,
                                act[keep],
                                fitness[keep],
                                e[keep],
                                plateaus,
                                g,
                                gen,
                                eps,
                            )
                if g in slot:
                    record(slot[g])
            out[i : i + nb] = elite
        bar.close()
        self.record = self._record_frame(correct, success, queries, n)
        return out.numpy()

    def _breed(self, noise, logp, act, fitness, e, plateaus, g, gen, eps) -> None:
        """Replace the population of examples ``act`` by the elite and its children."""
        na, npop = len(act), self.population
        ar = torch.arange(na)
        pop = noise[act]
        elite_noise, elite_logp = pop[ar, e].clone(), logp[act, e].clone()
        if self.adaptive:
            decay = 0.9 ** plateaus[act].double()
            alpha = torch.clamp(0.4 * decay, min=self.alpha).float()
            rho = torch.clamp(0.5 * decay, min=self.mutation_rate).float()
            if g - 1 < 10:  # the authors' code: every pixel mutates for the first 10 steps
                rho = torch.ones(na)
        else:
            alpha = torch.full((na,), float(self.alpha))
            rho = torch.full((na,), float(self.mutation_rate))
        probs = torch.softmax(fitness / self.temperature, dim=1)
        parents = torch.multinomial(probs, 2 * (npop - 1), replacement=True, generator=gen)
        p1, p2 = parents[:, : npop - 1], parents[:, npop - 1 :]
        pp1, pp2 = probs.gather(1, p1), probs.gather(1, p2)
        take1 = pp1 / (pp1 + pp2)
        view = (na, npop - 1) + (1,) * (pop.ndim - 2)
        child_shape = (na, npop - 1, *pop.shape[2:])
        from1 = torch.rand(child_shape, generator=gen) < take1.view(view)
        children = torch.where(from1, pop[ar[:, None], p1], pop[ar[:, None], p2])
        per_example = (-1,) + (1,) * (len(child_shape) - 1)
        step = (torch.rand(child_shape, generator=gen) * 2 - 1) * (alpha * eps).view(per_example)
        mutate = torch.rand(child_shape, generator=gen) < rho.view(per_example)
        children = (children + step * mutate).clamp(-eps, eps)
        noise[act] = torch.cat([elite_noise[:, None], children], dim=1)
        logp[act, 0] = elite_logp


# --------------------------------------------------------------------------- builders
def build_local_search(
    estimator,
    eps: float,
    max_iter: int = 150,
    p: float | None = None,
    r: float = 1.5,
    d: int = 5,
    t: int = 5,
    k: int = 1,
    record_at: Sequence[int] | None = None,
    max_candidates: int = 128,
    seed: int = 0,
    batch_size: int | None = None,
    verbose: bool = False,
) -> LocalSearch:
    """LocalSearch with ε in 0-255 pixel units (L∞ bound), ``max_iter`` rounds (the paper's
    R), ``max_candidates`` locations scored per round (paper: 128) and the paper's
    ``p, r, d, t, k``. ``p`` is the change of a pixel per move in 0-255 pixel units, the same
    in the probe and in the step (``None``, the default: to a bound of the ε-ball)."""
    check_number("eps", eps, min=0, strict_min=True, max=255)
    check_number("max_iter", max_iter, min=1, integer=True)
    if p is not None:
        check_number("p", p, min=0, strict_min=True, max=255)
    return LocalSearch(
        estimator,
        eps=pixels_to_unit(eps),
        max_iter=max_iter,
        p=None if p is None else pixels_to_unit(p),
        r=r,
        d=d,
        t=t,
        k=k,
        max_candidates=max_candidates,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        seed=seed,
        verbose=verbose,
    )


def build_genattack(
    estimator,
    eps: float,
    max_iter: int = 200,
    population: int = 6,
    mutation_rate: float = 0.005,
    alpha: float = 0.2,
    temperature: float = 0.1,
    adaptive: bool = True,
    record_at: Sequence[int] | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    verbose: bool = False,
) -> GenAttack:
    """GenAttack with ε in 0-255 pixel units (L∞), ``max_iter`` generations, population N,
    minimum mutation probability ρ and range α (adaptive as in the authors' code).
    Targeted: pass ``target=`` to ``generate`` (default ``(y + 1) mod C``)."""
    check_number("eps", eps, min=0, strict_min=True, max=255)
    check_number("max_iter", max_iter, min=1, integer=True)
    return GenAttack(
        estimator,
        eps=pixels_to_unit(eps),
        max_iter=max_iter,
        population=population,
        mutation_rate=mutation_rate,
        alpha=alpha,
        temperature=temperature,
        adaptive=adaptive,
        record_at=record_at,
        batch_size=resolve_batch_size(estimator, batch_size),
        seed=seed,
        verbose=verbose,
    )


def _local_search_sweep(p: SweepPoint) -> dict:
    return {
        "eps": p.eps,
        "max_iter": p.max_iter,
        "record_at": p.iterations,
        "seed": p.seed,
        "max_candidates": p.options.get("ls_candidates", 128),
    }


def _genattack_sweep(p: SweepPoint) -> dict:
    return {
        "eps": p.eps,
        "population": p.population,
        "max_iter": p.max_iter,
        "record_at": p.iterations,
        "seed": p.seed,
    }


register(
    "local_search",
    AttackSpec(
        build_local_search,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="LocalSearch, ε = 16",
        description="LocalSearch (Narodytska & Kasiviswanathan 2017), score-based black-box; "
        "L-inf bound eps, strength also = rounds (max_iter)",
        black_box=True,
        anytime=True,
        sweep_axes=frozenset({"eps", "iterations"}),
        stress=("iterations", {"eps": 16.0}),
        stress_label="rounds",
        sweep_params=_local_search_sweep,
        order=5,
        version=2,  # probes the move it applies, inside the eps-ball (was the paper's p=10 probe)
    ),
)
register(
    "genattack",
    AttackSpec(
        build_genattack,
        unit=Unit.PIXEL_255,
        norm=Norm.LINF,
        title="GenAttack, ε = 8, N = 16",
        description="GenAttack (Alzantot et al. 2019), targeted genetic black-box, target "
        "(y+1) mod C; strength also = generations (max_iter)",
        black_box=True,
        anytime=True,
        sweep_axes=frozenset({"eps", "iterations", "population"}),
        stress=("iterations", {"eps": 8.0, "population": 16}),
        stress_label="generations",
        sweep_params=_genattack_sweep,
        target=next_class,
        order=6,
    ),
)
