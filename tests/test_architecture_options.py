"""Architecture options through the CLI, presets and sweeps: --widths, --outputs-per-class,
--connections/--pool, --threshold-kind; one-line errors before training; a learned-connection
network compiled and verified bit-exact by the unchanged compile and verify paths."""

import json

import numpy as np
import pytest

import lgn2hw.frontend.presets
from lgn2hw.errors import ConfigError
from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.frontend.data.thresholds import cheap_levels
from lgn2hw.frontend.model.connections import first_argmax
from lgn2hw.frontend.presets import resolve
from lgn2hw.frontend.settings import network_widths
from lgn2hw.ir.netlist import Netlist

from helpers import assert_one_line_error, invoke, write_tiny_mnist


@pytest.fixture
def mnist_dir(tmp_path):
    return write_tiny_mnist(tmp_path / "mnist")


def train_args(data, *extra):
    return ["train", "--dataset", "mnist", "--data-dir", data, "--no-checksums", "--thresholds", 1, "--epochs", 1,
            "--batch-size", 20, "--tau", 2, "--no-progress", *extra]


@pytest.mark.parametrize("extra, needles", [
    (["--widths", "40,25"], "last layer width 25 is not divisible by 10 classes"),
    (["--widths", "40,20", "--outputs-per-class", 3],
     "--outputs-per-class 3 makes the last layer 10 x 3 = 30 gates wide, but --widths ends in 20"),
    (["--widths", "0,20"], ("--widths", "layer 0: width must be 1..50,000,000, got 0")),
    (["--widths=-40,20"], ("--widths", "got -40")),
    (["--widths", "40,100000000000"], ("--widths", "layer 1")),
    (["--widths", "40,x"], "--widths"),
    (["--widths", ""], "--widths needs at least one layer width"),
    (["--widths", "40,20", "--layers", 2], "not both"),
    (["--widths", "40,20", "--width", 40], "not both"),
    (["--layers", 2, "--width", 0], "--width"),
    (["--layers", 0, "--width", 40], "--layers"),
    (["--layers", 2, "--width", 40, "--outputs-per-class", 0], "--outputs-per-class"),
    (["--widths", "40,20", "--connections", "learned", "--pool", 41],
     "layer 1: a pool of 41 candidates is larger than its 40 inputs"),
    (["--widths", "40,20", "--connections", "learned", "--pool", 785],
     "layer 0: a pool of 785 candidates is larger than its 784 inputs"),
    (["--widths", "40,20", "--connections", "learned", "--pool", 0], "--pool"),
    (["--widths", "40,20", "--pool", 4], "add --connections learned"),
    (["--widths", "40,20", "--connections", "nearest"], "--connections"),
    (["--widths", "40,20", "--threshold-kind", "fancy"], "--threshold-kind"),
])
def test_bad_architecture_is_one_line_before_training(tmp_path, mnist_dir, no_training, extra, needles):
    out = tmp_path / "m.pt"
    needles = (needles,) if isinstance(needles, str) else needles
    assert_one_line_error(invoke(*train_args(mnist_dir, *extra), "-o", out), *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist"]


def test_outputs_per_class_sets_the_last_layer_of_the_uniform_shorthand(tmp_path, mnist_dir):
    out = tmp_path / "m.pt"
    result = invoke(*train_args(mnist_dir, "--layers", 3, "--width", 40, "--outputs-per-class", 2), "-o", out)
    assert result.exit_code == 0, result.output
    assert Checkpoint.load(out).model.config.widths == [40, 40, 20]


def test_learned_cheap_narrow_network_trains_compiles_and_verifies_bit_exact(tmp_path, mnist_dir):
    """--widths with a layer far narrower than half its inputs, learned connections, cheap thresholds:
    the checkpoint holds them, and `lgn2hw compile` / `lgn2hw verify` take it unchanged."""
    out = tmp_path / "m.pt"
    args = ["--thresholds", 5, "--threshold-kind", "cheap", "--widths", "60,30,20", "--outputs-per-class", 2,
            "--connections", "learned", "--pool", 4, "--epochs", 2]
    result = invoke(*train_args(mnist_dir, *args), "-o", out)
    assert result.exit_code == 0, result.output
    assert "selection gap +0.00 pts" in result.output
    model = Checkpoint.load(out).model
    assert (model.config.widths, model.config.connections, model.config.pool) == ([60, 30, 20], "learned", 4)
    moved = sum(int((first_argmax(layer.conn_a.detach()) != 0).sum()) for layer in model.layers)
    assert moved > 10  # the compiled wiring is the learned one, not the initial random wiring
    ckpt = Checkpoint.load(out)
    assert sorted(set(ckpt.input_encoding["threshold"])) == cheap_levels(5) == [31, 95, 127, 159, 223]
    rtl = tmp_path / "rtl"
    result = invoke("compile", out, "-o", rtl, "--data-dir", mnist_dir)
    assert result.exit_code == 0, result.output
    netlist = Netlist.load(rtl / "netlist.json")
    assert netlist.input_encoding["threshold"] == ckpt.input_encoding["threshold"]
    result = invoke("verify", rtl, "--vectors", 0, "--random", 500, "--no-corners")
    assert result.exit_code == 0, result.output
    verify = json.loads((rtl / "verify.json").read_text())
    assert verify["passed"] and verify["mismatches"] == 0 and verify["vectors"] == 500


def test_resolve_widths_against_the_uniform_shorthand(monkeypatch):
    monkeypatch.setitem(lgn2hw.frontend.presets.PRESETS, "narrow",
                        {"description": "test", "widths": [300, 300, 100], "connections": "learned", "pool": 8})
    settings = resolve("narrow", {"widths": None, "layers": None, "width": None})
    assert settings["widths"] == [300, 300, 100] and network_widths(settings, 10) == [300, 300, 100]
    # an explicit uniform shorthand replaces the preset's widths
    settings = resolve("narrow", {"layers": 2, "width": None})
    assert "widths" not in settings and network_widths(settings, 10) == [8000, 8000]
    # --outputs-per-class must agree with widths given as a list
    with pytest.raises(ConfigError, match="but --widths ends in 100"):
        network_widths({**resolve("narrow", {}), "outputs_per_class": 20}, 10)
    assert network_widths({**resolve("narrow", {}), "outputs_per_class": 10}, 10) == [300, 300, 100]
    assert resolve(None, {"widths": (5, 10)})["widths"] == [5, 10]  # a list: JSON round trips compare equal
    with pytest.raises(ConfigError, match="not both"):
        resolve(None, {"widths": (5, 10), "layers": 3})


def test_sweep_trains_learned_narrow_runs_and_resumes(tmp_path):
    """A sweep's shared settings carry the architecture; a second invocation finds every run done."""
    from lgn2hw.frontend.sweep import SweepConfig, run_sweep

    from test_sweep import synthetic_data

    settings = {"dataset": "synthetic", "thresholds": 1, "layers": 4, "width": 8000, "widths": [24, 6],
                "connections": "learned", "pool": 4, "epochs": 1, "batch_size": 50, "lr": 0.05, "tau": 3.0,
                "device": "cpu"}
    config = SweepConfig(settings, estimators=("hard-st",), temperatures=(1.0,), cage_estimators=("hard-st",))
    first = run_sweep(config, tmp_path / "sw", data=synthetic_data(), progress=False, plots=False)
    assert first.trained == 2
    doc = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert doc["settings"]["widths"] == [24, 6] and doc["settings"]["connections"] == "learned"
    again = run_sweep(config, tmp_path / "sw", data=synthetic_data(), progress=False, plots=False)
    assert again.trained == 0
    assert all(o.result["selection_gap"] == 0.0 for o in first.outcomes if o.spec.estimator == "hard-st")


def test_cheap_thresholds_reach_the_encoded_bits(tmp_path, mnist_dir):
    """The data is encoded with the chosen thresholds: bit j*784 + f = pixel f > cheap level j."""
    from lgn2hw.frontend.data.datasets import load_dataset
    from lgn2hw.frontend.train import encode_dataset

    data = encode_dataset("mnist", mnist_dir, 4, verify_checksums=False, threshold_kind="cheap")
    raw = load_dataset("mnist", mnist_dir, verify_checksums=False).test_x
    levels = np.array(cheap_levels(4))
    expected = (raw[:, None, :] > levels[None, :, None]).reshape(raw.shape[0], -1)
    assert np.array_equal(data.test_bits.numpy(), expected.astype(np.uint8))
