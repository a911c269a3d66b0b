import numpy as np
import torch
import torch.nn.functional as F

from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness.models import Normalize
from compression_robustness.runtime import estimator as E


def _setup():
    torch.manual_seed(0)
    model = M.build_arch("resnet20").eval()
    spec = D.spec("cifar10")
    x = D.load("cifar10_samples20").x[:8]
    y = D.load("cifar10_samples20").y[:8]
    plain = torch.nn.Sequential(Normalize(spec.mean, spec.std), model)
    return model, spec, x, y, plain


def test_art_gradient_equals_plain_torch_gradient():
    model, spec, x, y, plain = _setup()
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(plain(xr), y).backward()
    torch_grad = xr.grad.numpy()
    est = E.make_classifier(model, spec)
    onehot = np.eye(10, dtype=np.float32)[y.numpy()]  # ART's loss_gradient takes one-hot labels
    art_grad = est.loss_gradient(x.numpy(), onehot)
    np.testing.assert_allclose(art_grad, torch_grad, rtol=1e-4, atol=1e-7)
    # the library's torch-native helper: gradient of the summed loss = n * mean-loss gradient
    grad, logits, losses = est.torch_loss_grad(x, y)
    np.testing.assert_allclose(grad.numpy() / len(y), torch_grad, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(losses.mean().item(), F.cross_entropy(plain(x), y).item(), rtol=1e-5)


def test_art_predict_equals_torch_logits_and_estimator_is_configured():
    model, spec, x, y, plain = _setup()
    est = E.make_classifier(model, spec, batch_size=3)
    with torch.no_grad():
        ref = plain(x).numpy()
    np.testing.assert_allclose(est.predict(x.numpy()), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(est.torch_predict(x).numpy(), ref, rtol=1e-4, atol=1e-5)
    assert tuple(np.asarray(est.clip_values).tolist()) == (0.0, 1.0)
    assert est.nb_classes == 10
    assert not any(p.requires_grad for p in model.parameters())
    assert E.accuracy(est, x, y.numpy()) == float((ref.argmax(1) == y.numpy()).mean())
