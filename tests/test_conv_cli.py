"""Convolutional networks through the command line: train -> compile -> verify bit-exact on Icarus, and bad input."""

import json

import numpy as np
import pytest
import torch

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.frontend.data.idx import write_idx
from lgn2hw.frontend.model import ConvLogicNet
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator

from helpers import assert_one_line_error, invoke

# 28x28 -> conv k5 -> 24x24 -> pool 4 -> 6x6 -> conv (2 groups) -> pool 2 -> 3x3 x 4 = 36 -> dense 40 (10 classes x 4)
TINY_ARCH = "conv(2,k5,p0)-pool(4)-conv(4,k3,p1,g2)-pool-dense(40)"


@pytest.fixture
def mnist_dir(tmp_path):
    """A tiny MNIST in the real IDX format (not the official set: use --no-checksums)."""
    data = tmp_path / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        write_idx(data / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(data / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    return data


def train_args(data, *extra):
    return ["train", "--dataset", "mnist", "--data-dir", data, "--no-checksums", "--thresholds", 2, "--epochs", 1,
            "--batch-size", 20, "--no-progress", *extra]


@pytest.mark.parametrize("method", [
    ["--init", "gaussian"],
    ["--init", "residual", "--residual-logit", "0.5", "--dense-init", "gaussian", "--connections", "learned", "--pool", "4"],
], ids=["random", "learned"])
def test_conv_model_trains_compiles_and_verifies_bit_exact_on_icarus(tmp_path, mnist_dir, method):
    model = tmp_path / "conv.pt"
    result = invoke(*train_args(mnist_dir, "--arch", TINY_ARCH, *method), "-o", model)
    assert result.exit_code == 0, result.output
    checkpoint = Checkpoint.load(model)
    net = checkpoint.model
    assert isinstance(net, ConvLogicNet) and net.config.image_shape == [2, 28, 28]  # 2 thresholds x 1 channel
    learned = "learned" in method
    assert (net.config.connections, net.config.dense_init) == (("learned", "gaussian") if learned else ("random", None))
    assert net.config.arch == "conv(2,k5,p0,g1,d3)-pool(4)-conv(4,k3,p1,g2,d3)-pool(2)-flatten-dense(40)"
    assert f"trained {net.num_gates:,} gates" in result.output

    rtl = tmp_path / "rtl"
    result = invoke("compile", model, "-o", rtl, "--check-vectors", 300)
    assert result.exit_code == 0, result.output
    report = json.loads((rtl / "compile_report.json").read_text())
    assert report["gates_raw"] == net.num_gates
    assert report["checks"]["torch_vs_netlist"] == "identical" and report["checks"]["vectors"] == 300

    # The netlist's inputs are the encoded bits: its own input_encoding applied to raw images gives
    # scores equal to the network's on the same images.
    netlist = Netlist.load(rtl / "netlist.json")
    images = np.random.default_rng(1).integers(0, 256, (50, 784), dtype=np.uint8)
    bits = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).encode(images)
    assert np.array_equal(Simulator(netlist).scores(bits), net.hard_scores(torch.from_numpy(bits)).numpy())

    result = invoke("verify", rtl, "--vectors", 0, "--random", 64)
    assert result.exit_code == 0, result.output
    verify = json.loads((rtl / "verify.json").read_text())
    assert verify["mismatches"] == 0 and verify["vectors"] >= 64 and verify["passed"]


def test_dense_init_is_refused_for_a_dense_network(tmp_path, mnist_dir):
    out = tmp_path / "m.pt"
    result = invoke(*train_args(mnist_dir, "--widths", "40,40", "--dense-init", "gaussian"), "-o", out)
    assert_one_line_error(result, "--dense-init initializes the dense layers of a convolutional network")
    assert not out.exists()


@pytest.mark.parametrize("arch, needle", [
    ("conv(4,k31,p0)-dense(40)", "does not fit 28x28 feature maps"),
    ("conv(4)-pool(3)-dense(40)", "3x3 pooling does not fit 28x28"),
    ("conv(3,g2)-pool-dense(40)", "2 channel groups do not divide 2 input and 3 output channels"),
    ("conv(4)-pool-dense(45)", "dense(45): 45 gates are too narrow for its 784 inputs"),
    ("conv(4)-pool-dense(1000)-dense(505)", "dense(505), is not divisible by 10 classes"),
    ("conv(4)-warp-dense(40)", "unknown block"),
])
def test_conv_bad_architecture_is_one_line_and_writes_nothing(tmp_path, mnist_dir, arch, needle):
    out = tmp_path / "m.pt"
    assert_one_line_error(invoke(*train_args(mnist_dir, "--arch", arch), "-o", out), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist"]


def test_arch_conv_builds_its_description_from_channels_and_dense_options():
    from lgn2hw.frontend.model import ConvNetConfig, NetConfig
    from lgn2hw.frontend.presets import resolve
    from lgn2hw.frontend.settings import net_config_from
    from lgn2hw.frontend.train import EncodedData

    bits = torch.zeros(1, 2 * 784, dtype=torch.uint8)  # only the shapes matter
    data = EncodedData("mnist", bits, torch.zeros(1, dtype=torch.long), bits, torch.zeros(1, dtype=torch.long), 10, {}, (2, 28, 28))
    settings = resolve(None, {"arch": "conv", "channels": (4, 8), "layers": 2, "width": 120})
    config = net_config_from(settings, data)
    assert isinstance(config, ConvNetConfig)
    assert config.arch == "conv(4,k3,p1,g1,d3)-pool(2)-conv(8,k3,p1,g1,d3)-pool(2)-flatten-dense(120)-dense(120)"
    assert config.init == "residual"  # the default for convolutional networks
    dense = net_config_from(resolve(None, {"arch": "dense(800)-dense(400)"}), data)
    assert isinstance(dense, NetConfig) and dense.widths == [800, 400] and dense.init == "gaussian"
    plain = net_config_from(resolve(None, {}), data)
    assert isinstance(plain, NetConfig) and plain.widths == [8000] * 4


def test_cifar10_batches_train_a_conv_model_on_colour_threshold_channels(tmp_path):
    """CIFAR-10 binary batches (small, generated): 3 thresholds x 3 colour channels = 9 input channels of 32 x 32."""
    from lgn2hw.frontend.data import cifar10
    from lgn2hw.frontend.data.cifar10 import write_cifar10_batch

    data = tmp_path / "cifar"
    data.mkdir()
    rng = np.random.default_rng(0)
    for name in (*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH):
        write_cifar10_batch(data / name, rng.integers(0, 256, (8, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, 8))
    model = tmp_path / "c.pt"
    result = invoke("train", "--dataset", "cifar10", "--data-dir", data, "--no-checksums", "--thresholds", 3,
                    "--arch", "conv(6,g3)-pool(4)-conv(8,g2)-pool(4)-dense(40)", "--epochs", 1, "--batch-size", 20,
                    "--no-progress", "-o", model)
    assert result.exit_code == 0, result.output
    net = Checkpoint.load(model).model
    assert net.config.image_shape == [9, 32, 32] and net.config.num_inputs == 9 * 1024
    first = net.trunk[0]
    for o in range(6):  # 3 groups: output channels 0-1 read input channels 0-2, 2-3 read 3-5, 4-5 read 6-8
        assert set(first.leaves[o, :, 0].tolist()) <= set(range(3 * (o // 2), 3 * (o // 2) + 3))
    assert net.num_gates == 6 * 1024 * 7 + 6 * 64 * 15 + 8 * 64 * 7 + 8 * 4 * 15 + 40 + int(net.reads_padding)
