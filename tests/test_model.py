"""Model: estimators, the zero-selection-gap property, CAGE schedule, freezing, determinism."""

import pytest
import torch

from lgn2hw.errors import ConfigError
from lgn2hw.frontend.freeze import freeze
from lgn2hw.frontend.model import CageSchedule, LogicNet, NetConfig
from lgn2hw.frontend.model.estimators import select_coefficients
from lgn2hw.ir.simulate import scores as sim_scores
from lgn2hw.frontend.train import EncodedData, TrainConfig, evaluate, train

from helpers import random_bit_data


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
    coeffs = torch.from_numpy(__import__("lgn2hw.ir.gates", fromlist=["x"]).coefficient_matrix().copy())
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
        (dict(widths=[0, 4]), "layer 0: width must be a positive integer"),
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
    """A learnable rule: the class is given by two input bits."""
    return random_bit_data(n_train, n_test, inputs, classes, lambda b: (b[:, 0] * 2 + b[:, 1]).long(), seed)


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


# --- grad factor --------------------------------------------------------------------------------------

def layer_grads(net, x, y):
    net.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(net(x) / 4.0, y).backward()
    return [layer.weights.grad.clone() for layer in net.layers]


@pytest.mark.parametrize("estimator", ["hard-st", "soft-mix"])
def test_grad_factor_scales_gradients_into_earlier_layers(estimator):
    """difflogic's GradFactor on every layer's inputs: layer j of L gets factor ** (L - 1 - j), forward unchanged."""
    x = random_bits(64, 40)
    y = torch.randint(0, 4, (64,), generator=torch.Generator().manual_seed(2))
    cage = estimator == "hard-st"
    plain = LogicNet(small_config(estimator=estimator, cage=cage))
    scaled = LogicNet(small_config(estimator=estimator, cage=cage, grad_factor=2.0))
    assert torch.equal(plain(x), scaled(x))
    g1, g2 = layer_grads(plain, x, y), layer_grads(scaled, x, y)
    # Powers of two scale floats exactly, so the gradients are equal bit for bit after the factor.
    assert [torch.equal(b, a * 2.0 ** (2 - j)) for j, (a, b) in enumerate(zip(g1, g2))] == [True, True, True]
    assert not torch.equal(g1[0], g2[0])


def test_grad_factor_one_is_the_plain_gradient():
    """grad_factor 1.0 changes nothing: the soft-mix gradient equals a float64 reference of the 16-gate mixture."""
    net = LogicNet(small_config(estimator="soft-mix", cage=False, grad_factor=1.0))
    x = random_bits(32, 40)
    y = torch.randint(0, 4, (32,), generator=torch.Generator().manual_seed(2))
    grads = layer_grads(net, x, y)
    from lgn2hw.ir.gates import GATES

    weights = [layer.weights.detach().double().requires_grad_(True) for layer in net.layers]
    h = x.double()
    for layer, w in zip(net.layers, weights):
        a, b = h[:, layer.idx_a], h[:, layer.idx_b]
        probs = torch.softmax(w, dim=-1)
        outs = torch.stack([g.coeffs[0] + g.coeffs[1] * a + g.coeffs[2] * b + g.coeffs[3] * a * b for g in GATES], -1)
        h = (outs * probs).sum(-1)
    scores = h.reshape(h.shape[0], 4, -1).sum(-1)
    torch.nn.functional.cross_entropy(scores / 4.0, y).backward()
    for got, w in zip(grads, weights):
        assert torch.allclose(got.double(), w.grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("factor", [0.0, -1.0, float("nan")])
def test_grad_factor_must_be_positive(factor):
    with pytest.raises(ConfigError, match="grad factor must be > 0"):
        LogicNet(small_config(grad_factor=factor))


# --- per-epoch metrics: selection gap, CSV == JSONL, evaluation noise ---------------------------------

@pytest.mark.parametrize("cage", [True, False])
def test_hard_st_selection_gap_is_exactly_zero_every_epoch(cage):
    data = tiny_data(n_train=1000)
    history = train(small_config(cage=cage), data, TrainConfig(epochs=4, batch_size=50, lr=0.05, gap_samples=1000),
                    progress=False).history
    for h in history:
        assert h["selection_gap"] == 0.0 and h["discretization_gap"] == 0.0
        assert h["train_acc_training_forward"] == h["train_acc_frozen"]
    assert history[-1]["train_acc_frozen"] > 0.3  # it learned something (chance 0.25): the zeros are not vacuous


def test_soft_mix_has_a_selection_gap_at_some_temperature():
    data = tiny_data(n_train=600)
    gaps = []
    for t in (0.3, 1.0, 3.0):
        history = train(small_config(estimator="soft-mix", cage=False, temperature=t), data,
                        TrainConfig(epochs=2, batch_size=50, lr=0.05, gap_samples=600), progress=False).history
        gaps += [h["selection_gap"] for h in history]
    assert any(g != 0.0 for g in gaps), gaps


def test_gap_samples_zero_skips_the_selection_gap():
    history = train(small_config(), tiny_data(n_train=200), TrainConfig(epochs=1, batch_size=50, gap_samples=0),
                    progress=False).history
    assert history[0]["selection_gap"] is None and history[0]["train_acc_frozen"] is None
    from lgn2hw.frontend.train import format_epoch

    assert "selection gap n/a" in format_epoch(history[0])


def test_metrics_csv_equals_jsonl(tmp_path):
    import csv
    import json

    from lgn2hw.ir.gates import GATES
    from lgn2hw.frontend.metrics import GATE_COLUMNS, SCALAR_METRICS

    path = tmp_path / "m.metrics.jsonl"
    result = train(small_config(estimator="gumbel-st"), tiny_data(n_train=300), TrainConfig(epochs=3, batch_size=50, gap_samples=100),
                   metrics_path=path, progress=False)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records == json.loads(json.dumps(result.history))
    with open(tmp_path / "m.metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [*SCALAR_METRICS, *GATE_COLUMNS] and GATE_COLUMNS[1] == f"gate_{GATES[1].name}" == "gate_and"
    assert len(rows) == len(records) == 3
    for row, rec in zip(rows, records):
        assert int(row["epoch"]) == rec["epoch"]
        for key in SCALAR_METRICS[1:]:
            assert float(row[key]) == rec[key], key  # repr round-trips floats exactly
        assert [float(row[c]) for c in GATE_COLUMNS] == rec["gate_fractions"]
        assert rec["train_loss"] == rec["loss"]


def test_evaluation_noise_is_fixed_and_leaves_training_noise_alone():
    from lgn2hw.frontend.train import evaluate

    data = tiny_data(n_train=100, n_test=300)
    net = LogicNet(small_config(estimator="gumbel-st"))
    before = net.noise.get_state()
    accs = [evaluate(net, data.test_bits, data.test_y, hard=False, batch=100) for _ in range(3)]
    assert accs[0] == accs[1] == accs[2]
    assert torch.equal(net.noise.get_state(), before)
    # Another noise seed draws other noise: the training-mode forward really is noisy.
    x = data.test_bits.float()
    outs = {net(x, noise=torch.Generator().manual_seed(s)).detach().numpy().tobytes() for s in range(4)}
    assert len(outs) > 1


def test_gate_layer_backward_matches_autograd_in_float64():
    """The hand-written backward of the fused gather + multilinear layer, checked numerically."""
    from lgn2hw.frontend.model.network import _GateLayer

    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 5, generator=g, dtype=torch.float64, requires_grad=True)
    coeffs = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    # Fan-outs 3, 1, 1, 1, 1, 1, 4 and 0 (row 7 is read by no gate), a == b in the last gate.
    idx_a, idx_b = torch.tensor([0, 1, 2, 3, 6, 6]), torch.tensor([4, 5, 6, 0, 0, 6])
    assert torch.autograd.gradcheck(lambda x, c: _GateLayer.apply(x, c, idx_a, idx_b), (x, coeffs))
    ref = coeffs[:, :1] + coeffs[:, 1:2] * x[idx_a] + coeffs[:, 2:3] * x[idx_b] + coeffs[:, 3:4] * x[idx_a] * x[idx_b]
    assert torch.allclose(_GateLayer.apply(x, coeffs, idx_a, idx_b), ref)


def test_softmax_backward_fallback_equals_the_fused_kernel(monkeypatch):
    """The plain formula kept for PyTorch builds without aten's fused softmax backward gives the same gradient."""
    from lgn2hw.frontend.model import estimators

    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(50, 16, generator=g, dtype=torch.float64), dim=-1)
    v = torch.randn(50, 16, generator=g, dtype=torch.float64)
    fused = estimators._softmax_backward(v, probs)
    monkeypatch.setattr(estimators, "_FUSED_SOFTMAX_BACKWARD", False)
    plain = estimators._softmax_backward(v, probs)
    torch.testing.assert_close(plain, fused)
    # and both are the softmax Jacobian applied to v
    jac = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
    torch.testing.assert_close(plain, (jac @ v.unsqueeze(-1)).squeeze(-1))


def test_evaluation_chunks_keep_activations_small_and_do_not_change_results():
    from lgn2hw.frontend.model.network import EVAL_ACTIVATION_BYTES

    wide = LogicNet(NetConfig(num_inputs=5488, num_classes=10, widths=[24000, 24000], seed=0))
    assert wide.eval_chunk(2000) == EVAL_ACTIVATION_BYTES // (4 * 24000) == 174
    net = small_config(widths=[64, 48, 40], estimator="soft-gumbel", cage=False)  # noisy soft forward
    model = LogicNet(net)
    assert model.eval_chunk(2000) == 2000 and model.eval_chunk(7) == 7
    bits = random_bits(300, net.num_inputs, seed=4)
    assert torch.equal(model.hard_scores(bits, batch=7), model.hard_scores(bits, batch=4096))
    data = tiny_data(n_train=10, n_test=300, inputs=net.num_inputs, classes=net.num_classes)
    for hard in (True, False):
        assert evaluate(model, data.test_bits, data.test_y, hard, batch=7) == evaluate(model, data.test_bits, data.test_y, hard, batch=2000)


def test_epoch_loss_is_the_mean_cross_entropy_over_every_training_sample():
    """The epoch loss is summed on the device and read back every LOSS_SYNC_STEPS steps: no step may be
    lost or counted twice (61 steps of which the last is short, so blocks 0, 1-50, 51-60 all count).
    With a vanishing learning rate the gates never change, so the loss is that of the initial network."""
    from lgn2hw.frontend.train import LOSS_SYNC_STEPS

    net = small_config(tau=4.0)
    data = tiny_data(n_train=6050, n_test=50, inputs=net.num_inputs, classes=net.num_classes)
    cfg = TrainConfig(epochs=1, batch_size=100, lr=1e-12, seed=5, gap_samples=0)
    assert -(-6050 // cfg.batch_size) > LOSS_SYNC_STEPS + 1
    result = train(net, data, cfg, progress=False)
    with torch.no_grad():
        scores = LogicNet(net)(data.train_bits.float(), hard=True)
        expected = torch.nn.functional.cross_entropy(scores / net.tau, data.train_y).item()
    assert result.history[0]["train_loss"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("per_gate", [False, True])
def test_cage_update_over_layers_equals_the_concatenated_logits(per_gate):
    """Training passes one logits tensor per layer (widths differ): the same EMA as one tensor of all gates."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(30, 16, generator=g) * 3, torch.randn(70, 16, generator=g)
    split, whole = CageSchedule(100, per_gate=per_gate), CageSchedule(100, per_gate=per_gate)
    for _ in range(3):
        split.update([a, b])
        whole.update(torch.cat([a, b]))
    torch.testing.assert_close(split.temperature(), whole.temperature())
    assert split.temperature().shape == ((100,) if per_gate else ())


def test_input_gradient_plan_follows_wiring_loaded_into_a_layer():
    """The cached plan is rebuilt when other wiring is loaded: gradients equal a fresh net with that wiring."""
    cfg_a, cfg_b = small_config(seed=1), small_config(seed=2)
    x = random_bits(16, cfg_a.num_inputs, seed=3)

    def grads(net):
        net.zero_grad()
        net(x).square().sum().backward()
        return [layer.weights.grad.clone() for layer in net.layers]

    reused = LogicNet(cfg_a)
    grads(reused)  # builds and caches the plans for wiring a
    reused.load_state_dict(LogicNet(cfg_b).state_dict())
    for got, want in zip(grads(reused), grads(LogicNet(cfg_b))):
        torch.testing.assert_close(got, want)
