"""Model: estimators, the zero-selection-gap property, CAGE schedule, freezing, determinism."""

import numpy as np
import pytest
import torch

from lgn2hw.errors import ConfigError
from lgn2hw.freeze import freeze
from lgn2hw.model import CageSchedule, LogicNet, NetConfig
from lgn2hw.model.estimators import select_coefficients
from lgn2hw.simulate import scores as sim_scores
from lgn2hw.train import EncodedData, TrainConfig, train


def small_config(**kw) -> NetConfig:
    base = dict(num_inputs=40, num_classes=4, widths=[64, 64, 32], tau=4.0, seed=3)
    base.update(kw)
    return NetConfig(**base)


def random_bits(n, k, seed=0):
    return (torch.rand(n, k, generator=torch.Generator().manual_seed(seed)) > 0.5).float()


@pytest.mark.parametrize("cage", [True, False])
@pytest.mark.parametrize("per_gate", [False, True])
def test_hard_st_training_forward_equals_frozen_network(cage, per_gate):
    """Zero selection gap: Hard-ST's training forward is the deployed network, bit for bit."""
    net = LogicNet(small_config(cage=cage, cage_per_gate=per_gate and cage))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    x = random_bits(256, 40)
    y = torch.randint(0, 4, (256,), generator=torch.Generator().manual_seed(1))
    for _ in range(5):  # move the logits away from the init, CAGE state too
        loss = torch.nn.functional.cross_entropy(net(x) / 4.0, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.update_cage()
    train_out = net(x, hard=False)
    frozen_out = net(x, hard=True)
    assert torch.equal(train_out, frozen_out)
    assert torch.equal(train_out.round().long(), torch.from_numpy(sim_scores(freeze(net), x.numpy())))


def test_soft_mix_training_forward_differs_from_frozen():
    net = LogicNet(small_config(estimator="soft-mix", cage=False))
    x = random_bits(64, 40)
    assert not torch.allclose(net(x, hard=False), net(x, hard=True))


def test_hard_st_gradient_is_softmax_straight_through():
    torch.manual_seed(0)
    logits = torch.randn(5, 16, requires_grad=True)
    coeffs = torch.from_numpy(__import__("lgn2hw.gates", fromlist=["x"]).coefficient_matrix().copy())
    t = torch.tensor(2.0)
    upstream = torch.randn(5, 4)
    out = select_coefficients(logits, coeffs, "hard-st", t)
    assert torch.equal(out, coeffs[logits.argmax(-1)])
    (out * upstream).sum().backward()
    ref_logits = logits.detach().clone().requires_grad_(True)
    ((torch.softmax(ref_logits / t, -1) @ coeffs) * upstream).sum().backward()
    assert torch.allclose(logits.grad, ref_logits.grad, atol=1e-6)


def test_gumbel_noise_is_seeded():
    a = LogicNet(small_config(estimator="gumbel-st", seed=7))
    b = LogicNet(small_config(estimator="gumbel-st", seed=7))
    x = random_bits(32, 40)
    assert torch.equal(a(x), b(x))


def test_cage_schedule_endpoints_and_ema():
    uniform = torch.zeros(10, 16)
    committed = torch.full((10, 16), -100.0)
    committed[:, 3] = 100.0
    s = CageSchedule(10)
    assert float(s.temperature()) == pytest.approx(3.0)  # starts at 1/16 -> T_max
    s.update(uniform)
    assert float(s.temperature()) == pytest.approx(3.0)  # uniform logits keep T_max
    s.ema.fill_(1.0)
    assert float(s.temperature()) == pytest.approx(0.5)  # fully committed -> T_min
    s = CageSchedule(10)
    s.update(committed)
    expected_ema = 0.99 / 16 + 0.01 * 1.0
    assert float(s.ema) == pytest.approx(expected_ema, rel=1e-6)
    progress = (expected_ema - 1 / 16) / (1 - 1 / 16)
    assert float(s.temperature()) == pytest.approx(3.0 - 2.5 * progress, rel=1e-6)
    for _ in range(2000):
        s.update(committed)
    assert float(s.temperature()) == pytest.approx(0.5, abs=1e-3)


def test_cage_per_gate_gives_one_temperature_per_gate():
    logits = torch.zeros(4, 16)
    logits[0, 0] = 100.0  # only gate 0 is committed
    s = CageSchedule(4, per_gate=True)
    for _ in range(1000):
        s.update(logits)
    t = s.temperature()
    assert t.shape == (4,)
    assert float(t[0]) < 0.6 and torch.allclose(t[1:], torch.tensor(3.0))


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(widths=[10]), "too narrow"),
        (dict(widths=[64, 34]), "not divisible"),
        (dict(estimator="nope"), "unknown estimator"),
        (dict(temperature=0.0), "temperature must be > 0"),
        (dict(estimator="soft-mix", cage=True), "CAGE applies"),
    ],
)
def test_bad_configs_are_rejected(kw, message):
    with pytest.raises(ConfigError, match=message):
        LogicNet(small_config(**kw))


def test_wiring_uses_every_input():
    net = LogicNet(small_config())
    first = net.layers[0]
    used = torch.cat([first.idx_a, first.idx_b]).unique()
    assert used.numel() == 40


def tiny_data(n_train=2000, n_test=100, inputs=40, classes=4, seed=0) -> EncodedData:
    g = torch.Generator().manual_seed(seed)
    train_bits = (torch.rand(n_train, inputs, generator=g) > 0.5).to(torch.uint8)
    test_bits = (torch.rand(n_test, inputs, generator=g) > 0.5).to(torch.uint8)
    # A learnable rule: the class is given by two input bits.
    label = lambda b: (b[:, 0] * 2 + b[:, 1]).long()
    enc = {"kind": "threshold", "feature": list(range(inputs)), "threshold": [0] * inputs}
    return EncodedData("synthetic", train_bits, label(train_bits), test_bits, label(test_bits), classes, enc)


def test_training_is_deterministic_and_learns():
    data = tiny_data()
    cfg = small_config(widths=[64, 64, 32])
    r1 = train(cfg, data, TrainConfig(epochs=8, batch_size=100, lr=0.05, seed=1), progress=False)
    r2 = train(cfg, data, TrainConfig(epochs=8, batch_size=100, lr=0.05, seed=1), progress=False)
    for (k1, v1), (k2, v2) in zip(r1.checkpoint.model.state_dict().items(), r2.checkpoint.model.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)
    assert [h["loss"] for h in r1.history] == [h["loss"] for h in r2.history]
    assert r1.history[-1]["hard_test_acc"] > 0.5  # chance is 0.25
    assert r1.history[-1]["discretization_gap"] == 0.0  # Hard-ST: what is trained is what is deployed
    assert sum(r1.history[-1]["gate_fractions"]) == pytest.approx(1.0)
