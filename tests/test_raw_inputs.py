"""Raw-input front end (compile --raw-inputs): comparators in the RTL, raw-feature verification."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lgn2hw.cli import main
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.encoding import ThresholdEncoding, thermometer
from lgn2hw.backend.verilog import check_raw_inputs, emit_verilog, pipeline_latency, raw_input_width, write_rtl
from lgn2hw.errors import EmitError
from lgn2hw.ir.netlist import Netlist
from lgn2hw.check.cosim import verify_raw_rtl
from lgn2hw.check.cosim.stimulus import encode_raw, port_bits, raw_corner_vectors, raw_stimulus
from lgn2hw.ir.build_dir import BuildOptions, RawInputs

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed")
    return path


def tiny_model(seed: int = 0, features: int = 5, thresholds: int = 3, gates: int = 40) -> Netlist:
    """A small random 2-layer net over a thermometer encoding, with edge thresholds mixed in: one
    below 0 (always 1), one at 255 (never 1) and one fractional (127.5 acts as 127). Feature 4 is read
    by no gate (an unused slice of in_features)."""
    rng = np.random.default_rng(seed)
    enc = thermometer(features, thresholds, 255).to_json()
    enc["threshold"][1], enc["threshold"][2], enc["threshold"][3] = -4, 255, 127.5
    n = features * thresholds
    used = [i for i in range(n) if enc["feature"][i] != 4]
    half = gates // 2
    a1, b1 = rng.choice(used, half), rng.choice(used, half)
    a2, b2 = n + rng.integers(0, half, half), n + rng.integers(0, half, half)
    ops = rng.integers(1, 15, gates)  # no constant gates
    outputs = np.arange(n + half, n + gates)
    return Netlist(n, 4, ops, np.concatenate([a1, a2]), np.concatenate([b1, b2]), outputs, input_encoding=enc)


def _raw_build(netlist: Netlist, pipeline: int = 0) -> Netlist:
    built = netlist.copy()
    built.metadata["raw_inputs"] = RawInputs.for_netlist(netlist, 8).to_metadata()
    if pipeline:
        built.metadata["pipeline"] = pipeline
    return built


def test_port_bits_put_feature_f_at_bits_f_times_b():
    spec = RawInputs(bits=8, features=3)
    bits = port_bits(np.array([[1, 0x80, 255]]), spec)
    assert bits.shape == (1, 24)
    word = int.from_bytes(np.packbits(bits, axis=1, bitorder="little").tobytes(), "little")
    assert word == 1 | 0x80 << 8 | 255 << 16


def test_corner_vectors_hit_every_threshold_and_its_neighbours():
    netlist = tiny_model()
    spec = RawInputs.for_netlist(netlist, 8)
    corners = raw_corner_vectors(netlist, spec, np.random.default_rng(0))
    enc = netlist.input_encoding
    for f, t in zip(enc["feature"], enc["threshold"]):
        t = int(np.floor(t))
        for value in (t - 1, t, t + 1):
            if 0 <= value <= 255:
                assert (corners[:, f] == value).any(), (f, value)
    assert corners.min() >= 0 and corners.max() <= 255


@pytest.mark.parametrize("pipeline", [0, 1, 2])
def test_raw_rtl_is_bit_exact_including_threshold_edges(tmp_path, pipeline):
    _require("iverilog")
    netlist = _raw_build(tiny_model(), pipeline)
    spec = BuildOptions.from_netlist(netlist).raw_inputs
    raw, described = raw_stimulus(netlist, spec, None, 400, seed=3)
    assert described[-1].kind == "corners" and "threshold corner vectors" in described[-1].text
    assert [p.kind for p in described] == ["random", "corners"] and described[0].count == 400
    assert sum(p.count for p in described) == raw.shape[0]
    paths = write_rtl(netlist, tmp_path / "rtl", pipeline=pipeline, raw_inputs=True)
    text = paths[0].read_text()
    latency = pipeline_latency(netlist, pipeline, raw_inputs=True)
    if pipeline:
        assert latency == pipeline_latency(netlist, pipeline) + 1  # the comparators' own stage
        assert f"localparam LATENCY = {latency};" in text and "x0_q <= x0;" in text
    result = verify_raw_rtl(netlist, paths, raw, work_dir=tmp_path / "v")
    assert result.passed, result.first_mismatches
    assert result.extra["latency"] == latency


def test_a_comparator_off_by_one_is_caught(tmp_path):
    """'>=' instead of '>' differs only where a feature equals its threshold: the corner vectors see it."""
    _require("iverilog")
    netlist = _raw_build(tiny_model())
    raw, _ = raw_stimulus(netlist, BuildOptions.from_netlist(netlist).raw_inputs, None, 0, seed=3)  # corner vectors only
    (path,) = write_rtl(netlist, tmp_path / "rtl", raw_inputs=True)
    text = path.read_text()
    broken = tmp_path / "broken.v"
    # the first comparator written as a '>' (x > 127 is the bare bit in_features[7])
    broken.write_text(re.sub(r"(assign x\d+ = in_features\[[\d:]+\]) > ", r"\1 >= ", text, count=1))
    assert broken.read_text() != text
    result = verify_raw_rtl(netlist, [broken], raw, work_dir=tmp_path / "v")
    assert result.mismatches > 0


def test_comparators_follow_the_encoding():
    text = emit_verilog(tiny_model(), raw_inputs=True)["lgn_top.v"]
    assert "input  wire [39:0] in_features" in text  # 5 features x 8 bits
    # x > t compares only the bits above t's trailing ones: x > 63 is x[7:6] > 0, x > 127 the bit x[7]
    assert "assign x0 = in_features[7:6] > 2'd0;" in text
    assert re.search(r"assign x1 = 1'b1;|wire x1;", text) or "x1" not in text  # threshold -4: always 1
    assert "x2" not in text or "assign x2 = 1'b0;" in text  # threshold 255: never 1 for 8-bit features
    assert "x3" not in text or "assign x3 = in_features[31];" in text  # 127.5 on integers: x > 127
    assert "in_bits" not in re.sub(r"//.*", "", text)
    assert raw_input_width(tiny_model()) == 40


def test_raw_bits_sets_the_feature_width():
    netlist = tiny_model()
    text = emit_verilog(netlist, raw_inputs=True, raw_bits=10)["lgn_top.v"]
    assert "input  wire [49:0] in_features" in text and "assign x0 = in_features[9:6] > 4'd0;" in text
    with pytest.raises(EmitError, match="raw feature width must be an integer 1..32"):
        emit_verilog(netlist, raw_inputs=True, raw_bits=0)


@pytest.mark.parametrize("pipeline", [0, 2])
def test_raw_rtl_is_lint_clean(tmp_path, pipeline):
    verilator = _require("verilator")
    (path,) = write_rtl(tiny_model(), tmp_path, pipeline=pipeline, raw_inputs=True)
    assert "lint_off UNUSEDSIGNAL" in path.read_text()  # feature 4 is unread: the documented waiver
    proc = subprocess.run([verilator, "--lint-only", "-Wall", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "%Warning" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    iverilog = _require("iverilog")
    proc = subprocess.run([iverilog, "-g2005", "-Wall", "-o", str(tmp_path / "a.vvp"), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "warning" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr


def test_raw_rtl_is_deterministic():
    a = emit_verilog(tiny_model(), raw_inputs=True, pipeline=2)
    b = emit_verilog(tiny_model(), raw_inputs=True, pipeline=2)
    assert a == b


def test_no_encoding_is_a_clear_error():
    netlist = tiny_model().copy(input_encoding=None)
    with pytest.raises(EmitError, match="raw inputs need the netlist's input_encoding"):
        check_raw_inputs(netlist, 8)
    with pytest.raises(EmitError, match="raw inputs need the netlist's input_encoding"):
        emit_verilog(netlist, raw_inputs=True)


def test_cli_without_encoding_fails_and_writes_nothing(tmp_path):
    source = tmp_path / "plain.json"
    tiny_model().copy(input_encoding=None).save(source)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--raw-inputs", "--check-vectors", "0"])
    assert result.exit_code != 0
    assert "raw inputs need the netlist's input_encoding" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_cli_compile_and_verify_raw_random_and_corners(tmp_path):
    """No data set: verify drives random raw vectors plus the corner vectors (pipelined build)."""
    _require("iverilog")
    source = tmp_path / "model.json"
    tiny_model(seed=1).save(source)
    out = tmp_path / "rtl"
    runner = CliRunner()
    result = runner.invoke(main, ["compile", str(source), "-o", str(out), "--raw-inputs", "--pipeline", "1"])
    assert result.exit_code == 0, result.output
    meta = Netlist.load(out / "netlist.json").metadata
    assert meta["raw_inputs"] == {"bits": 8, "features": 5, "port": "in_features"}
    assert meta["latency"] == pipeline_latency(Netlist.load(out / "netlist.json"), 1, raw_inputs=True)
    assert f"localparam LATENCY = {meta['latency']};" in (out / "lgn_top.v").read_text()
    result = runner.invoke(main, ["verify", str(out), "--random", "300"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "verify.json").read_text())
    assert doc["passed"] and "300 random raw vectors" in doc["extra"]["stimulus"]
    assert "threshold corner vectors" in doc["extra"]["stimulus"]


@pytest.mark.skipif(not FASHION.exists(), reason="Debian package dataset-fashion-mnist is not installed")
def test_verify_drives_the_raw_test_set(tmp_path):
    """A model with a data set: the raw Fashion-MNIST test images (uint8) go on in_features."""
    _require("iverilog")
    rng = np.random.default_rng(2)
    enc = ThresholdEncoding.thermometer(784, 2, 255)
    n = enc.num_bits
    ops = rng.integers(1, 15, 60)
    netlist = Netlist(n, 10, ops, rng.integers(0, n, 60), rng.integers(0, n, 60), n + np.arange(60),
                      input_encoding=enc.to_json(), metadata={"dataset": "fashion-mnist"})
    source = tmp_path / "fm.json"
    netlist.save(source)
    out = tmp_path / "rtl"
    compile_source(source, out, raw_inputs=True, check_vectors=200)
    from lgn2hw.flows.verify import verify_build

    result = verify_build(out, vectors=300, random_vectors=50)
    assert result.passed, result.first_mismatches
    assert "300 raw fashion-mnist test samples" in result.extra["stimulus"]
    # the reference really is encode + simulate: the expected bits are the test images thresholded
    from lgn2hw.frontend.data.datasets import load_dataset

    images = load_dataset("fashion-mnist", limit_train=1, limit_test=5).test_x.reshape(5, -1)
    assert np.array_equal(encode_raw(netlist, images), enc.encode(images))
