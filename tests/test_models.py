import pytest
import torch

from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness import zoo
from compression_robustness.core.registry import UnknownNameError

# He et al. (2016), Table 6: ResNet20 0.27M and ResNet56 0.85M parameters (option A shortcuts)
EXPECTED_PARAMS_M = {"resnet20": 0.27, "resnet56": 0.85, "resnet110": 1.7}
# The 1x56x56 architectures of the pixel_noise chapter (m56_*, registered when the zoo is
# imported) are tested in tests/test_studies_cheng.py.
ARCHS = [a for a in M.ARCHS.names() if not a.startswith("m56_")]
# Each architecture's input shape is that of the dataset its zoo models use (CIFAR-10
# unless a zoo entry says otherwise: LeNet5 and the Galloway CNNs are MNIST models).
INPUT_SHAPE = {e.arch: D.spec(e.dataset).shape for e in map(zoo.ZOO.get, zoo.ZOO.names())}


def _shape(arch: str) -> tuple[int, int, int]:
    return tuple(INPUT_SHAPE.get(arch, (3, 32, 32)))


@pytest.mark.parametrize("arch", ARCHS)
def test_every_architecture_builds_runs_and_backpropagates(arch):
    torch.manual_seed(0)
    shape = _shape(arch)
    net = M.build_arch(arch, num_classes=10, in_channels=shape[0])
    x = torch.randn(4, *shape, requires_grad=True)
    out = net(x)
    assert out.shape == (4, 10)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in net.parameters())
    if arch in EXPECTED_PARAMS_M:
        assert M.count_params(net) / 1e6 == pytest.approx(EXPECTED_PARAMS_M[arch], rel=0.03)


@pytest.mark.parametrize("arch", ARCHS)
def test_channels_last_gives_the_same_logits(arch):
    if arch.startswith("galloway-s"):
        pytest.skip("stochastic binarisation draws new weights on every forward pass")
    torch.manual_seed(0)
    shape = _shape(arch)
    net = M.build_arch(arch, in_channels=shape[0]).eval()
    x = torch.randn(2, *shape)
    ref = net(x)
    net = net.to(memory_format=torch.channels_last)
    assert torch.allclose(net(x.contiguous(memory_format=torch.channels_last)), ref, atol=1e-4)


def test_unknown_architecture_lists_the_valid_ones():
    with pytest.raises(UnknownNameError) as e:
        M.build_arch("resnet99")
    assert "resnet20" in str(e.value) and "resnet56" in str(e.value) and "`arch`" in str(e.value)
