"""Contract tests over every registered compression method: each describes itself (family,
marker, order, schedules, settings), its zoo entries are generated from it, and on a real
ResNet it builds, prepares and takes a training step the way its description says."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from compression_robustness import compression as K
from compression_robustness import models as M
from compression_robustness import zoo
from compression_robustness.core.params import PROFILES, recipe_profile
from compression_robustness.core.registry import UnknownNameError
from compression_robustness.core.units import Family
from compression_robustness.models import Normalize
from compression_robustness.runtime.costs import model_costs
from compression_robustness.studies import style

METHODS = K.list_methods()
SPEC_SHAPE = (3, 32, 32)


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(UnknownNameError) as e:
        K.create("prune-filtr")
    msg = str(e.value)
    assert "prune-filtr" in msg and "`variants`" in msg
    assert all(m in msg for m in METHODS)


def test_the_paper_order_and_the_style_come_from_the_registry():
    assert METHODS[:2] == ["vanilla", "kd"]
    assert [style.variant_rank(m) for m in METHODS] == list(range(len(METHODS)))
    assert style.variant_rank("not-a-method") == len(METHODS)
    colors = style.variant_colors(reversed(METHODS))
    assert len(set(colors.values())) == min(10, len(METHODS))


@pytest.mark.parametrize("name", METHODS)
def test_a_method_describes_itself(name):
    m = K.create(name)
    assert isinstance(m.family, Family)
    assert style.FAMILY_MARKERS[m.family] == m.marker
    assert m.title and "{arch}" in m.description
    wanted = {recipe_profile(p) for p in PROFILES}  # gpu trains the paper schedules
    assert wanted <= set(m.recipes), f"{name}: a schedule for every profile"
    assert m.weight_bits in (1, 32)
    assert (m.parent is None) or m.parent in METHODS
    for arch in m.profiles:
        assert set(m.profiles[arch]) <= set(PROFILES)


@pytest.mark.parametrize("name", METHODS)
def test_its_zoo_entries_are_generated_from_it(name):
    m = K.create(name)
    assert m.profiles, f"{name} is trained on no architecture"
    for arch in m.profiles:
        e = zoo.ZOO.get(f"{arch}-{name}")
        assert e.family == m.family
        assert e.profiles == m.profiles[arch]
        assert e.description == m.describe(arch)
        assert e.schedule("smoke").get("compression", {}) == m.compression()
        assert e.parent == (f"{arch}-{m.parent}" if m.parent else None)
        assert e.teacher == m.teacher.get(arch)
        for profile, sched in m.recipes_for(arch).items():
            assert {k: e.schedule(profile)[k] for k in sched} == dict(sched)


@pytest.mark.parametrize("name", METHODS)
def test_it_builds_prepares_and_trains_a_step(name):
    torch.manual_seed(0)
    m = K.create(name)
    model = m.build(M.build_arch("resnet20", 10, 3))
    costs = model_costs(model.eval(), SPEC_SHAPE, None)
    # the weight bits it declares are what the cost model finds in the built model
    assert (costs["binary_params"] > 0) == (m.weight_bits == 1), costs
    teacher = M.build_arch("resnet20", 10, 3).eval() if m.teacher else None
    norm = Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    prep = m.prepare_model(model, K.PrepareContext(SPEC_SHAPE, norm, teacher))
    assert (prep.masks is not None) == (m.family is Family.PRUNED)
    assert (prep.loss_fn is not None) == (m.family is Family.DISTILLED)
    net = torch.nn.Sequential(norm, model).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(8, *SPEC_SHAPE), torch.randint(0, 10, (8,))
    logits = net(x)
    loss = prep.loss_fn(logits, y, x) if prep.loss_fn else F.cross_entropy(logits, y)
    loss.backward()
    opt.step()
    if prep.after_step:
        prep.after_step(model)
    if prep.masks:  # pruned weights stay exactly zero after a step
        params = dict(model.named_parameters())
        assert set(prep.masks) <= set(params)
        for key, mask in prep.masks.items():
            assert (mask == 0).any(), key
            assert torch.all(params[key][mask == 0] == 0), key
    assert torch.isfinite(loss)
