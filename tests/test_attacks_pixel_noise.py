"""The model-agnostic pixel noise of Cheng & Hu (2020) and the black-box Pointwise attack."""

from unittest import mock

import numpy as np
import pytest
import torch
from art.estimators.classification import PyTorchClassifier
from art.exceptions import EstimatorError

from compression_robustness import data as D
from compression_robustness.attacks import ATTACKS
from compression_robustness.attacks import pixel_noise as P
from compression_robustness.core.registry import ConfigError

NAMES = ["pixel_invert", "white_to_black", "black_to_white", "edge_to_altered"]
# c as an exact fraction (numerator, denominator): the paper's 1.25 and 2
C_OF = {"pixel_invert": (5, 4), "white_to_black": (2, 1), "black_to_white": (2, 1)}
C_OF["edge_to_altered"] = (2, 1)


@pytest.fixture(scope="module", autouse=True)
def _light(one_thread):
    """Every test of this module runs on one thread (see conftest.one_thread)."""


@pytest.fixture(scope="module")
def mnist():
    s = D.load("mnist_samples20")
    return s.x.numpy(), s.y.numpy()


def up2(x: np.ndarray) -> np.ndarray:
    """Nearest ×2 upscaling: each pixel becomes a 2×2 block."""
    return np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)


def eq1_int(b: int, num: int, den: int) -> int:
    """int((255 - b) / c) for c = num/den, in integer arithmetic."""
    return (255 - b) * den // num


def eq2_int(b: int, num: int, den: int) -> int:
    """int(255 - b / c) for c = num/den, in integer arithmetic (the value is >= 0)."""
    return (255 * num - b * den) // num


def expected_value(name: str, b: int) -> int:
    num, den = C_OF[name]
    if name == "white_to_black":
        return eq1_int(b, num, den)
    if name == "black_to_white":
        return eq2_int(b, num, den)
    return eq1_int(b, num, den) if b > 127 else eq2_int(b, num, den)


def naive_is_edge(b: np.ndarray, r: int, c: int) -> bool:
    """A pixel with an in-bounds 8-neighbour on the other side of 127."""
    h, w = b.shape
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            rr, cc = r + dr, c + dc
            if (dr or dc) and 0 <= rr < h and 0 <= cc < w and (b[rr, cc] > 127) != (b[r, c] > 127):
                return True
    return False


def precondition(name: str, b0: np.ndarray, r: int, c: int) -> bool:
    v = int(b0[r, c])
    return {
        "pixel_invert": True,
        "white_to_black": v > 0,
        "black_to_white": v < 100,
        "edge_to_altered": naive_is_edge(b0, r, c),
    }[name]


# --------------------------------------------------------------------------- equations
def test_equations_match_a_hand_computation():
    hand = {
        # (equation, b, c): value, computed by hand
        (1, 255, 1.25): 0,
        (1, 200, 1.25): 44,  # 55 / 1.25 = 44
        (1, 128, 1.25): 101,  # 127 / 1.25 = 101.6
        (2, 0, 1.25): 255,
        (2, 100, 1.25): 175,  # 255 - 80
        (2, 101, 1.25): 174,  # 255 - 80.8 = 174.2
        (2, 127, 1.25): 153,  # 255 - 101.6 = 153.4
        (1, 255, 2): 0,
        (1, 128, 2): 63,  # 127 / 2 = 63.5
        (1, 1, 2): 127,  # 254 / 2
        (1, 85, 2): 85,  # a fixed point: 170 / 2
        (2, 0, 2): 255,
        (2, 1, 2): 254,  # 254.5
        (2, 99, 2): 205,  # 205.5
        (2, 127, 2): 191,  # 191.5
    }
    for (eq, b, c), v in hand.items():
        f = P.equation_1 if eq == 1 else P.equation_2
        assert f(b, c) == v, (eq, b, c)
    for b in range(256):
        assert P.equation_1(b, 1.25) == eq1_int(b, 5, 4)
        assert P.equation_2(b, 1.25) == eq2_int(b, 5, 4)
        assert P.equation_1(b, 2) == eq1_int(b, 2, 1)
        assert P.equation_2(b, 2) == eq2_int(b, 2, 1)


def test_registry_names_and_defaults():
    for name in [*NAMES, "pointwise"]:
        assert name in ATTACKS and ATTACKS.get(name).black_box
    for name in NAMES:
        atk = ATTACKS.get(name).builder(None, k=3, seed=1)
        assert isinstance(atk, P.PIXEL_NOISE[name]) and atk.k == 3 and atk.seed == 1
        assert atk.c == (1.25 if name == "pixel_invert" else 2.0)
        assert atk._estimator_requirements == ()


# --------------------------------------------------------------------------- pixel noise
@pytest.mark.parametrize("name", NAMES)
def test_changes_exactly_k_pixels_obeying_its_rule(mnist, name):
    x, _ = mnist
    b0 = P.read_grid(x)
    for k in (0, 1, 10, 40):  # every image has more than 40 eligible pixels
        atk = P.PIXEL_NOISE[name](None, k=k, seed=3)
        adv = atk.generate(x)
        assert adv.shape == x.shape and adv.dtype == x.dtype
        assert (atk.n_eligible > 40).all()
        np.testing.assert_array_equal(atk.n_changed, k)
        np.testing.assert_array_equal(P.changed_pixels(x, adv), k)
        np.testing.assert_array_equal(atk.record["n_changed"], k)
        changed = P.block_changes(x, adv, 1)
        np.testing.assert_array_equal(changed, atk.changed_mask)
        assert (adv[~changed[:, None]] == x[~changed[:, None]]).all()  # bit-identical elsewhere
        b1 = P.read_grid(adv)
        for i, r, c in zip(*np.nonzero(changed), strict=True):
            b = int(b0[i, r, c])
            assert precondition(name, b0[i], r, c), (name, i, r, c, b)
            want = expected_value(name, b)
            assert want != b and b1[i, r, c] == want
            assert adv[i, 0, r, c] == np.float32(want / 255)


@pytest.mark.parametrize("name", NAMES)
def test_56x56_changes_exactly_k_blocks_as_at_28x28(mnist, name):
    x, _ = mnist
    x56 = up2(x)
    for k in (0, 7, 30):
        adv28 = P.PIXEL_NOISE[name](None, k=k, seed=5).generate(x)
        atk = P.PIXEL_NOISE[name](None, k=k, seed=5)
        adv56 = atk.generate(x56)
        np.testing.assert_array_equal(adv56, up2(adv28))
        np.testing.assert_array_equal(P.changed_pixels(x56, adv56), k)
        np.testing.assert_array_equal(P.l0_pixels(x56, adv56), 4 * k)  # whole 2×2 blocks
        np.testing.assert_array_equal(atk.n_changed, k)


def test_56x56_reads_the_top_left_of_each_block_and_writes_the_whole_block(mnist):
    x, _ = mnist
    rng = np.random.default_rng(0)
    x56 = rng.integers(0, 256, size=(len(x), 1, 56, 56)).astype(np.float32) / 255
    x56[:, :, ::2, ::2] = x  # the original is the top-left element; the rest is noise
    for name in NAMES:
        ref = P.PIXEL_NOISE[name](None, k=25, seed=2)
        adv28 = ref.generate(x)
        atk = P.PIXEL_NOISE[name](None, k=25, seed=2)
        adv56 = atk.generate(x56)
        np.testing.assert_array_equal(atk.changed_mask, ref.changed_mask)
        block = P._upscale(ref.changed_mask, 2)[:, None]
        np.testing.assert_array_equal(adv56[block], up2(adv28)[block])
        np.testing.assert_array_equal(adv56[~block], x56[~block])


def test_thresholds_and_values_at_the_boundaries():
    """Brightnesses around every threshold on a white image, all attacked (k = 1000)."""
    b = [0, 1, 84, 85, 86, 99, 100, 101, 127, 128, 200, 255]
    by_hand = {  # None: not eligible, unchanged
        # b <= 127: int(255 - b / 1.25), else int((255 - b) / 1.25)
        "pixel_invert": [255, 254, 187, 187, 186, 175, 175, 174, 153, 101, 44, 0],
        # b > 0: int((255 - b) / 2); 85 maps to itself and is not eligible
        "white_to_black": [None, 127, 85, None, 84, 78, 77, 77, 64, 63, 27, 0],
        # b < 100: int(255 - b / 2)
        "black_to_white": [255, 254, 213, 212, 212, 205, None, None, None, None, None, None],
    }
    n_eligible = {"pixel_invert": 784, "white_to_black": 782, "black_to_white": 6}
    grid = np.full((28, 28), 255, np.int64)
    grid[14, 2:14] = b
    x = (grid / 255).astype(np.float32)[None, None]
    for name, values in by_hand.items():
        atk = P.PIXEL_NOISE[name](None, k=1000, seed=0)
        new = P.read_grid(atk.generate(x))[0, 14, 2:14]
        want = [v0 if v is None else v for v0, v in zip(b, values, strict=True)]
        assert new.tolist() == want, name
        assert atk.n_eligible.tolist() == atk.n_changed.tolist() == [n_eligible[name]]


def test_fewer_eligible_pixels_than_k_changes_all_of_them_and_records_it(mnist):
    x, _ = mnist
    for name in NAMES:
        atk = P.PIXEL_NOISE[name](None, k=1000, seed=0)
        adv = atk.generate(x)
        np.testing.assert_array_equal(atk.n_changed, atk.n_eligible)
        np.testing.assert_array_equal(P.changed_pixels(x, adv), atk.n_eligible)
    assert (atk.n_eligible < 784).all()
    # White->Black: only b > 0, and b = 85 is not eligible (int(170 / 2) = 85 changes nothing)
    img = np.zeros((1, 1, 28, 28), np.float32)
    img[0, 0, 3, 4], img[0, 0, 10, 10], img[0, 0, 20, 1] = 85 / 255, 200 / 255, 10 / 255
    atk = P.WhiteToBlack(None, k=5, seed=0)
    adv = atk.generate(img)
    assert atk.n_eligible.tolist() == [2] and atk.n_changed.tolist() == [2]
    assert P.read_grid(adv)[0, 10, 10] == 27 and P.read_grid(adv)[0, 20, 1] == 122
    assert adv[0, 0, 3, 4] == img[0, 0, 3, 4]
    # Black->White on an all-white image: nothing is eligible, nothing changes
    white = np.ones((2, 1, 28, 28), np.float32)
    atk = P.BlackToWhite(None, k=10)
    np.testing.assert_array_equal(atk.generate(white), white)
    assert atk.n_changed.tolist() == [0, 0]


def test_edge_definition_on_a_hand_made_image():
    b = np.zeros((28, 28), np.int64)
    b[10:12, 10:12] = 255  # a 2×2 white square: it and its 12 dark neighbours are edges
    b[0, 0] = 200  # a bright corner pixel: it and its 3 in-bounds neighbours
    b[20, 20] = 128  # barely bright; its neighbour (20, 21) is 127, barely dark
    b[20, 21] = 127
    b[5, 20] = 127  # dark and surrounded by dark: not an edge
    expected = np.zeros((28, 28), bool)
    expected[9:13, 9:13] = True
    expected[0:2, 0:2] = True
    expected[19:22, 19:22] = True
    np.testing.assert_array_equal(P.edge_mask(b), expected)
    assert expected.sum() == 16 + 4 + 9

    x = (b / 255).astype(np.float32)[None, None]
    atk = P.EdgeToAltered(None, k=1000, seed=0)
    adv = atk.generate(x)
    np.testing.assert_array_equal(atk.changed_mask[0], expected)
    assert atk.n_changed.tolist() == [29]
    new = P.read_grid(adv)[0]
    assert new[10, 10] == 0 and new[0, 0] == 27 and new[20, 20] == 63  # eq. 1, c = 2
    assert new[9, 9] == 255 and new[20, 21] == 191 and new[1, 1] == 255  # eq. 2, c = 2
    assert new[5, 20] == 127 and new[27, 27] == 0  # untouched
    for k in (1, 5, 20):  # fewer attacks: a subset of the edges
        atk = P.EdgeToAltered(None, k=k, seed=k)
        atk.generate(x)
        assert atk.changed_mask[0].sum() == k and not (atk.changed_mask[0] & ~expected).any()


def test_recomputed_edges_follow_the_current_image_one_pixel_at_a_time():
    b = np.zeros((28, 28), np.int64)
    b[10:12, 10:12] = 255  # 16 edge pixels on the original
    x = (b / 255).astype(np.float32)[None, None]
    once = P.EdgeToAltered(None, k=200, seed=0)
    once.generate(x)
    again = P.EdgeToAltered(None, k=200, seed=0, edges="recomputed")
    again.generate(x)
    assert once.n_changed.tolist() == [16]
    # a dark pixel brightened by eq. 2 turns bright, so its dark neighbours become edges
    assert again.n_changed.tolist() == [200] and again.n_eligible.tolist() == [16]
    # every attack changed a pixel that was an edge of the image just before it
    cur = b.copy()
    prev = np.zeros((28, 28), bool)
    for k in range(1, 30):
        atk = P.EdgeToAltered(None, k=k, seed=0, edges="recomputed")
        adv = atk.generate(x)
        new = atk.changed_mask[0] & ~prev
        assert new.sum() == 1 and (atk.changed_mask[0] >= prev).all()  # nested, one more
        (r,), (c,) = np.nonzero(new)
        assert P.edge_mask(cur)[r, c]
        cur = P.read_grid(adv)[0]
        prev = atk.changed_mask[0]


def test_recomputed_edges_on_real_digits_change_k_distinct_pixels(mnist):
    x, _ = mnist
    for k in (50, 250):
        atk = P.EdgeToAltered(None, k=k, seed=3, edges="recomputed")
        adv = atk.generate(x)
        np.testing.assert_array_equal(P.changed_pixels(x, adv), atk.n_changed)
        assert (atk.n_changed == k).all()
    once = P.EdgeToAltered(None, k=250, seed=3)
    once.generate(x)
    assert (once.n_changed < 250).any()  # the original's edges run out


def test_edge_reading_is_checked_and_only_edge_to_altered_takes_it():
    from compression_robustness import attacks as A

    with pytest.raises(ConfigError, match="`edges`"):
        A.create("edge_to_altered", None, k=3, edges="twice")
    with pytest.raises(ConfigError, match="'edges'"):
        A.create("pixel_invert", None, k=3, edges="once")


def test_edge_mask_matches_a_naive_check_on_real_images(mnist):
    x, _ = mnist
    b = P.read_grid(x[:3])
    mask = P.edge_mask(b)
    for i in range(3):
        naive = np.array([[naive_is_edge(b[i], r, c) for c in range(28)] for r in range(28)])
        np.testing.assert_array_equal(mask[i], naive)


@pytest.mark.parametrize("name", NAMES)
def test_seeded_repeats_are_identical_and_nested(mnist, name):
    x, _ = mnist
    cls = P.PIXEL_NOISE[name]
    a1, a2 = cls(None, k=20, seed=11).generate(x), cls(None, k=20, seed=11).generate(x)
    np.testing.assert_array_equal(a1, a2)
    a3 = cls(None, k=20, seed=12).generate(x)
    assert (P.block_changes(a1, a3, 1).sum(axis=(1, 2)) > 0).all()  # every image differs
    small, big = cls(None, k=10, seed=11), cls(None, k=30, seed=11)
    small.generate(x), big.generate(x)
    assert not (small.changed_mask & ~big.changed_mask).any()  # the k sweep is nested
    # a torch tensor input works the same
    np.testing.assert_array_equal(cls(None, k=20, seed=11).generate(torch.from_numpy(x)), a1)


class RaisingEstimator:
    """Any use of the model fails the test."""

    def predict(self, *a, **k):
        raise AssertionError("predict was called")

    def loss_gradient(self, *a, **k):
        raise AssertionError("loss_gradient was called")

    def class_gradient(self, *a, **k):
        raise AssertionError("class_gradient was called")

    def __call__(self, *a, **k):
        raise AssertionError("the estimator was called")


@pytest.mark.parametrize("name", NAMES)
def test_perturbations_never_query_the_model(mnist, name):
    x, y = mnist
    spy = mock.MagicMock()
    for est in (None, RaisingEstimator(), spy):
        atk = ATTACKS.get(name).builder(est, k=15, seed=0)
        atk.generate(x, y)
        atk.generate(up2(x[:2]))
    assert spy.mock_calls == []


def test_bad_parameters_raise_config_errors_naming_them(mnist):
    x, _ = mnist
    for name in NAMES:
        builder = ATTACKS.get(name).builder
        for bad in (-1, 1.5, True, "10", None):
            with pytest.raises(ConfigError, match="`k`"):
                builder(None, k=bad)
        for bad in (0.5, 0, -2, "two", float("nan"), float("inf")):
            with pytest.raises(ConfigError, match="`c`"):
                builder(None, k=1, c=bad)
        with pytest.raises(ConfigError, match="`seed`"):
            builder(None, k=1, seed=-1)
        atk = builder(None, k=1)
        with pytest.raises(ConfigError, match="`k`"):
            atk.set_params(k=-5)
        for bad_x in (x * 2, x[:, :, :27, :27], np.repeat(x, 3, axis=1), x[:, 0], x.astype(int)):
            with pytest.raises(ConfigError, match="`x`"):
                builder(None, k=1).generate(bad_x)


# --------------------------------------------------------------------------- Pointwise
class SpyClassifier(PyTorchClassifier):
    """Counts the images passed to ``predict``; any gradient or training call fails."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.predicted = 0

    def predict(self, x, batch_size=128, training_mode=False, **kwargs):
        self.predicted += len(x)
        return super().predict(x, batch_size=batch_size, training_mode=training_mode, **kwargs)

    def loss_gradient(self, *a, **k):
        raise AssertionError("loss_gradient was called")

    def class_gradient(self, *a, **k):
        raise AssertionError("class_gradient was called")

    def fit(self, *a, **k):
        raise AssertionError("fit was called")


@pytest.fixture(scope="module")
def linear_model(mnist):
    """A linear classifier fitted for a moment on the 20 sample images."""
    x, y = mnist
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return model.eval().requires_grad_(False)


def spy_for(model, shape=(1, 28, 28)) -> SpyClassifier:
    return SpyClassifier(
        model=model,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=shape,
        nb_classes=10,
        clip_values=(0.0, 1.0),
    )


def predict(model, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(x))).argmax(1).numpy()


@pytest.fixture(scope="module")
def pointwise_run(mnist, linear_model):
    x, y = mnist[0][:8], mnist[1][:8]
    assert (predict(linear_model, x) == y).all()
    est = spy_for(linear_model)
    atk = ATTACKS.get("pointwise").builder(est, seed=0)
    adv = atk.generate(x, y)
    return x, y, adv, atk, est


def test_pointwise_only_predicts_counts_queries_and_ends_misclassified(pointwise_run, linear_model):
    x, y, adv, atk, est = pointwise_run
    assert est.predicted == atk.queries.sum()  # every image predicted is a counted query
    assert atk.success.all() and atk.converged.all()
    assert (predict(linear_model, adv) != y).all()
    assert ((atk.l0 > 0) & (atk.l0 <= atk.l0_start)).all()
    assert (atk.l0 < atk.l0_start).any()
    np.testing.assert_array_equal(atk.l0, P.changed_pixels(x, adv))
    np.testing.assert_array_equal(atk.record["queries"], atk.queries)
    assert adv.min() >= 0 and adv.max() <= 1


def test_pointwise_result_cannot_lose_any_single_pixel(pointwise_run, linear_model):
    """The greedy phase ended: resetting any one remaining pixel restores the label."""
    x, y, adv, atk, _ = pointwise_run
    cands, labels = [], []
    for i in range(len(x)):
        for r, c in zip(
            *np.nonzero(P.block_changes(x[i : i + 1], adv[i : i + 1], 1)[0]), strict=True
        ):
            cand = adv[i].copy()
            cand[:, r, c] = x[i, :, r, c]
            cands.append(cand)
            labels.append(y[i])
    assert len(cands) == atk.l0.sum()
    np.testing.assert_array_equal(predict(linear_model, np.stack(cands)), labels)


def test_pointwise_is_seeded(pointwise_run, linear_model):
    x, y, adv, atk, _ = pointwise_run
    again = P.PointwiseAttack(spy_for(linear_model), seed=0)
    np.testing.assert_array_equal(again.generate(x, y), adv)
    np.testing.assert_array_equal(again.queries, atk.queries)
    other = P.PointwiseAttack(spy_for(linear_model), seed=1, max_queries=300)
    assert not np.array_equal(other.generate(x, y), adv)


def test_pointwise_binary_search_keeps_l0_and_lowers_l2(pointwise_run, linear_model):
    x, y, adv, atk, _ = pointwise_run
    bs = P.PointwiseAttack(spy_for(linear_model), seed=0, binary_search_steps=4)
    adv_bs = bs.generate(x, y)
    np.testing.assert_array_equal(bs.l0, atk.l0)  # same greedy phase, same pixels
    assert (predict(linear_model, adv_bs) != y).all()
    l2, l2_bs = (np.linalg.norm((a - x).reshape(len(x), -1), axis=1) for a in (adv, adv_bs))
    assert (l2_bs <= l2 + 1e-6).all() and (l2_bs < l2).any()
    assert (bs.queries > atk.queries).all()


def test_pointwise_query_budget_and_already_misclassified(mnist, linear_model):
    x, y = mnist[0][:6], mnist[1][:6]
    est = spy_for(linear_model)
    atk = P.PointwiseAttack(est, seed=0, max_queries=40)
    adv = atk.generate(x, y)
    assert (atk.queries <= 40).all() and est.predicted == atk.queries.sum()
    ok = atk.success
    assert (predict(linear_model, adv[ok]) != y[ok]).all()
    assert (adv[~ok] == x[~ok]).all() and (atk.l0 <= atk.l0_start).all()
    # wrong labels: the clean image is already "misclassified", found with one query
    atk = P.PointwiseAttack(spy_for(linear_model), seed=0)
    wrong = (y + 1) % 10
    np.testing.assert_array_equal(atk.generate(x, wrong), x)
    assert atk.success.all() and (atk.l0 == 0).all() and (atk.queries == 1).all()


def test_pointwise_other_image_start(mnist, linear_model):
    x, y = mnist[0][:6], mnist[1][:6]
    atk = P.PointwiseAttack(spy_for(linear_model), init="other_image", seed=0)
    adv = atk.generate(x, None)  # labels = the model's predictions
    assert atk.success.all() and (predict(linear_model, adv) != y).all()
    for i in range(len(x)):
        others = [j for j in range(len(x)) if y[j] != y[i]]
        d = P.l0_pixels(np.repeat(x[i : i + 1], len(others), 0), x[others])
        assert atk.l0_start[i] == d.min() >= atk.l0[i]


def test_pointwise_on_56x56_works_on_2x2_blocks(mnist, linear_model):
    x, y = up2(mnist[0][:4]), mnist[1][:4]
    model = torch.nn.Sequential(torch.nn.AvgPool2d(2), linear_model)  # same model, 56×56 in
    atk = P.PointwiseAttack(spy_for(model, (1, 56, 56)), seed=0, max_queries=400)
    adv = atk.generate(x, y)
    assert (atk.record["block"] == 2).all()
    ok = atk.success
    assert ok.any() and (predict(model, adv[ok]) != y[ok]).all()
    np.testing.assert_array_equal(atk.l0, P.changed_pixels(x, adv))
    np.testing.assert_array_equal(P.l0_pixels(x, adv), 4 * atk.l0)  # whole blocks
    assert (atk.l0 <= atk.l0_start).all()


def test_pointwise_parameters_are_checked(linear_model):
    est = spy_for(linear_model)
    with pytest.raises(EstimatorError):
        P.PointwiseAttack(None)
    for kw, param in [
        ({"init": "noise"}, "init"),
        ({"max_queries": 0}, "max_queries"),
        ({"binary_search_steps": -1}, "binary_search_steps"),
        ({"init_steps": 0}, "init_steps"),
        ({"block": 0}, "block"),
        ({"seed": -1}, "seed"),
    ]:
        with pytest.raises(ConfigError, match=f"`{param}`"):
            P.PointwiseAttack(est, **kw)
