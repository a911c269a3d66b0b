"""The ImageNet chapter: the EfficientNet-Lite0 loader, post-training compression, ε units."""

import numpy as np
import pytest
import torch
from torch import nn

from compression_robustness import data as D
from compression_robustness.compression import posttraining as P
from compression_robustness.core.registry import ConfigError
from compression_robustness.models.efficientnet import load_efficientnet_lite0
from compression_robustness.runtime import estimator as E
from compression_robustness.studies.breakingbed import imagenet as I
from compression_robustness.zoo.entries.imagenet import build_model, data_spec

#: the issue's bar for the loader: at least 65% top-1 on the 1000 imagenet_samples
MIN_TOP1 = 0.65


def _accuracy(model, split, norm="lite0", batch_size=20):
    est = E.make_classifier(model, data_spec("imagenet_samples", norm), batch_size)
    return E.accuracy(est, split.x, split.y.numpy())


@pytest.fixture(scope="module")
def samples20():
    return D.load("imagenet_samples20", "test")


@pytest.fixture(scope="module")
def lite0():
    return load_efficientnet_lite0()


def test_lite0_loader_runs_on_the_foolbox_20(lite0, samples20):
    with torch.inference_mode():
        out = lite0((samples20.x[:2] - 0.5) / 0.5)
    assert out.shape == (2, 1000)
    # the TF-converted weights expect mean = std = 0.5
    assert _accuracy(lite0, samples20, "lite0") >= MIN_TOP1
    assert _accuracy(lite0, samples20, "lite0") >= _accuracy(lite0, samples20, "torchvision")


def _imagenet_samples_or_skip(n=None):
    try:
        return D.load_subset("imagenet_samples", "test", n, 0)
    except D.DataUnavailableError as exc:
        pytest.skip(f"needs the imagenet_samples set from the dataset mirror: {exc}")


@pytest.mark.mirror
@pytest.mark.slow
def test_lite0_reaches_65_percent_on_the_1000_imagenet_samples(lite0):
    split = _imagenet_samples_or_skip()
    assert len(split) == 1000
    assert _accuracy(lite0, split, batch_size=100) >= MIN_TOP1


@pytest.mark.mirror
@pytest.mark.slow
def test_ptq_at_8_bits_stays_within_2_points_of_float(lite0):
    split = _imagenet_samples_or_skip(250)
    q = P.quantize_model(load_efficientnet_lite0(), 8)
    assert abs(_accuracy(q, split, batch_size=50) - _accuracy(lite0, split, batch_size=50)) <= 0.02


def test_ptq_8_bits_agrees_with_float_on_the_foolbox_20(lite0, samples20):
    q = P.quantize_model(load_efficientnet_lite0(), 8)
    norm = (samples20.x - 0.5) / 0.5
    with torch.inference_mode():
        agree = (q(norm).argmax(1) == lite0(norm).argmax(1)).float().mean()
    assert float(agree) >= 0.9
    assert any(isinstance(m, P.ActivationQuantizer) for m in q.modules())


def test_dynamic_fixed_point_by_hand():
    # I = 0 integer bits, 4 bits: step 2**-4; 0.3 -> round(0.3 * 16) / 16 = 5/16
    assert float(P.quantize_dynamic(torch.tensor([0.3]), 4, 0)) == pytest.approx(5 / 16)
    w = torch.tensor([[0.3, -0.2], [3.0, -1.0], [0.0, 0.0]])
    # fewest integer bits with 2**(I-1) > max|w|: 0.3 -> 0, 3.0 -> 3, all-zero -> 1
    assert P.weight_int_bits(w).tolist() == [0, 3, 1]
    q = P.quantize_dynamic(w, 4, P.weight_int_bits(w))
    assert q.flatten().tolist() == pytest.approx([5 / 16, -3 / 16, 3.0, -1.0, 0.0, 0.0])


def _convnet():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),  # stem: never pruned
        nn.ReLU6(),
        nn.Conv2d(8, 8, 3, groups=8),  # depthwise: never pruned
        nn.Conv2d(8, 16, 1),
        nn.ReLU6(),
        nn.Conv2d(16, 10, 1),
    )


def test_magnitude_pruning_rates_and_layers():
    m = P.prune_weights(_convnet(), 0.3)
    assert int((m[0].weight == 0).sum()) == 0 and int((m[2].weight == 0).sum()) == 0
    for conv in (m[3], m[5]):
        assert int((conv.weight == 0).sum()) == int(0.3 * conv.weight.numel())
    c = P.prune_channels(_convnet(), 0.3)
    for conv in (c[3], c[5]):
        dead = (conv.weight == 0).all(dim=(0, 2, 3))
        assert int(dead.sum()) == int(0.3 * conv.weight.shape[1])
    assert 0 < P.sparsity(c) < 1


def test_eps_readings_and_genattack_targets():
    assert I.pgd_eps_pixels(0.1, "pixel") == 0.1
    assert I.pgd_eps_pixels(0.1, "normalised") == pytest.approx(
        0.1 * np.mean([0.229, 0.224, 0.225]) * 255
    )
    y = torch.arange(1000)
    t = I.genattack_targets(y, 1000, 0)
    assert (t != y.numpy()).all() and ((t >= 0) & (t < 1000)).all()
    assert (t == I.genattack_targets(y, 1000, 0)).all()


def _validate(**over):
    args = dict(
        profile="smoke",
        dataset="imagenet_samples20",
        imagenet_dir="",
        models=["efficientnet_lite0"],
        attack_models=["efficientnet_lite0"],
        genattack_models=[],
        n_clean=None,
        n_attack=4,
        n_genattack=1,
        fgsm_eps=[2.0],
        pgd_eps=[0.1],
        pgd_iterations=[2],
        eps_readings=["pixel"],
        genattack_eps=[8.0],
        genattack_iterations=[2],
        genattack_population=6,
        seed=0,
        batch_size=4,
    )
    args.update(over)
    return I.validate_imagenet(**args)


def test_validate_imagenet_names_the_bad_parameter(tmp_path):
    assert _validate().models == ["efficientnet_lite0"]
    with pytest.raises(ConfigError, match="imagenet_dir"):
        _validate(dataset="imagenet_val", imagenet_dir=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="imagenet_dir"):
        _validate(dataset="imagenet_val", imagenet_dir=str(tmp_path))  # no class folders
    with pytest.raises(ConfigError, match="ImageNet model"):
        _validate(models=["resnet1000"])
    with pytest.raises(ConfigError, match="`attack_models`"):
        _validate(attack_models=["efficientnet_lite0-ptq8"])
    with pytest.raises(ConfigError, match="fgsm_eps"):
        _validate(fgsm_eps=[-1.0])
    with pytest.raises(ConfigError, match="eps_readings"):
        _validate(eps_readings=["metres"])


def test_compressed_resnet18_says_it_needs_imagenet_training():
    with pytest.raises(NotImplementedError, match="training"):
        build_model("resnet18-xnor")


def test_every_imagenet_models_compression_is_a_registered_post_training_kind():
    from compression_robustness.compression.posttraining import POST_TRAINING
    from compression_robustness.zoo.entries.imagenet import IMAGENET_MODELS

    kinds = {IMAGENET_MODELS.get(n).compression.get("kind") for n in IMAGENET_MODELS.names()}
    assert kinds - {None, "zoo"} == set(POST_TRAINING.names())
    with pytest.raises(ConfigError, match="post-training compression 'ptq9'"):
        POST_TRAINING.get("ptq9")
