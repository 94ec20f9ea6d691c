"""Learned connections and narrow layers: zero selection gap, the straight-through gradient, pools,
checkpoints, and what the frozen netlist computes."""

import pytest
import torch

from lgn2hw.errors import ConfigError
from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.frontend.freeze import freeze
from lgn2hw.frontend.model import ESTIMATORS, STRAIGHT_THROUGH, LogicNet, NetConfig
from lgn2hw.frontend.model.connections import (
    CandidatePattern,
    _PooledGateLayer,
    candidate_dots_by_gather,
    candidate_pools,
    first_argmax,
)
from lgn2hw.frontend.train import TrainConfig, train
from lgn2hw.ir.simulate import scores as sim_scores

from helpers import random_bit_data


def learned_config(**kw) -> NetConfig:
    base = dict(num_inputs=40, num_classes=4, widths=[64, 64, 32], tau=4.0, seed=3, connections="learned", pool=8)
    base.update(kw)
    return NetConfig(**base)


def random_bits(n, k, seed=0):
    return (torch.rand(n, k, generator=torch.Generator().manual_seed(seed)) > 0.5).float()


def train_steps(net: LogicNet, x: torch.Tensor, steps: int = 8, lr: float = 0.05) -> None:
    """Move gate and connection logits (and CAGE) away from their initial values."""
    y = torch.randint(0, net.config.num_classes, (x.shape[0],), generator=torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(net(x) / net.config.tau, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.update_cage()


def changed_connections(net: LogicNet) -> int:
    """How many gate inputs chose another candidate than the initial one (candidate 0)."""
    return sum(int((first_argmax(layer.conn_a.detach()) != 0).sum() + (first_argmax(layer.conn_b.detach()) != 0).sum())
               for layer in net.layers)


def test_learned_connections_start_as_the_random_wiring_network():
    """Candidate 0 is the random wiring and the connection logits start equal: same network at init."""
    x = random_bits(64, 40)
    random_net, learned = LogicNet(learned_config(connections="random")), LogicNet(learned_config())
    assert torch.equal(random_net(x), learned(x)) and torch.equal(random_net(x, hard=True), learned(x, hard=True))
    for r, l in zip(random_net.layers, learned.layers):
        assert torch.equal(r.weights, l.weights)
        assert all(torch.equal(a, b) for a, b in zip(r.wiring(), l.wiring()))


@pytest.mark.parametrize("cage, per_gate", [(True, False), (True, True), (False, False)])
def test_hard_st_learned_training_forward_equals_frozen_netlist(cage, per_gate):
    """Zero selection gap with learned connections: training forward == hard forward == netlist simulator."""
    net = LogicNet(learned_config(cage=cage, cage_per_gate=per_gate))
    x = random_bits(256, 40)
    train_steps(net, x)
    assert changed_connections(net) > 20  # the choice really moved
    train_out, frozen_out = net(x), net(x, hard=True)
    assert torch.equal(train_out, frozen_out)
    assert torch.equal(frozen_out.round().long(), torch.from_numpy(sim_scores(freeze(net), x.numpy())))


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_estimator_freezes_to_its_hard_forward(estimator):
    """Whatever the training forward, the hard forward (argmax gate, argmax candidate) is the netlist."""
    net = LogicNet(learned_config(estimator=estimator, cage=estimator in STRAIGHT_THROUGH))
    x = random_bits(128, 40, seed=2)
    train_steps(net, x, steps=5)
    assert changed_connections(net) > 0
    netlist = freeze(net)
    assert torch.equal(net(x, hard=True).round().long(), torch.from_numpy(sim_scores(netlist, x.numpy())))
    assert torch.equal(net.hard_scores(x), torch.from_numpy(sim_scores(netlist, x.numpy())))


@pytest.mark.parametrize("per_gate_temperature", [False, True])
def test_pooled_layer_gradients_are_the_straight_through_estimate(per_gate_temperature):
    """x and coefficients: exact gradients of the hard forward; connection logits: the gradient of the
    softmax(scores / T) mixture of the candidates (float64, against autograd)."""
    g = torch.Generator().manual_seed(0)
    in_dim, gates, k, batch = 9, 6, 4, 5
    f64 = dict(generator=g, dtype=torch.float64)
    x = (torch.rand(in_dim, batch, **f64) > 0.5).double().requires_grad_(True)
    coeffs = torch.randn(gates, 4, **f64).requires_grad_(True)
    pool_a = candidate_pools(torch.randint(0, in_dim, (gates,), generator=g), in_dim, k, g)
    pool_b = candidate_pools(torch.randint(0, in_dim, (gates,), generator=g), in_dim, k, g)
    scores_a, scores_b = torch.randn(k, gates, **f64).requires_grad_(True), torch.randn(k, gates, **f64).requires_grad_(True)
    temp = torch.rand(gates, **f64) + 0.5 if per_gate_temperature else torch.tensor(1.7, dtype=torch.float64)
    upstream = torch.randn(gates, batch, **f64)
    pattern = CandidatePattern(pool_a, pool_b, in_dim, torch.float64)
    out = _PooledGateLayer.apply(x, coeffs, scores_a, scores_b, temp, pool_a, pool_b, pattern)
    got = torch.autograd.grad((out * upstream).sum(), (x, coeffs, scores_a, scores_b))

    def straight_through(scores, pool):
        hard = x[pool.gather(1, scores.T.argmax(1, keepdim=True)).squeeze(1)]
        probs = torch.softmax(scores / temp, dim=0)  # (K, gates)
        soft = (probs.T.unsqueeze(-1) * x.detach()[pool]).sum(1)
        return hard + (soft - soft.detach())

    a, b = straight_through(scores_a, pool_a), straight_through(scores_b, pool_b)
    ref = coeffs[:, :1] + coeffs[:, 1:2] * a + coeffs[:, 2:3] * b + coeffs[:, 3:4] * a * b
    assert torch.allclose(out, ref)
    want = torch.autograd.grad((ref * upstream).sum(), (x, coeffs, scores_a, scores_b))
    for mine, theirs in zip(got, want):
        torch.testing.assert_close(mine, theirs)


def test_candidate_dots_sparse_kernel_equals_row_gathers():
    g = torch.Generator().manual_seed(4)
    in_dim, gates, k = 50, 30, 7
    pool_a = candidate_pools(torch.randint(0, in_dim, (gates,), generator=g), in_dim, k, g)
    pool_b = candidate_pools(torch.randint(0, in_dim, (gates,), generator=g), in_dim, k, g)
    x, grads = torch.rand(in_dim, 20, generator=g), torch.randn(2 * gates, 20, generator=g)
    sparse = CandidatePattern(pool_a, pool_b, in_dim, torch.float32).dots(grads, x)
    gathered = candidate_dots_by_gather(grads, x, torch.cat([pool_a, pool_b]))
    assert sparse.shape == (k, 2 * gates)
    torch.testing.assert_close(sparse, gathered)
    torch.testing.assert_close(gathered[3, 5], (grads[5] * x[pool_a[5, 3]]).sum())


@pytest.mark.parametrize("in_dim, k", [(100, 16), (9, 9), (5, 1)])
def test_candidate_pools_are_distinct_inputs_led_by_the_given_wiring(in_dim, k):
    g = torch.Generator().manual_seed(0)
    first = torch.randint(0, in_dim, (500,), generator=g)
    pools = candidate_pools(first, in_dim, k, g)
    assert pools.shape == (500, k) and torch.equal(pools[:, 0], first)
    assert int(pools.min()) >= 0 and int(pools.max()) < in_dim
    assert all(len(set(row)) == k for row in pools.tolist())
    if 1 < k < in_dim:  # the other candidates spread over all inputs
        assert torch.unique(pools[:, 1:]).numel() == in_dim


def test_first_argmax_keeps_the_first_of_equal_scores():
    scores = torch.tensor([[0.0, 1.0, 2.0, 5.0], [3.0, 1.0, 2.0, 5.0], [3.0, 0.5, 7.0, 5.0]])
    assert first_argmax(scores).tolist() == [1, 0, 2, 0]
    rand = torch.randn(8, 1000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(first_argmax(rand), rand.argmax(dim=0))


def test_narrow_layers_leave_inputs_unread_and_still_train_without_a_gap():
    """No '2 x width >= inputs' rule: a 40 -> 8 -> 4 net reads at most 16 of its 40 inputs."""
    data = random_bit_data(600, 200, 40, 4, lambda b: (b[:, 0] * 2 + b[:, 1]).long())
    for connections in ("random", "learned"):
        cfg = NetConfig(num_inputs=40, num_classes=4, widths=[8, 4], tau=2.0, seed=0, connections=connections, pool=4)
        result = train(cfg, data, TrainConfig(epochs=2, batch_size=50, lr=0.05, gap_samples=200), progress=False)
        assert all(h["selection_gap"] == 0.0 for h in result.history)
        net = result.checkpoint.model
        netlist = freeze(net)
        read = set(netlist.a[:8].tolist()) | set(netlist.b[:8].tolist())
        assert len(read) <= 16
        x = data.test_bits.float()
        assert torch.equal(net.hard_scores(x), torch.from_numpy(sim_scores(netlist, x.numpy())))


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(pool=41), "pool of 41 candidates is larger than its 40 inputs"),
        (dict(widths=[64, 6, 8], pool=7), "layer 2: a pool of 7 candidates is larger than its 6 inputs"),
        (dict(pool=0), "pool must be an integer >= 1"),
        (dict(connections="nearest"), "unknown connections"),
        (dict(widths=[64, 0, 32]), "layer 1: width must be a positive integer"),
        (dict(widths=[64, -8]), "layer 1: width must be a positive integer"),
        (dict(widths=[64, 30]), "not divisible by 4 classes"),
    ],
)
def test_bad_architectures_are_rejected(kw, message):
    with pytest.raises(ConfigError, match=message):
        LogicNet(learned_config(**kw))


def test_training_with_learned_connections_has_zero_selection_gap_and_is_deterministic():
    data = random_bit_data(800, 200, 40, 4, lambda b: (b[:, 0] * 2 + b[:, 1]).long())
    cfg = TrainConfig(epochs=2, batch_size=50, lr=0.05, seed=1, gap_samples=400)
    r1 = train(learned_config(), data, cfg, progress=False)
    r2 = train(learned_config(), data, cfg, progress=False)
    for h in r1.history:
        assert h["selection_gap"] == 0.0 and h["discretization_gap"] == 0.0
    assert r1.history[-1]["hard_test_acc"] > 0.5  # 4 classes: chance is 0.25
    for (k, v1), v2 in zip(r1.checkpoint.model.state_dict().items(), r2.checkpoint.model.state_dict().values()):
        assert torch.equal(v1, v2), k


def test_checkpoint_keeps_pools_and_connection_logits(tmp_path):
    net = LogicNet(learned_config())
    x = random_bits(64, 40)
    train_steps(net, x, steps=4)
    path = tmp_path / "m.pt"
    Checkpoint(model=net).save(path)
    loaded = Checkpoint.load(path).model
    assert loaded.config.connections == "learned" and loaded.config.pool == 8
    state = loaded.state_dict()
    assert {"layers.0.pool_a", "layers.0.pool_b", "layers.0.conn_a", "layers.0.conn_b"} <= set(state)
    assert state["layers.0.conn_a"].shape == (8, 64)
    for mine, theirs in zip(net.layers, loaded.layers):
        assert all(torch.equal(a, b) for a, b in zip(mine.wiring(), theirs.wiring()))
    assert torch.equal(net(x, hard=True), loaded(x, hard=True))


def test_checkpoints_without_the_connection_fields_still_load(tmp_path):
    """Checkpoints written before learned connections existed have no 'connections'/'pool' in their
    config: they load as random wiring, unchanged."""
    from lgn2hw.frontend.checkpoint import load_weights_only

    net = LogicNet(learned_config(connections="random"))
    path = tmp_path / "old.pt"
    Checkpoint(model=net).save(path)
    doc = load_weights_only(path)
    del doc["config"]["connections"], doc["config"]["pool"]
    torch.save(doc, path)
    loaded = Checkpoint.load(path).model
    x = random_bits(32, 40)
    assert loaded.config.connections == "random" and torch.equal(loaded(x, hard=True), net(x, hard=True))
