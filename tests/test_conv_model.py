"""Convolutional LGNs: descriptions, tree convolution, OR pooling, estimators, freezing, checkpoints."""

import numpy as np
import pytest
import torch

from lgn2hw.errors import CheckpointError, ConfigError
from lgn2hw.frontend.checkpoint import CONV_FORMAT_VERSION, FORMAT_VERSION, Checkpoint, load_weights_only
from lgn2hw.frontend.freeze import freeze
from lgn2hw.frontend.model import ConvLogicNet, ConvNetConfig, LogicNet, NetConfig, build_model
from lgn2hw.frontend.model.arch import Conv, Dense, Flatten, Pool, canonical, parse, shapes
from lgn2hw.frontend.model.pool import OrPool2d
from lgn2hw.frontend.model.tree_conv import TreeConv2d, _TreeConv, draw_leaves
from lgn2hw.frontend.train import EncodedData, TrainConfig, train
from lgn2hw.ir.gates import GATE_BY_NAME
from lgn2hw.ir.simulate import scores as sim_scores

IMAGE = [2, 8, 8]
ARCH = "conv(6,k3,p1)-pool-conv(8,g2)-pool-dense(64)-dense(32)"


def conv_config(**kw) -> ConvNetConfig:
    base = dict(num_inputs=128, num_classes=4, image_shape=IMAGE, arch=ARCH, tau=4.0, seed=3, init="gaussian")
    base.update(kw)
    return ConvNetConfig(**base)


def random_bits(n, k, seed=0):
    return (torch.rand(n, k, generator=torch.Generator().manual_seed(seed)) > 0.5).float()


# --- descriptions ------------------------------------------------------------------------------------

def test_description_parses_to_blocks_and_prints_canonically():
    blocks = parse("conv(16, k5, p0) - pool - conv(48,g4,d2) - pool(2) - dense(800) - dense(400)")
    assert blocks == [Conv(16, 5, 0), Pool(2), Conv(48, groups=4, depth=2), Pool(2), Flatten(), Dense(800), Dense(400)]
    text = canonical(blocks)
    assert text == "conv(16,k5,p0,g1,d3)-pool(2)-conv(48,k3,p1,g4,d2)-pool(2)-flatten-dense(800)-dense(400)"
    assert canonical(text) == text


def test_shapes_follow_kernels_padding_and_pooling():
    blocks = parse("conv(16,k5,p0)-pool-conv(48)-pool-conv(144)-pool-dense(2000)")
    assert shapes(blocks, (1, 28, 28)) == [(1, 28, 28), (16, 24, 24), (16, 12, 12), (48, 12, 12), (48, 6, 6),
                                           (144, 6, 6), (144, 3, 3), (1296,), (2000,)]


@pytest.mark.parametrize("text, needle", [
    ("", "empty architecture"),
    ("conv()-dense(10)", "needs its channel count"),
    ("conv(8,x3)-dense(10)", "unknown conv option"),
    ("conv(8,k3,k5)-dense(10)", "given twice"),
    ("conv(8)-maxpool-dense(10)", "unknown block"),
    ("conv(8)-pool", "last block must be a dense layer"),
    ("dense(10)-conv(8)-dense(10)", "must come before flatten"),
    ("conv(8)-flatten-flatten-dense(10)", "flatten may appear once"),
    ("conv(eight)-dense(10)", "whole number"),
])
def test_bad_descriptions_are_one_clear_error(text, needle):
    with pytest.raises(ConfigError, match=needle):
        parse(text)


@pytest.mark.parametrize("text, needle", [
    ("conv(4,k9,p0)-dense(40)", "does not fit 8x8 feature maps"),
    ("conv(4,k3,p3)-dense(40)", "padding 3 must be smaller than the kernel"),
    ("conv(4)-pool(3)-dense(40)", "3x3 pooling does not fit 8x8"),
    ("conv(6,g4)-dense(40)", "4 channel groups do not divide 2 input and 6 output channels"),
    ("conv(4,k1)-dense(40)", "needs 8 distinct inputs"),
    ("conv(4,d7)-dense(40)", "depth 1..6"),
])
def test_descriptions_that_do_not_fit_the_image(text, needle):
    with pytest.raises(ConfigError, match=needle):
        shapes(parse(text), tuple(IMAGE))
    with pytest.raises(ConfigError, match=needle):
        ConvLogicNet(conv_config(arch=text))


def test_config_checks_image_shape_and_dense_head():
    with pytest.raises(ConfigError, match="does not hold the network's 100 input bits"):
        ConvLogicNet(conv_config(num_inputs=100))
    with pytest.raises(ConfigError, match="too narrow"):
        ConvLogicNet(conv_config(arch="conv(8)-pool-dense(16)-dense(16)"))
    with pytest.raises(ConfigError, match="not divisible by 4 classes"):
        ConvLogicNet(conv_config(arch="conv(8)-pool-dense(70)"))
    with pytest.raises(ConfigError, match="no conv or pool block"):
        ConvLogicNet(conv_config(arch="dense(80)"))
    with pytest.raises(ConfigError, match="unknown estimator"):
        ConvLogicNet(conv_config(estimator="nope"))


# --- the layers --------------------------------------------------------------------------------------

def test_leaves_are_distinct_and_read_at_most_two_channels_of_their_group():
    spec = Conv(12, kernel=3, groups=3)
    leaves = draw_leaves(9, spec, torch.Generator().manual_seed(0))
    assert leaves.shape == (12, 8, 3)
    for o in range(12):
        channels = set(leaves[o, :, 0].tolist())
        group = o // 4
        assert len(channels) <= 2 and all(3 * group <= c < 3 * (group + 1) for c in channels)
        assert len({tuple(leaf) for leaf in leaves[o].tolist()}) == 8  # no gate reads one signal twice
        assert leaves[o, :, 1:].min() >= 0 and leaves[o, :, 1:].max() < 3


@pytest.mark.parametrize("depth, padding", [(3, 1), (1, 0), (2, 1), (4, 0)])
def test_tree_conv_backward_matches_autograd_in_float64(depth, padding):
    """The hand-written backward, numerically, with zero padding read and a fan-out of many leaves per input."""
    layer = TreeConv2d((2, 5, 4), Conv(3, kernel=3, padding=padding, depth=depth), torch.Generator().manual_seed(depth))
    rows = layer.leaf_rows()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(40, 3, generator=g, dtype=torch.float64, requires_grad=True)
    coeffs = torch.randn(layer.out_dim, 4, generator=g, dtype=torch.float64, requires_grad=True)

    def tree(x, c):
        xx = torch.cat([x, x.new_zeros(1, 3)]) if layer.reads_padding else x
        return _TreeConv.apply(xx, c, rows, 2 ** depth, 3, None)

    assert torch.autograd.gradcheck(tree, (x, coeffs))
    # and the forward is the tree written out with plain autograd ops
    xx = torch.cat([x, x.new_zeros(1, 3)])
    h = xx[rows].view(2 ** depth, 3, -1)
    offset = 0
    while h.shape[0] > 1:
        n = h.shape[0] // 2
        c = coeffs[offset: offset + 3 * n].view(n, 3, 4, 1)
        a, b = h[:n], h[n:]
        h = c[:, :, 0] + c[:, :, 1] * a + c[:, :, 2] * b + c[:, :, 3] * a * b
        offset += 3 * n
    assert torch.allclose(tree(x, coeffs), h)


def test_tree_conv_is_a_convolution_of_its_tree():
    """Every output position applies the same tree to the same offsets of its own receptive field."""
    from lgn2hw.frontend.model.estimators import frozen_coefficients
    from lgn2hw.ir.gates import GATES

    layer = TreeConv2d((2, 6, 6), Conv(4, kernel=3, padding=1), torch.Generator().manual_seed(0), init="gaussian")
    x = random_bits(5, 72, seed=2)
    out = layer(x.T.contiguous(), frozen_coefficients(layer.weights, layer.coeffs)).view(4, 6, 6, 5)
    img = torch.nn.functional.pad(x.view(5, 2, 6, 6), (1, 1, 1, 1)).long()
    ops = layer.frozen_ops().tolist()
    for o in range(4):
        for y in range(6):
            for xpos in range(6):
                level = [img[:, c, y + dy, xpos + dx].tolist() for c, dy, dx in layer.leaves[o].tolist()]
                offset = 0
                while len(level) > 1:  # gate j of a level reads j and j + n of the level below
                    n = len(level) // 2
                    level = [[GATES[ops[offset + j * 4 + o]].output(p, q) for p, q in zip(level[j], level[j + n])]
                             for j in range(n)]
                    offset += 4 * n
                assert out[o, y, xpos].tolist() == [float(v) for v in level[0]]


def test_or_pool_is_or_on_bits_and_splits_the_gradient_over_the_maxima():
    pool = OrPool2d((1, 2, 4), 2)
    # a 2 x 4 map, rows y * 4 + x; windows (0, 1, 4, 5) -> bits 0 1 0 1 and (2, 3, 6, 7) -> bits 0 0 1 0
    x = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]).view(8, 1).requires_grad_()
    out = pool(x)
    assert out.view(-1).tolist() == [1.0, 1.0]
    out.sum().backward()
    assert x.grad.view(-1).tolist() == [0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 1.0, 0.0]
    soft = torch.tensor([[0.2], [0.7], [0.1], [0.3], [0.4], [0.6], [0.9], [0.0]])
    assert pool(soft).view(-1).tolist() == pytest.approx([0.7, 0.9])


# --- the network: estimators, CAGE, the zero selection gap -------------------------------------------

@pytest.mark.parametrize("cage, per_gate", [(True, False), (True, True), (False, False)])
@pytest.mark.parametrize("init", ["gaussian", "residual"])
def test_hard_st_training_forward_equals_frozen_network_and_netlist(cage, per_gate, init):
    """Zero selection gap for tree convolutions and pooling: what is trained is the deployed circuit."""
    net = ConvLogicNet(conv_config(cage=cage, cage_per_gate=per_gate, init=init, residual_logit=0.3))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    x = random_bits(128, 128)
    y = torch.randint(0, 4, (128,), generator=torch.Generator().manual_seed(1))
    before = [layer.frozen_ops().clone() for layer in net.gate_layers]
    for _ in range(6):  # move the logits (some gates flip), CAGE state too
        loss = torch.nn.functional.cross_entropy(net(x) / 4.0, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.update_cage()
    assert any(not torch.equal(b, layer.frozen_ops()) for b, layer in zip(before, net.gate_layers))
    train_out = net(x, hard=False)
    frozen_out = net(x, hard=True)
    assert torch.equal(train_out, frozen_out)
    assert torch.equal(train_out.round().long(), torch.from_numpy(sim_scores(freeze(net), x.numpy())))


def test_learned_connections_in_the_dense_layers_keep_the_selection_gap_zero():
    """The dense layers after the trunk may learn their connections (--connections learned): their
    choices move in training, and the training forward is still the frozen network and its netlist."""
    net = ConvLogicNet(conv_config(connections="learned", pool=4, init="residual", residual_logit=0.3))
    assert [type(layer).__name__ for layer in net.head] == ["PooledLogicLayer"] * 2
    opt = torch.optim.Adam(net.parameters(), lr=0.2)
    x = random_bits(128, 128)
    y = torch.randint(0, 4, (128,), generator=torch.Generator().manual_seed(1))
    before = [torch.stack(layer.wiring()).clone() for layer in net.head]
    for _ in range(6):
        loss = torch.nn.functional.cross_entropy(net(x) / 4.0, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.update_cage()
    assert any(not torch.equal(b, torch.stack(layer.wiring())) for b, layer in zip(before, net.head))
    train_out = net(x, hard=False)
    assert torch.equal(train_out, net(x, hard=True))
    assert torch.equal(train_out.round().long(), torch.from_numpy(sim_scores(freeze(net), x.numpy())))


def test_dense_init_initializes_the_dense_layers_apart_from_the_trunk():
    from lgn2hw.ir.gates import PASS_A

    net = ConvLogicNet(conv_config(init="residual", residual_logit=2.0, dense_init="gaussian"))
    trunk = [layer for layer in net.gate_layers if isinstance(layer, TreeConv2d)]
    assert all(bool((layer.frozen_ops() == PASS_A).all()) for layer in trunk)
    assert all(float((layer.frozen_ops() == PASS_A).float().mean()) < 0.5 for layer in net.head)  # N(0, 1) logits
    assert net.head[0].weights.std() > 0.5
    same = ConvLogicNet(conv_config(init="residual", residual_logit=2.0))
    assert all(bool((layer.frozen_ops() == PASS_A).all()) for layer in same.head)  # default: as the trunk
    with pytest.raises(ConfigError, match="unknown dense init 'uniform'"):
        conv_config(dense_init="uniform").validate()


def test_learned_connections_pool_larger_than_a_dense_blocks_inputs_names_the_block():
    # conv(6)-pool-conv(8)-pool-flatten gives 8 x 2 x 2 = 32 inputs to dense(64) (block 6)
    with pytest.raises(ConfigError, match=r"block 6 dense\(64\): a pool of 40 candidates is larger than its 32 inputs"):
        conv_config(connections="learned", pool=40).validate()
    with pytest.raises(ConfigError, match="unknown connections"):
        conv_config(connections="wired").validate()
    conv_config(connections="learned", pool=32).validate()


@pytest.mark.parametrize("estimator", ["soft-mix", "soft-gumbel", "gumbel-st"])
def test_every_estimator_trains_conv_layers(estimator):
    net = ConvLogicNet(conv_config(estimator=estimator, cage=estimator == "gumbel-st"))
    x = random_bits(32, 128)
    net(x).square().sum().backward()
    for layer in net.gate_layers:
        assert layer.weights.grad is not None and layer.weights.grad.abs().sum() > 0
    if estimator != "gumbel-st":
        assert not torch.allclose(net(x), net(x, hard=True))


def test_cage_covers_every_trained_gate_once():
    net = ConvLogicNet(conv_config(cage_per_gate=True))
    # trees: 7 gates x 6 and x 8 channels; dense: 64 + 32
    assert net.num_trained_gates == 7 * 6 + 7 * 8 + 64 + 32 == net.cage.num_gates
    temps = net.backward_temperatures()
    assert [t.shape[0] for t in temps] == [42, 56, 64, 32]


def test_gate_count_is_the_unrolled_circuit():
    net = ConvLogicNet(conv_config())
    netlist = freeze(net)
    # conv 6 ch x 8x8 x 7, pool 6 x 4x4 x 3, conv 8 x 4x4 x 7, pool 8 x 2x2 x 3, dense 64 + 32, one constant 0
    expected = 6 * 64 * 7 + 6 * 16 * 3 + 8 * 16 * 7 + 8 * 4 * 3 + 64 + 32 + int(net.reads_padding)
    assert net.reads_padding
    assert netlist.num_gates == net.num_gates == expected
    assert netlist.num_inputs == 128 and netlist.outputs.shape == (32,)
    ops = netlist.ops
    assert (ops == GATE_BY_NAME["false"].id).sum() >= 1  # the padding constant


@pytest.mark.parametrize("arch, image", [
    ("conv(4,k5,p0,d2)-pool(4)-dense(64)", [2, 12, 12]),
    ("pool(3)-conv(6,k2,p1,d1)-dense(100)", [2, 12, 12]),
    ("conv(3,k3,p0)-conv(6,k3,p1,g3)-pool(5)-dense(40)", [3, 7, 7]),
])
def test_freeze_agrees_with_hard_inference_on_every_score(arch, image):
    n = image[0] * image[1] * image[2]
    net = ConvLogicNet(conv_config(num_inputs=n, image_shape=image, arch=arch))
    x = random_bits(300, n, seed=5)
    netlist = freeze(net, metadata={"arch": net.config.arch})
    assert np.array_equal(net.hard_scores(x, batch=7).numpy(), sim_scores(netlist, x.numpy().astype(np.uint8)))
    assert netlist.num_gates == net.num_gates


def test_freeze_is_deterministic_and_inputs_are_the_encoded_bits():
    a, b = freeze(ConvLogicNet(conv_config())), freeze(ConvLogicNet(conv_config()))
    assert a.to_json() == b.to_json()
    # Input bit 9 (channel 0, y 1, x 1) is read only by positions whose 3 x 3 field holds (1, 1).
    rows = ConvLogicNet(conv_config(arch="conv(4,k3,p1)-dense(256)")).trunk[0].leaf_rows().view(8, 4, 64)
    positions = (rows == 9).nonzero()[:, 2].tolist()
    assert positions and all(abs(p // 8 - 1) <= 1 and abs(p % 8 - 1) <= 1 for p in positions)


def test_grad_factor_scales_gradients_into_earlier_conv_layers():
    x = random_bits(16, 128)
    y = torch.randint(0, 4, (16,), generator=torch.Generator().manual_seed(2))

    def grads(net):
        torch.nn.functional.cross_entropy(net(x) / 4.0, y).backward()
        return [layer.weights.grad.clone() for layer in net.gate_layers]

    plain, scaled = grads(ConvLogicNet(conv_config())), grads(ConvLogicNet(conv_config(grad_factor=2.0)))
    assert [torch.equal(s, p * 2.0 ** (3 - j)) for j, (p, s) in enumerate(zip(plain, scaled))] == [True] * 4


# --- training, checkpoints ---------------------------------------------------------------------------

def image_data(n_train=1000, n_test=200, seed=0) -> EncodedData:
    """2 x 8 x 8 random bits: channel 0 has density 0.2, 0.4, 0.6 or 0.8 for class 0..3, channel 1 is noise."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    labels = torch.randint(0, 4, (n,), generator=g)
    density = torch.cat([(0.2 + 0.2 * labels.float()).unsqueeze(1).expand(n, 64), torch.full((n, 64), 0.5)], dim=1)
    bits = (torch.rand(n, 128, generator=g) < density).to(torch.uint8)
    enc = {"kind": "threshold", "feature": list(range(128)), "threshold": [0] * 128}
    return EncodedData("synthetic", bits[:n_train], labels[:n_train], bits[n_train:], labels[n_train:], 4, enc, tuple(IMAGE))


def test_conv_training_learns_with_zero_selection_gap_and_is_deterministic():
    data = image_data()
    cfg = conv_config(arch="conv(8,k3,p1)-pool-dense(256)-dense(128)")
    runs = [train(cfg, data, TrainConfig(epochs=3, batch_size=50, lr=0.05, seed=1, gap_samples=300), progress=False)
            for _ in range(2)]
    h = runs[0].history
    assert [r["loss"] for r in h] == [r["loss"] for r in runs[1].history]
    assert h[-1]["hard_test_acc"] > 0.4 and h[-1]["loss"] < h[0]["loss"]  # chance is 0.25
    assert all(r["selection_gap"] == 0.0 and r["discretization_gap"] == 0.0 for r in h)
    assert isinstance(runs[0].checkpoint.model, ConvLogicNet)


def test_train_refuses_data_of_another_image_shape():
    data = image_data(n_train=20, n_test=5)
    data.image_shape = (8, 4, 4)
    with pytest.raises(ConfigError, match="input images"):
        train(conv_config(), data, TrainConfig(epochs=1), progress=False)


def test_checkpoint_round_trip_and_versions(tmp_path):
    net = ConvLogicNet(conv_config())
    path = tmp_path / "conv.pt"
    Checkpoint(model=net, dataset="synthetic").save(path)
    doc = load_weights_only(path)
    assert doc["version"] == CONV_FORMAT_VERSION and doc["config"]["arch"] == canonical(ARCH)
    loaded = Checkpoint.load(path).model
    assert isinstance(loaded, ConvLogicNet) and loaded.config == net.config
    x = random_bits(20, 128)
    assert torch.equal(net(x, hard=True), loaded(x, hard=True))
    assert np.array_equal(freeze(net).a, freeze(loaded).a)
    # learned connections: the pools and connection logits travel with the checkpoint
    learned = ConvLogicNet(conv_config(connections="learned", pool=4))
    with torch.no_grad():
        learned.head[0].conn_a[2, :5] = 1.0  # move some choices off candidate 0
    Checkpoint(model=learned).save(path)
    loaded = Checkpoint.load(path).model
    assert loaded.config == learned.config and loaded.config.connections == "learned"
    assert torch.equal(torch.stack(loaded.head[0].wiring()), torch.stack(learned.head[0].wiring()))
    assert torch.equal(learned(x, hard=True), loaded(x, hard=True))
    # dense checkpoints stay version 1 with exactly NetConfig's fields
    dense = tmp_path / "dense.pt"
    Checkpoint(model=LogicNet(NetConfig(num_inputs=20, num_classes=2, widths=[16, 8]))).save(dense)
    dense_doc = load_weights_only(dense)
    assert dense_doc["version"] == FORMAT_VERSION
    assert set(dense_doc["config"]) == set(NetConfig.__dataclass_fields__)


def test_conv_checkpoint_read_as_version_1_or_as_a_future_version_is_one_clear_error(tmp_path):
    path = tmp_path / "conv.pt"
    Checkpoint(model=ConvLogicNet(conv_config())).save(path)
    doc = load_weights_only(path)
    doc["version"] = FORMAT_VERSION  # what a reader of version 1 would try: a NetConfig from a conv config
    with pytest.raises(CheckpointError, match="checkpoint contents do not match its config"):
        Checkpoint.from_doc(doc, path)
    doc["version"] = 3
    with pytest.raises(CheckpointError, match="unsupported checkpoint version 3"):
        Checkpoint.from_doc(doc, path)
    doc["version"] = CONV_FORMAT_VERSION
    doc["config"]["arch"] = "conv(6)-pool-dense(70)"
    with pytest.raises(CheckpointError, match="not divisible"):
        Checkpoint.from_doc(doc, path)


def test_build_model_picks_the_network_of_the_config():
    assert isinstance(build_model(conv_config()), ConvLogicNet)
    assert isinstance(build_model(NetConfig(num_inputs=20, num_classes=2, widths=[16, 8])), LogicNet)


def test_soft_mix_gradient_equals_a_float64_reference_of_the_whole_network():
    """Every hand-written backward in the network (trees, pooling, dense), against plain autograd in float64."""
    from lgn2hw.ir.gates import GATES

    net = ConvLogicNet(conv_config(estimator="soft-mix", cage=False))
    x = random_bits(16, 128, seed=3)
    y = torch.randint(0, 4, (16,), generator=torch.Generator().manual_seed(2))
    torch.nn.functional.cross_entropy(net(x) / 4.0, y).backward()
    weights = [layer.weights.detach().double().requires_grad_(True) for layer in net.gate_layers]

    def mix(w, a, b):
        probs = torch.softmax(w, dim=-1)
        outs = torch.stack([g.coeffs[0] + g.coeffs[1] * a + g.coeffs[2] * b + g.coeffs[3] * a * b for g in GATES], -1)
        return (outs * probs).sum(-1)

    h = x.double()  # (batch, features), sample-major: an independent formulation
    w_iter = iter(weights)
    for module in net.trunk:
        if isinstance(module, OrPool2d):
            c, oh, ow = module.out_shape
            h = h.view(-1, c, oh, module.size, ow, module.size).amax(dim=(3, 5)).reshape(h.shape[0], -1)
            continue
        w = next(w_iter)
        padded = torch.cat([h, h.new_zeros(h.shape[0], 1)], dim=1)
        level = padded[:, module.leaf_rows()].view(h.shape[0], module.spec.leaves, module.spec.channels, -1)
        offset = 0
        while level.shape[1] > 1:
            n = level.shape[1] // 2
            lw = w[offset: offset + n * module.spec.channels].view(n, module.spec.channels, 1, 16)
            level = mix(lw, level[:, :n], level[:, n:])
            offset += n * module.spec.channels
        h = level.reshape(h.shape[0], -1)
    for layer in net.head:
        h = mix(next(w_iter), h[:, layer.idx_a], h[:, layer.idx_b])
    scores = h.view(h.shape[0], 4, -1).sum(-1)
    torch.nn.functional.cross_entropy(scores / 4.0, y).backward()
    for layer, w in zip(net.gate_layers, weights):
        assert torch.allclose(layer.weights.grad.double(), w.grad, rtol=1e-4, atol=1e-7)
