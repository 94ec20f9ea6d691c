"""lgn2hw export of raw-input builds (compile --raw-inputs: in_features, the encoder inside): the
wrappers take in_features, the serial top loads one 8-bit feature per cycle, the exported testbenches
drive raw features and pass bit-exact (and catch a tampered RTL), and the fit check counts the encoder."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lgn2hw.backend.export import export_build
from lgn2hw.backend.export.plan import live_port_bits, live_port_mask, shift_register_bits
from lgn2hw.backend.synth.estimate import estimate_luts
from lgn2hw.backend.verilog import pipeline_latency
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.encoder_cost import comparator_support
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import expected_outputs
from lgn2hw.ir.synthetic import random_layered

HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
FEATURES = 30  # 240 raw bits: more than the 206 pins of the HX8K ct256, so ice40 gets the serial top


def _thermometer(seed: int, features: int, widths, classes: int) -> Netlist:
    """A random network on a 3-threshold thermometer code, with a constant-1, a constant-0 and a
    fractional threshold (as tests/test_aiger.py)."""
    enc = ThresholdEncoding.thermometer(features, 3)
    net = random_layered(enc.num_bits, len(widths), list(widths), classes, seed=seed)
    doc = enc.to_json()
    doc["threshold"][0], doc["threshold"][1], doc["threshold"][2] = -4, 255, 127.5
    net.input_encoding = doc
    net.validate()
    return net


def _compile(root, name: str, netlist: Netlist, pipeline: int = 0):
    src = root / f"{name}.json"
    netlist.save(src)
    compile_source(src, root / name, opt_level=0, check_vectors=None, pipeline=pipeline, raw_inputs=True, raw_bits=8)
    return root / name


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw_builds")
    net = _thermometer(2, FEATURES, (60, 40), 4)
    return {"raw": _compile(root, "raw", net), "raw_piped": _compile(root, "raw_piped", net, pipeline=1)}


def _run_verify(folder, *checks) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    return subprocess.run([sys.executable, str(folder / "verify" / "run_verify.py"), *checks], cwd=folder.parent,
                          env=env, capture_output=True, text=True, timeout=300)


def _break_class0_first_bit(folder) -> None:
    net = Netlist.load(folder / "netlist.json")
    gate = int(net.outputs[0]) - net.num_inputs
    rtl = folder / "rtl/lgn_top.v"
    text, count = re.subn(rf"(assign g{gate} = )(.*);", r"\1~(\2);", rtl.read_text())
    assert count == 1
    rtl.write_text(text)


def test_raw_wrapper_and_vectors_take_in_features(builds, tmp_path):
    out = tmp_path / "g"
    result = export_build(builds["raw_piped"], out, "generic", vectors=16)
    net = Netlist.load(out / "netlist.json")
    core = pipeline_latency(net, 1, raw_inputs=True)  # the comparator register counts
    assert result.num_inputs == FEATURES * 8 and result.core_latency == core and result.latency == core + 2
    wrap = (out / "rtl/lgn_top_wrap.v").read_text()
    assert "input  wire [239:0] in_features," in wrap and ".in_features(in_features_q)" in wrap
    assert "in_bits" not in wrap
    checks = json.loads((out / "verify/checks.json").read_text())["checks"]
    assert [c.get("input_port") for c in checks] == ["in_features", "in_features"]
    # the vectors are raw features; the expected outputs are the simulator's on their encoding
    port = np.unpackbits(np.load(out / "verify/vectors.npy"), axis=1, bitorder="little")[:, :FEATURES * 8]
    raw = (port.reshape(16, FEATURES, 8).astype(np.int64) << np.arange(8)).sum(axis=2)
    scores, classes = expected_outputs(net, ThresholdEncoding.from_json(net.input_encoding).encode(raw))
    assert np.array_equal(np.load(out / "verify/expected_scores.npy"), scores)
    assert np.array_equal(np.load(out / "verify/expected_class.npy"), classes)
    assert len(np.unique(raw)) > 100  # random uint8 values, not just bits
    readme = (out / "README.md").read_text()
    assert "raw-input build" in readme and "`in_features[239:0]`" in readme


def test_raw_ice40_serial_top_loads_one_feature_per_cycle_and_counts_the_encoder(builds, tmp_path):
    out = tmp_path / "ice"
    result = export_build(builds["raw"], out, "ice40", vectors=4)
    assert result.top == "lgn_top_serial" and result.latency == 1
    assert f"in_features alone is {FEATURES * 8} bits" in result.notes[0] and f"({FEATURES} cycles per vector)" in result.notes[0]
    serial = (out / "rtl/lgn_top_serial.v").read_text()
    assert ".in_features(buffer[239:0])" in serial and "one 8-bit feature per cycle" in serial
    assert "hold `in_shift` high for 30 cycles" in (out / "README.md").read_text()
    net = Netlist.load(out / "netlist.json")
    luts = estimate_luts(net, 8).total
    assert luts > estimate_luts(net).total  # the encoder's comparators are counted
    stages = shift_register_bits(live_port_mask(net, 8), 8)
    assert stages > live_port_bits(net, 8)  # the chain down the buffer
    assert f"about {luts:,} LUTs" in result.notes[-1] and f"and {stages:,} input flip-flops" in result.notes[-1]
    assert f"at least {luts + stages:,} of the 7,680 logic cells" in result.notes[-1]
    assert (out / "lgn_top_serial.core").read_text().count("rtl/lgn_top") == 3
    pcf = (out / "constraints/lgn_top_serial.pcf").read_text()
    assert "in_data[7:0]" in pcf and "in_features" not in pcf
    export_build(builds["raw"], tmp_path / "q", "quartus", vectors=4)
    assert "in_features[*]" in (tmp_path / "q/build.tcl").read_text()


def score_bits(net: Netlist) -> int:
    from lgn2hw.backend.verilog import score_width

    return score_width(net)


def test_live_port_bits_counts_the_raw_bits_the_comparators_read(builds):
    net = Netlist.load(builds["raw"] / "netlist.json")
    enc = ThresholdEncoding.from_json(net.input_encoding)
    live = np.flatnonzero(net.live_signals()[: net.num_inputs])
    per_feature: dict[int, int] = {}
    for i in live.tolist():  # a comparator names the top comparator_support bits of its feature
        f = int(enc.feature[i])
        per_feature[f] = max(per_feature.get(f, 0), comparator_support(float(enc.threshold[i]), 8))
    assert live_port_bits(net, 8) == sum(per_feature.values()) > 0
    assert live_port_bits(net) == len(live)


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_raw_serial_top_registers_each_feature_bit_once(builds, tmp_path):
    """The shift buffer is the input register of the raw build too: flip-flops after synthesis are the
    buffer bits that reach a raw bit a live comparator reads, out_valid and the registered outputs."""
    out = tmp_path / "s"
    export_build(builds["raw"], out, "ice40", vectors=4)
    net = Netlist.load(out / "netlist.json")
    enc = ThresholdEncoding.from_json(net.input_encoding)
    read = set()
    for i in np.flatnonzero(net.live_signals()[: net.num_inputs]).tolist():
        k = comparator_support(float(enc.threshold[i]), 8)
        read |= {int(enc.feature[i]) * 8 + 7 - j for j in range(k)}
    chain = {b for p in read for b in range(p, FEATURES * 8, 8)}
    # generic synth reduces x > t to its top bits; the fit check counts whole fields (synth_ice40 keeps them)
    assert len(chain) <= shift_register_bits(live_port_mask(net, 8), 8)
    done = subprocess.run(["yosys", "-q", "-p", f"read_verilog {' '.join((out / 'files.f').read_text().split())}; "
                           "synth -flatten -top lgn_top_serial; tee -o ffs.txt stat"],
                          cwd=out, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ffs = sum(int(n) for n in re.findall(r"\$_S?DFFE?_\w+\s+(\d+)", (out / "ffs.txt").read_text()))
    out_bits = 4 * score_bits(net) + 2
    assert len(chain) + 1 <= ffs <= len(chain) + 1 + out_bits, (ffs, len(chain))


@pytest.mark.skipif(not HAVE_IVERILOG, reason="iverilog not installed")
def test_exported_raw_build_reverifies_and_catches_tampered_rtl(builds, tmp_path):
    out = tmp_path / "ice"
    export_build(builds["raw"], out, "ice40", vectors=24)
    run = _run_verify(out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS core (lgn_top, tb_lgn_top): bit-exact on 24 vectors" in run.stdout
    assert "PASS wrap (lgn_top_wrap, tb_lgn_top_pipelined): bit-exact on 24 vectors" in run.stdout
    assert "PASS serial (lgn_top_serial, tb_lgn_serial): bit-exact on 24 vectors" in run.stdout
    piped = tmp_path / "piped"
    export_build(builds["raw_piped"], piped, "ice40", vectors=24)
    run = _run_verify(piped)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(re.findall(r"^PASS ", run.stdout, re.M)) == 3 and "PASS core (lgn_top, tb_lgn_top_pipelined)" in run.stdout

    _break_class0_first_bit(out)
    run = _run_verify(out)
    assert run.returncode == 1 and len(re.findall(r"^FAIL ", run.stdout, re.M)) == 3, run.stdout
    assert "MISMATCH: 24 of 24 vectors mismatch" in run.stdout


@pytest.mark.skipif(shutil.which("verilator") is None, reason="verilator not installed")
@pytest.mark.parametrize("build", ["raw", "raw_piped"])
def test_verilator_lint_clean_on_raw_serial_top(builds, tmp_path, build):
    out = tmp_path / "x"
    export_build(builds[build], out, "ice40", vectors=4)
    rtl = (out / "files.f").read_text().split()
    for argv in (["rtl/lgn_top.v"], ["--top-module", "lgn_top_serial", *rtl], ["--top-module", "lgn_top_wrap", *rtl[:2]]):
        run = subprocess.run(["verilator", "--lint-only", "-Wall", *argv], cwd=out, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("yosys", "nextpnr-ice40")), reason="yosys/nextpnr-ice40 missing")
def test_synth_places_the_raw_builds_serial_top_on_ice40(builds):
    """lgn2hw synth --flow ice40 on a raw-input build: the in_features port exceeds the package, so the
    export's serial top (encoder inside) is placed and routed, with the Fmax of clk."""
    from lgn2hw.backend.synth import synthesize

    report = synthesize(builds["raw"], flows=("ice40",), split=False)
    p = report.pnr
    assert p.status == "routed", p
    assert p.top == "lgn_top_serial (serial-input top)" and p.load_cycles == FEATURES and p.latency_cycles == 1
    assert p.logic_cells_used > report.get("ice40").luts and p.ffs_used > FEATURES and p.fmax_mhz > 0
    assert "synth_ice40 -top lgn_top_serial" in p.yosys_script and "--freq 25" in p.command
    assert "lgn_top_serial" in p.line() and "Fmax" in p.markdown()
