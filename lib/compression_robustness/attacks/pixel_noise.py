"""Model-agnostic pixel noise (Cheng & Hu 2020) and the black-box Pointwise attack.

**Pixel noise.** "Architectural Resilience to Foreground-and-Background Adversarial Noise"
(Cheng & Hu, arXiv:2003.10045) perturbs MNIST digits without ever looking at the model.
One *attack* changes one pixel of the 28×28 original; brightness ``b`` is in 0-255 and the
new brightness is given by one of two equations with a constant ``c``::

    equation 1:  int((255 - b) / c)        (pushes a bright pixel towards black)
    equation 2:  int(255 - b / c)          (pushes a dark pixel towards white)

=====================  ====================  ==========================================  ====
registry name          pixels eligible       new value                                   c
=====================  ====================  ==========================================  ====
``pixel_invert``       every pixel           eq. 1 if ``b > 127`` else eq. 2 (control)   1.25
``white_to_black``     ``b > 0``             eq. 1                                       2
``black_to_white``     ``b < 100``           eq. 2                                       2
``edge_to_altered``    edge pixels           eq. 1 if bright (``b > 127``) else eq. 2    2
=====================  ====================  ==========================================  ====

Readings of the definitions (where the paper leaves room):

* **Arithmetic** is exact: ``c`` is read as the decimal it is written as (``1.25`` = 5/4)
  and ``int`` truncates, so the equations are evaluated in rational arithmetic; no float
  rounding can move a value across an integer.
* **Edge pixel**: a pixel with at least one of its (in-bounds) 8-neighbours on the other
  side of the bright/dark threshold (``b > 127`` against ``b <= 127``). Border pixels only
  have their in-bounds neighbours; there is no padding.
* **c of Edge→Altered**: the paper's control uses c = 1.25 and its targeted perturbations
  c = 2. Edge→Altered applies White→Black's equation (1) to bright edge pixels and
  Black→White's equation (2) to dark ones, so we use those perturbations' c = 2 for both
  branches. ``c`` is a parameter of every perturbation, so other readings can be run.
* **Eligibility** is judged on the original image once, before any pixel is changed. A
  pixel whose equation would give back its own value is not eligible, because an attack
  *changes* a pixel: this only happens for White→Black with ``b = 85`` at c = 2
  (``int(170 / 2) = 85``); the other three perturbations with the paper's c never map a
  pixel to itself. Hence ``k`` attacks change exactly ``k`` distinct pixels.
* **Drawing** is without replacement, uniformly among the eligible pixels: a seeded random
  permutation of the eligible pixels (in raster order) is drawn per image and its first
  ``k`` are changed. With fewer than ``k`` eligible pixels all of them are changed, and
  :attr:`PixelNoiseAttack.n_changed` records how many were. Image ``i`` of a batch uses
  the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so its result depends only on
  ``(seed, i, image)``; with the same seed the pixels changed by ``k`` attacks are a subset
  of those changed by ``k' > k`` (the study's 0..200 sweep is nested).
* **Units**: inputs are floats in [0, 1]; ``b = round(255 x)`` and the new value is
  written as ``value / 255``. Untouched pixels are returned bit-identical.
* **56×56 inputs** (MNIST upscaled ×2, where one original pixel is a 2×2 block): the
  28×28 original is read as the *top-left* element of each 2×2 block (exact for nearest
  upscaling; after a smoothing upscale it is one sample of the block) and the new value is
  written to the whole 2×2 block. Any side ``28·s`` works the same way with ``s×s`` blocks.

**Pointwise attack** (Schott et al. 2019, "Towards the first adversarially robust neural
network model on MNIST"): a decision-based (label-only) L0 attack, see
:class:`PointwiseAttack`.

:func:`changed_pixels` counts the distinct changed pixels of the 28×28 grid per image; both
kinds of attack record per-image counts after :meth:`generate`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from fractions import Fraction

import numpy as np
import pandas as pd
from art.attacks.attack import EvasionAttack
from art.estimators.classification.classifier import ClassifierMixin
from art.estimators.estimator import BaseEstimator
from tqdm import tqdm

from compression_robustness.attacks.base import AttackSpec, register
from compression_robustness.core.params import check_choices, check_number
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Norm, Unit

GRID = 28  #: side of the original MNIST grid the pixel noise works on
MAX_B = 255  #: brightness of white
BRIGHT_ABOVE = 127  #: ``b > 127`` is bright ("white"), ``b <= 127`` dark ("black")
WHITE_TO_BLACK_ABOVE = 0  #: White→Black needs ``b > 0``
BLACK_TO_WHITE_BELOW = 100  #: Black→White needs ``b < 100``
C_CONTROL = 1.25  #: c of the Random Pixel Invert control
C_TARGETED = 2.0  #: c of the three targeted perturbations


# --------------------------------------------------------------------------- equations
def _exact(c: float) -> Fraction:
    """``c`` as the decimal it is written as (``1.25`` -> 5/4, ``1.1`` -> 11/10)."""
    return Fraction(repr(float(c)))


def equation_1(b: int, c: float) -> int:
    """``int((255 - b) / c)``, computed exactly."""
    return int(Fraction(MAX_B - int(b)) / _exact(c))


def equation_2(b: int, c: float) -> int:
    """``int(255 - b / c)``, computed exactly."""
    return int(MAX_B - Fraction(int(b)) / _exact(c))


def _table(equation: Callable[[int, float], int], c: float) -> np.ndarray:
    """The equation for every brightness 0..255, as a lookup table."""
    return np.array([equation(b, c) for b in range(MAX_B + 1)], dtype=np.int64)


# --------------------------------------------------------------------------- grid I/O
def _as_images(x, name: str = "x") -> np.ndarray:
    """Validate an (n, C, H, W) float batch in [0, 1] and return it as a numpy array."""
    a = np.asarray(x)
    if a.ndim != 4:
        raise ConfigError(
            f"parameter `{name}` must be a batch of shape (n, C, H, W), got {a.shape}"
        )
    if not np.issubdtype(a.dtype, np.floating):
        raise ConfigError(f"parameter `{name}` must hold floats in [0, 1], got dtype {a.dtype}")
    if a.size and (not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0):
        raise ConfigError(f"parameter `{name}` must hold finite values in [0, 1]")
    return a


def grid_scale(shape: tuple[int, ...], name: str = "x") -> int:
    """Side of the block holding one pixel of the 28×28 grid: 1 for 28×28, 2 for 56×56."""
    if len(shape) != 4 or shape[1] != 1:
        raise ConfigError(
            f"parameter `{name}` must be single-channel MNIST-like images (n, 1, H, W), "
            f"got shape {tuple(shape)}"
        )
    h, w = shape[-2:]
    if h != w or h == 0 or h % GRID:
        raise ConfigError(
            f"parameter `{name}` must be square with a side that is a multiple of {GRID} "
            f"(28×28 or 56×56), got {h}×{w}"
        )
    return h // GRID


def read_grid(x) -> np.ndarray:
    """Brightness 0-255 (int64) of the 28×28 original, shape (n, 28, 28).

    For a side ``28·s`` the original pixel is read as the top-left element of its block.
    """
    a = _as_images(x)
    s = grid_scale(a.shape)
    return np.rint(a[:, 0, ::s, ::s].astype(np.float64) * MAX_B).astype(np.int64)


def _upscale(a: np.ndarray, s: int) -> np.ndarray:
    """Repeat each element of the last two axes into an ``s×s`` block."""
    return a if s == 1 else np.repeat(np.repeat(a, s, axis=-2), s, axis=-1)


def block_changes(x, x_adv, block: int, atol: float = 0.0) -> np.ndarray:
    """Boolean (n, H/block, W/block): which ``block×block`` squares differ in any channel."""
    a, b = np.asarray(x), np.asarray(x_adv)
    if a.shape != b.shape or a.ndim != 4:
        raise ConfigError(
            "parameters `x` and `x_adv` must be (n, C, H, W) batches of the same shape, "
            f"got {a.shape} and {b.shape}"
        )
    n, ch, h, w = a.shape
    if h % block or w % block:
        raise ConfigError(f"parameter `block` ({block}) must divide the image size {h}×{w}")
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64)) > atol
    return diff.reshape(n, ch, h // block, block, w // block, block).any(axis=(1, 3, 5))


def l0_pixels(x, x_adv, block: int = 1, atol: float = 0.0) -> np.ndarray:
    """Per image, the number of ``block×block`` squares changed in any channel (L0)."""
    return block_changes(x, x_adv, block, atol).sum(axis=(1, 2)).astype(np.int64)


def changed_pixels(x, x_adv, atol: float = 0.0) -> np.ndarray:
    """Per image, the number of distinct pixels of the 28×28 grid that changed.

    For 56×56 inputs a pixel of the grid is a 2×2 block and counts once if any element of
    the block changed by more than ``atol``.
    """
    return l0_pixels(x, x_adv, block=grid_scale(np.shape(x)), atol=atol)


def edge_mask(b: np.ndarray) -> np.ndarray:
    """Edge pixels of brightness grids ``b`` (..., H, W): pixels with at least one in-bounds
    8-neighbour on the other side of the threshold (``b > 127`` against ``b <= 127``)."""
    bright = np.asarray(b) > BRIGHT_ABOVE
    edge = np.zeros_like(bright)
    h, w = bright.shape[-2:]
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            # the pixels (r, c) whose neighbour (r + dr, c + dc) lies inside the image
            rows, nrows = slice(max(0, -dr), h - max(0, dr)), slice(max(0, dr), h - max(0, -dr))
            cols, ncols = slice(max(0, -dc), w - max(0, dc)), slice(max(0, dc), w - max(0, -dc))
            edge[..., rows, cols] |= bright[..., rows, cols] != bright[..., nrows, ncols]
    return edge


def _image_rngs(seed: int, n: int) -> list[np.random.Generator]:
    """One generator per image: the i-th child of ``SeedSequence(seed)``."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


# --------------------------------------------------------------------------- pixel noise
class PixelNoiseAttack(EvasionAttack):
    """Base of the four model-agnostic perturbations: ``k`` seeded single-pixel attacks.

    Subclasses define :meth:`plan` (which pixels are eligible, what each would become). The
    estimator is never used: it may be ``None`` or any object, and is never called.

    After :meth:`generate`: :attr:`n_changed` (pixels changed per image, ``min(k,
    n_eligible)``), :attr:`n_eligible`, :attr:`changed_mask` (n, 28, 28) and :attr:`record`
    (a DataFrame with one row per image).
    """

    attack_params = ["k", "c", "seed"]
    _estimator_requirements = ()
    default_c: float = C_TARGETED
    name = ""

    def __init__(self, estimator=None, k: int = 10, c: float | None = None, seed: int = 0):
        super().__init__(estimator=estimator)
        self.k = k
        self.c = self.default_c if c is None else c
        self.seed = seed
        self._check_params()
        self.n_changed: np.ndarray | None = None
        self.n_eligible: np.ndarray | None = None
        self.changed_mask: np.ndarray | None = None
        self.record: pd.DataFrame | None = None

    def _check_params(self) -> None:
        check_number("k", self.k, min=0, integer=True)
        check_number("c", self.c, min=1)  # c >= 1 keeps both equations within 0..255
        check_number("seed", self.seed, min=0, integer=True)

    def plan(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(eligible, new)`` for brightness grids ``b`` (n, 28, 28): a boolean mask of the
        pixels the perturbation may attack, and the brightness each would get."""
        raise NotImplementedError

    def perturb_grid(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(new_b, changed, eligible)`` for brightness grids (n, 28, 28) of ints 0..255."""
        b = np.asarray(b, dtype=np.int64)
        eligible, new = self.plan(b)
        eligible = eligible & (new != b)  # an attack changes its pixel
        changed = np.zeros_like(eligible)
        for i, rng in enumerate(_image_rngs(self.seed, len(b))):
            idx = np.flatnonzero(eligible[i])
            chosen = idx[rng.permutation(len(idx))[: self.k]]
            changed[i].flat[chosen] = True
        return np.where(changed, new, b), changed, eligible

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        """Perturb ``x`` of shape (n, 1, 28, 28) or (n, 1, 56, 56) in [0, 1]; ``y`` is unused."""
        a = _as_images(x)
        s = grid_scale(a.shape)
        new_b, changed, eligible = self.perturb_grid(read_grid(a))
        value = (new_b / float(MAX_B)).astype(a.dtype)
        out = np.where(_upscale(changed, s)[:, None], _upscale(value, s)[:, None], a)
        self.changed_mask = changed
        self.n_changed = changed.sum(axis=(1, 2)).astype(np.int64)
        self.n_eligible = eligible.sum(axis=(1, 2)).astype(np.int64)
        self.record = pd.DataFrame(
            {
                "image": np.arange(len(a)),
                "k": self.k,
                "n_eligible": self.n_eligible,
                "n_changed": self.n_changed,
            }
        )
        return out


class RandomPixelInvert(PixelNoiseAttack):
    """Control: a random pixel gets eq. 1 if ``b > 127``, else eq. 2 (c = 1.25)."""

    default_c = C_CONTROL
    name = "pixel_invert"

    def plan(self, b):
        eq1, eq2 = _table(equation_1, self.c), _table(equation_2, self.c)
        return np.ones(b.shape, dtype=bool), np.where(b > BRIGHT_ABOVE, eq1[b], eq2[b])


class WhiteToBlack(PixelNoiseAttack):
    """A random pixel with ``b > 0`` gets eq. 1 (c = 2)."""

    name = "white_to_black"

    def plan(self, b):
        return b > WHITE_TO_BLACK_ABOVE, _table(equation_1, self.c)[b]


class BlackToWhite(PixelNoiseAttack):
    """A random pixel with ``b < 100`` gets eq. 2 (c = 2)."""

    name = "black_to_white"

    def plan(self, b):
        return b < BLACK_TO_WHITE_BELOW, _table(equation_2, self.c)[b]


#: the readings of Edge->Altered's edges: found once on the original image, or recomputed on
#: the current image before every single-pixel attack
EDGE_READINGS = ("once", "recomputed")


class EdgeToAltered(PixelNoiseAttack):
    """A random edge pixel (:func:`edge_mask`) gets eq. 1 if bright, else eq. 2 (c = 2).

    ``edges="once"`` (the default, and the reading of the study's committed cells): the
    edges are those of the original image, so ``k`` attacks change ``min(k, n_edges)``
    pixels and the curve stops moving once every edge pixel is changed (the median test
    digit has about 200). ``edges="recomputed"``: before each attack the edges are found
    again on the current image (the paper's "one generation changes one pixel"), so a
    changed pixel can make its neighbours edges; each attack still changes a pixel not
    changed before, drawn uniformly among the current edge pixels with the image's own
    seeded generator, so the ``k`` attacks are again the first ``k`` of the ``k' > k``
    ones. :attr:`n_eligible` counts the original's edge pixels in both readings.
    """

    attack_params = [*PixelNoiseAttack.attack_params, "edges"]
    name = "edge_to_altered"

    def __init__(self, estimator=None, k=10, c=None, seed=0, edges: str = "once"):
        self.edges = edges
        super().__init__(estimator, k=k, c=c, seed=seed)

    def _check_params(self) -> None:
        super()._check_params()
        check_choices("edges", [self.edges], EDGE_READINGS)

    def plan(self, b):
        eq1, eq2 = _table(equation_1, self.c), _table(equation_2, self.c)
        return edge_mask(b), np.where(b > BRIGHT_ABOVE, eq1[b], eq2[b])

    def perturb_grid(self, b):
        if self.edges == "once":
            return super().perturb_grid(b)
        b = np.asarray(b, dtype=np.int64)
        eligible0, new0 = self.plan(b)
        eligible0 = eligible0 & (new0 != b)
        cur = b.copy()
        changed = np.zeros(b.shape, dtype=bool)
        rngs = _image_rngs(self.seed, len(b))
        active = np.ones(len(b), dtype=bool)
        for _ in range(self.k):
            if not active.any():
                break
            edge, new = self.plan(cur)
            ok = edge & (new != cur) & ~changed
            for i in np.flatnonzero(active):
                idx = np.flatnonzero(ok[i])
                if len(idx) == 0:
                    active[i] = False  # no edge pixel left to change: this image stops
                    continue
                j = idx[int(rngs[i].integers(len(idx)))]
                cur[i].flat[j] = new[i].flat[j]
                changed[i].flat[j] = True
        return cur, changed, eligible0


#: registry name -> class of the four perturbations
PIXEL_NOISE: dict[str, type[PixelNoiseAttack]] = {
    cls.name: cls for cls in (RandomPixelInvert, WhiteToBlack, BlackToWhite, EdgeToAltered)
}


# --------------------------------------------------------------------------- Pointwise
INITS = ("salt_and_pepper", "other_image")


class _ImageState:
    """What the Pointwise attack knows about one image; ``cur`` is always misclassified."""

    __slots__ = ("converged", "cur", "l0_start", "success")

    def __init__(self) -> None:
        self.cur: np.ndarray | None = None
        self.l0_start = 0
        self.success = False
        self.converged = False


class PointwiseAttack(EvasionAttack):
    """Pointwise attack (Schott et al. 2019): black-box, decision-based, greedy L0.

    Untargeted, against the labels ``y`` (or the model's predictions when ``y`` is None).
    For each image:

    1. **Start.** ``init="salt_and_pepper"`` adds salt-and-pepper noise of increasing
       density ``p = 1/init_steps, 2/init_steps, ..., 1`` (each pixel becomes the maximum
       with probability p/2 and the minimum with probability p/2) and keeps the first noisy
       image that is misclassified, for up to ``init_repetitions`` sweeps. If none is found
       (or with ``init="other_image"``) the start is the image of the batch, among those
       the model assigns a class other than ``y``, that differs in the fewest pixels (this
       costs no query: the batch's predictions are known). An image that is misclassified
       already is its own result (L0 = 0).
    2. **Greedy reset.** In a fresh random order, try resetting each perturbed pixel to its
       original value, keeping a reset whenever the image stays misclassified; passes are
       repeated until a whole pass resets nothing, so no single pixel can be reset.
    3. **Binary search** (optional, ``binary_search_steps > 0``): for each remaining
       perturbed pixel in random order, a binary search on the segment from its original to
       its adversarial value moves it as close to the original as keeps the image
       misclassified. This lowers L2, not L0.

    A "pixel" is a ``block×block`` square over all channels. ``block=None`` means the 28×28
    grid for single-channel inputs whose side is a multiple of 28 (2×2 squares on 56×56
    upscaled MNIST, so L0 is comparable with the pixel noise's ``k``), else single pixels.

    Only ``estimator.predict`` is ever called; the queries of all images at one step are
    batched into one call. A query is one image evaluated once, including the first
    prediction of the clean image. ``max_queries`` bounds the queries per image; when it is
    reached the last misclassified image is kept.

    After :meth:`generate`, per image: :attr:`success`, :attr:`l0` (changed pixels of the
    result), :attr:`l0_start` (of the starting point), :attr:`queries`, :attr:`converged`
    (the greedy phase ended because no pixel could be reset, not for lack of queries), and
    :attr:`record`, a DataFrame of them.
    """

    attack_params = [
        "block",
        "init",
        "init_steps",
        "init_repetitions",
        "binary_search_steps",
        "max_queries",
        "seed",
        "batch_size",
        "verbose",
    ]
    _estimator_requirements = (BaseEstimator, ClassifierMixin)

    def __init__(
        self,
        estimator,
        block: int | None = None,
        init: str = "salt_and_pepper",
        init_steps: int = 100,
        init_repetitions: int = 10,
        binary_search_steps: int = 0,
        max_queries: int | None = None,
        seed: int = 0,
        batch_size: int = 256,
        verbose: bool = False,
    ):
        super().__init__(estimator=estimator)
        self.block, self.init = block, init
        self.init_steps, self.init_repetitions = init_steps, init_repetitions
        self.binary_search_steps, self.max_queries = binary_search_steps, max_queries
        self.seed, self.batch_size, self.verbose = seed, batch_size, verbose
        self._check_params()
        self.success: np.ndarray | None = None
        self.converged: np.ndarray | None = None
        self.l0: np.ndarray | None = None
        self.l0_start: np.ndarray | None = None
        self.queries: np.ndarray | None = None
        self.record: pd.DataFrame | None = None

    def _check_params(self) -> None:
        if self.block is not None:
            check_number("block", self.block, min=1, integer=True)
        if self.init not in INITS:
            raise ConfigError(
                f"unknown value {self.init!r} for parameter `init`; valid: {', '.join(INITS)}"
            )
        check_number("init_steps", self.init_steps, min=1, integer=True)
        check_number("init_repetitions", self.init_repetitions, min=1, integer=True)
        check_number("binary_search_steps", self.binary_search_steps, min=0, integer=True)
        if self.max_queries is not None:
            check_number("max_queries", self.max_queries, min=1, integer=True)
        check_number("seed", self.seed, min=0, integer=True)
        check_number("batch_size", self.batch_size, min=1, integer=True)

    # -- helpers -------------------------------------------------------------------------
    def block_for(self, shape: tuple[int, ...]) -> int:
        """The pixel square side used for inputs of ``shape`` (n, C, H, W)."""
        if self.block is not None:
            return int(self.block)
        _, ch, h, w = shape
        return h // GRID if ch == 1 and h == w and h and h % GRID == 0 else 1

    def _predict_labels(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator.predict(x, batch_size=self.batch_size)).argmax(axis=1)

    def _square(self, unit: int) -> tuple[slice, slice, slice]:
        """Index of pixel ``unit`` (raster order on the block grid), all channels."""
        r, c = divmod(int(unit), self._w)
        s = self._s
        return slice(None), slice(r * s, (r + 1) * s), slice(c * s, (c + 1) * s)

    def _mix(self, x0: np.ndarray, img: np.ndarray, unit: int, t: float) -> np.ndarray:
        """A copy of ``img`` whose pixel ``unit`` is ``x0 + t (img - x0)`` (t = 0: reset)."""
        out = img.copy()
        sl = self._square(unit)
        out[sl] = x0[sl] if t == 0.0 else (x0[sl] + t * (img[sl] - x0[sl])).astype(img.dtype)
        return out

    def _perturbed(self, x0: np.ndarray, img: np.ndarray) -> np.ndarray:
        """Raster indices of the pixels where ``img`` differs from ``x0``."""
        return np.flatnonzero(block_changes(x0[None], img[None], self._s)[0])

    def _salt_and_pepper(self, x0: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
        u = _upscale(rng.random((self._h, self._w)), self._s)[None]
        lo, hi = self._clip
        return np.where(u < p / 2, hi, np.where(u >= 1 - p / 2, lo, x0)).astype(x0.dtype)

    # -- one image, as a coroutine: yields candidates, is sent "is misclassified" --------
    def _attack_one(
        self,
        x0: np.ndarray,
        rng: np.random.Generator,
        fallback: np.ndarray | None,
        st: _ImageState,
    ) -> Generator[np.ndarray, bool, None]:
        start = None
        if self.init == "salt_and_pepper":
            levels = np.arange(1, self.init_steps + 1) / self.init_steps
            for _ in range(self.init_repetitions):
                for p in levels:
                    cand = self._salt_and_pepper(x0, rng, float(p))
                    if (yield cand):
                        start = cand
                        break
                if start is not None:
                    break
        if start is None:
            start = fallback
        if start is None:
            return
        st.cur, st.success = start, True
        st.l0_start = len(self._perturbed(x0, start))
        # greedy reset, pass after pass, until a whole pass resets nothing
        while True:
            reset = False
            for unit in rng.permutation(self._perturbed(x0, st.cur)):
                cand = self._mix(x0, st.cur, unit, 0.0)
                if (yield cand):
                    st.cur, reset = cand, True
            if not reset:
                break
        st.converged = True
        if not self.binary_search_steps:
            return
        # binary search per remaining pixel, between t = 0 (original) and t = 1 (adversarial)
        for unit in rng.permutation(self._perturbed(x0, st.cur)):
            adv, lo, hi = st.cur, 0.0, 1.0
            for _ in range(self.binary_search_steps):
                mid = (lo + hi) / 2
                cand = self._mix(x0, adv, unit, mid)
                if (yield cand):
                    hi, st.cur = mid, cand
                else:
                    lo = mid

    @staticmethod
    def _advance(i: int, gens: dict, pending: dict, answer: bool | None) -> None:
        """Send ``answer`` to image ``i``'s coroutine and queue its next candidate."""
        try:
            pending[i] = next(gens[i]) if answer is None else gens[i].send(answer)
        except StopIteration:
            pending.pop(i, None)

    def _fallback(
        self, a: np.ndarray, i: int, pred: np.ndarray, labels: np.ndarray
    ) -> np.ndarray | None:
        """The batch image the model assigns a class other than ``labels[i]``, closest in L0."""
        others = np.flatnonzero(pred != labels[i])
        if not len(others):
            return None
        d = l0_pixels(np.repeat(a[i : i + 1], len(others), 0), a[others], self._s)
        return a[others[int(np.argmin(d))]].copy()

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs) -> np.ndarray:
        a = _as_images(x)
        n, _, h, w = a.shape
        self._s = self.block_for(a.shape)
        if h % self._s or w % self._s:
            raise ConfigError(f"parameter `block` ({self._s}) must divide the image size {h}×{w}")
        self._h, self._w = h // self._s, w // self._s
        clip = getattr(self.estimator, "clip_values", None)
        lo, hi = (0.0, 1.0) if clip is None else (np.min(clip[0]), np.max(clip[1]))
        self._clip = (float(lo), float(hi))  # salt and pepper

        pred = self._predict_labels(a) if n else np.zeros(0, dtype=np.int64)
        queries = np.ones(n, dtype=np.int64)
        if y is None:
            labels = pred
        else:
            labels = np.asarray(y)
            labels = labels.argmax(axis=1) if labels.ndim == 2 else labels.astype(np.int64)
            if labels.shape != (n,):
                raise ConfigError(f"parameter `y` must hold {n} labels, got shape {labels.shape}")

        states = [_ImageState() for _ in range(n)]
        gens: dict[int, Generator[np.ndarray, bool, None]] = {}
        pending: dict[int, np.ndarray] = {}
        for i, rng in enumerate(_image_rngs(self.seed, n)):
            if pred[i] != labels[i]:  # misclassified already
                states[i].cur, states[i].success, states[i].converged = a[i].copy(), True, True
                continue
            gens[i] = self._attack_one(a[i], rng, self._fallback(a, i, pred, labels), states[i])
            self._advance(i, gens, pending, None)

        bar = tqdm(desc="Pointwise", unit="query", disable=not self.verbose)
        while pending:
            ids = list(pending)
            adv = self._predict_labels(np.stack([pending[i] for i in ids])) != labels[ids]
            queries[ids] += 1
            bar.update(len(ids))
            for i, is_adv in zip(ids, adv, strict=True):
                self._advance(i, gens, pending, bool(is_adv))  # the answer is always used
                if i in pending and self.max_queries and queries[i] >= self.max_queries:
                    gens[i].close()  # budget spent: keep the last misclassified image
                    del pending[i]
        bar.close()

        out = a.copy()
        for i, st in enumerate(states):
            if st.success:
                out[i] = st.cur
        self.success = np.array([st.success for st in states], dtype=bool)
        self.converged = np.array([st.converged for st in states], dtype=bool)
        self.l0 = l0_pixels(a, out, self._s)
        self.l0_start = np.array([st.l0_start for st in states], dtype=np.int64)
        self.queries = queries
        self.record = pd.DataFrame(
            {
                "image": np.arange(n),
                "label": labels,
                "success": self.success,
                "l0": self.l0,
                "l0_start": self.l0_start,
                "queries": self.queries,
                "converged": self.converged,
                "block": self._s,
            }
        )
        return out


# --------------------------------------------------------------------------- registry
def _pixel_noise_builder(cls: type[PixelNoiseAttack]) -> Callable[..., PixelNoiseAttack]:
    def build(estimator=None, **params):
        return cls(estimator, **params)

    # the class's own parameters (Edge->Altered adds ``edges``), which attacks.create checks
    sig = inspect.signature(cls.__init__)
    build.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])

    build.__name__ = f"build_{cls.name}"
    build.__doc__ = (
        f"{cls.__doc__} ``k`` attacks on the 28×28 grid, seeded; the estimator is never used."
    )
    return build


_DESCRIPTIONS = {
    "pixel_invert": "Random Pixel Invert, the control (Cheng & Hu 2020): random pixels, "
    "eq. 1 if bright else eq. 2, c=1.25; model-agnostic",
    "white_to_black": "White->Black (Cheng & Hu 2020): random pixels with b>0, "
    "int((255-b)/c), c=2; model-agnostic",
    "black_to_white": "Black->White (Cheng & Hu 2020): random pixels with b<100, "
    "int(255-b/c), c=2; model-agnostic",
    "edge_to_altered": "Edge->Altered (Cheng & Hu 2020): random edge pixels, eq. 1 if bright "
    "else eq. 2, c=2; model-agnostic",
}

_TITLES = {
    "pixel_invert": "Random Pixel Invert",
    "white_to_black": "White->Black",
    "black_to_white": "Black->White",
    "edge_to_altered": "Edge->Altered",
}

for _name, _cls in PIXEL_NOISE.items():
    register(
        _name,
        AttackSpec(
            _pixel_noise_builder(_cls),
            unit=Unit.PIXEL_COUNT,
            norm=Norm.L0,
            title=_TITLES[_name],
            description=_DESCRIPTIONS[_name]
            + "; strength k = single-pixel attacks on the 28x28 grid",
            black_box=True,
        ),
    )


def build_pointwise(estimator, **params) -> PointwiseAttack:
    """The Pointwise attack; see :class:`PointwiseAttack` for the parameters."""
    return PointwiseAttack(estimator, **params)


register(
    "pointwise",
    AttackSpec(
        build_pointwise,
        unit=Unit.NONE,
        norm=Norm.L0,
        title="Pointwise",
        description="Pointwise attack (Schott et al. 2019): decision-based greedy L0 from a "
        "salt-and-pepper start; black-box, predict only; minimises L0 (reports changed pixels)",
        black_box=True,
    ),
)
