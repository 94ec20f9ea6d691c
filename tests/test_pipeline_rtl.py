"""Pipelined RTL (emit_verilog(..., pipeline=N)): latency, lint, and bit-exact clocked verification."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from lgn2hw.backend.verilog import core_stages, emit_verilog, pipeline_latency, write_rtl
from lgn2hw.errors import ConfigError, EmitError
from lgn2hw.ir.gates import FALSE, TRUE
from lgn2hw.ir.netlist import Netlist
from lgn2hw.check.cosim import verify_rtl
from test_emit import NETLISTS, random_netlist
from test_verify import _break_one_output_gate, exhaustive

needs_icarus = pytest.mark.skipif(
    shutil.which("iverilog") is None or shutil.which("vvp") is None, reason="Icarus Verilog not installed"
)


def _small() -> Netlist:
    return random_netlist(21, num_inputs=8, widths=(20, 20, 18), num_classes=3)


def _text(netlist: Netlist, pipeline: int) -> str:
    return next(iter(emit_verilog(netlist, pipeline=pipeline).values()))


@pytest.mark.parametrize("bad", [-1, -5])
def test_negative_depth_is_rejected(bad, tmp_path):
    with pytest.raises(EmitError, match="pipeline depth must be >= 0"):
        emit_verilog(_small(), pipeline=bad)
    with pytest.raises(EmitError, match="pipeline depth must be >= 0"):
        write_rtl(_small(), tmp_path, pipeline=bad)
    with pytest.raises(EmitError):
        emit_verilog(_small(), pipeline=1.5)


def test_pipeline_zero_is_the_combinational_module():
    netlist = _small()
    assert _text(netlist, 0) == next(iter(emit_verilog(netlist).values()))
    assert pipeline_latency(netlist, 0) == 0


def test_latency_is_core_stages_plus_two_and_in_the_header():
    netlist = _small()
    depth = int(netlist.levels()[netlist.num_inputs :].max())
    for p in (1, 2, 3, 100):
        text = _text(netlist, p)
        stages = core_stages(netlist, p)
        assert stages == -(-depth // p)
        latency = pipeline_latency(netlist, p)
        assert latency == stages + 2
        assert f"localparam LATENCY = {latency};" in text
        assert f"LATENCY = {latency} cycles" in text.split("`default_nettype")[0]
        # one clocked register bank per core stage, one after the popcount, one after the argmax
        assert text.count("always @(posedge clk) begin") == latency + 1  # + the valid shift register
        assert "if (rst) valid_sr <=" in text
        assert "assign out_valid = valid_sr[LATENCY-1];" in text
    assert _text(netlist, 2) == _text(netlist, 2)  # deterministic


def test_no_logic_crosses_a_register_boundary():
    """Every gate expression only reads values of its own stage: regs _r<stage> or same-stage wires."""
    netlist = _small()
    text = _text(netlist, 1)
    stage_of_wire = {}
    stage = None
    for line in text.splitlines():
        m = re.match(r"\s*// gate core, stage (\d+)", line)
        if m:
            stage = int(m.group(1))
        m = re.match(r"\s*assign (g\d+) = (.*);", line)
        if m and stage is not None:
            stage_of_wire[m.group(1)] = stage
            for name, reg_stage in re.findall(r"\b([gi]\d+)_r(\d+)\b", m.group(2)):
                assert int(reg_stage) == stage
            for name in re.findall(r"\b(g\d+)\b(?!_r)", m.group(2)):
                assert stage_of_wire[name] == stage
            if "in_bits[" in m.group(2):
                assert stage == 0


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("case", sorted(NETLISTS))
def test_pipelined_rtl_compiles_and_lints(tmp_path, case, p):
    iverilog = shutil.which("iverilog")
    verilator = shutil.which("verilator")
    if iverilog is None and verilator is None:
        pytest.skip("no Verilog tools")
    (path,) = write_rtl(NETLISTS[case](), tmp_path, pipeline=p)
    text = path.read_text()
    assert set(re.findall(r"verilator lint_off (\w+)", text)) <= {"UNUSEDSIGNAL"}
    if iverilog:
        for std in ("-g2012", "-g2005"):
            proc = subprocess.run([iverilog, std, "-Wall", "-o", str(tmp_path / "a.vvp"), str(path)], capture_output=True, text=True)
            assert proc.returncode == 0 and "warning" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    if verilator:
        proc = subprocess.run([verilator, "--lint-only", "-Wall", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and "%Warning" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@needs_icarus
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pipelined_rtl_is_bit_exact_with_gaps_and_mid_stream_reset(tmp_path, p):
    netlist = _small()
    netlist.metadata["pipeline"] = p  # verify_rtl reads the latency from here
    rtl = write_rtl(netlist, tmp_path / "rtl", pipeline=p)
    result = verify_rtl(netlist, rtl, exhaustive(8), work_dir=tmp_path / "work")
    assert result.passed and result.vectors == 256, (result.first_mismatches, result.extra)
    assert result.extra["latency"] == pipeline_latency(netlist, p)
    assert result.extra["resets"] == 2 and result.extra["killed_in_flight"] > 0
    # gaps: more cycles than vectors + re-driven ones + tail
    assert result.extra["cycles"] > 256 + result.extra["killed_in_flight"] + result.extra["latency"]


@needs_icarus
@pytest.mark.parametrize("p", [1, 3])
def test_larger_pipelined_netlist_with_constant_and_input_outputs(tmp_path, p):
    netlist = random_netlist(22, num_inputs=24, widths=(120, 120, 100), num_classes=5, constants=6, from_inputs=5, repeats=5)
    bits = np.random.default_rng(5).integers(0, 2, (150, netlist.num_inputs), dtype=np.uint8)
    rtl = write_rtl(netlist, tmp_path, pipeline=p)
    result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", latency=pipeline_latency(netlist, p))
    assert result.passed and result.vectors == 150, result.first_mismatches


@needs_icarus
@pytest.mark.parametrize(
    "netlist",
    [
        Netlist(3, 1, np.array([6]), np.array([0]), np.array([1]), np.array([3])),
        Netlist(2, 2, np.array([TRUE, FALSE]), np.array([0, 0]), np.array([0, 0]), np.array([2, 3, 3, 2])),
        Netlist(4, 2, np.array([6]), np.array([0]), np.array([1]), np.array([0, 1, 2, 3])),
    ],
    ids=["one_bit_ports", "all_constant", "outputs_are_inputs"],
)
def test_pipelined_corner_cases(tmp_path, netlist):
    rtl = write_rtl(netlist, tmp_path, pipeline=2)
    bits = np.tile(exhaustive(netlist.num_inputs), (4, 1))
    result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", latency=pipeline_latency(netlist, 2))
    assert result.passed, (result.first_mismatches, result.extra)


@needs_icarus
def test_wrong_latency_and_broken_gate_are_caught(tmp_path):
    netlist = _small()
    bits = exhaustive(8)[:64]
    rtl = write_rtl(netlist, tmp_path / "rtl", pipeline=2)
    latency = pipeline_latency(netlist, 2)
    for wrong in (latency - 1, latency + 1):
        result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / f"w{wrong}", latency=wrong)
        assert not result.passed and result.extra.get("out_valid_errors")
    (path,) = rtl
    broken_text, broken = _break_one_output_gate(netlist, path.read_text())
    path.write_text(broken_text)
    result = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "broken", latency=latency)
    assert not result.passed and result.mismatches > 0 and not result.extra.get("out_valid_errors")


@needs_icarus
def test_reset_that_is_ignored_is_caught(tmp_path):
    netlist = _small()
    (path,) = write_rtl(netlist, tmp_path, pipeline=1)
    text = path.read_text().replace("if (rst) valid_sr <=", "if (1'b0) valid_sr <=")
    path.write_text(text)
    result = verify_rtl(netlist, [path], exhaustive(8)[:64], work_dir=tmp_path / "w", latency=pipeline_latency(netlist, 1))
    assert not result.passed and result.extra.get("out_valid_errors")


@needs_icarus
def test_bad_latency_is_a_config_error(tmp_path):
    netlist = _small()
    with pytest.raises(ConfigError, match="latency"):
        verify_rtl(netlist, [tmp_path / "x.v"], exhaustive(8), work_dir=tmp_path / "w", latency=-1)
    netlist.metadata["pipeline"] = -2
    with pytest.raises(ConfigError, match="pipeline depth must be >= 0"):
        verify_rtl(netlist, [tmp_path / "x.v"], exhaustive(8), work_dir=tmp_path / "w")


@needs_icarus
def test_compile_stores_the_pipeline_and_verify_uses_it(tmp_path):
    from lgn2hw.flows.compile import compile_source

    _small().save(tmp_path / "n.json")
    result = compile_source(tmp_path / "n.json", tmp_path / "out", pipeline=2, check_vectors=50)
    loaded = Netlist.load(tmp_path / "out" / "netlist.json")
    assert loaded.metadata["pipeline"] == 2
    assert loaded.metadata["latency"] == pipeline_latency(loaded, 2)
    assert f"localparam LATENCY = {loaded.metadata['latency']};" in (tmp_path / "out" / "lgn_top.v").read_text()
    check = verify_rtl(loaded, result.files, exhaustive(8)[:100], work_dir=tmp_path / "work")
    assert check.passed and check.extra["latency"] == loaded.metadata["latency"]
    with pytest.raises(EmitError, match="pipeline depth must be >= 0"):
        compile_source(tmp_path / "n.json", tmp_path / "bad", pipeline=-1, check_vectors=0)
    assert not (tmp_path / "bad").exists()
