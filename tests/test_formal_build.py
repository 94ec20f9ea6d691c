"""``lgn2hw verify --formal`` and lgn2hw.flows.formal.prove_build on compiled directories: proven, an
edited RTL file found different, a pipelined build, a missing raw netlist, a time limit."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from helpers import layered

from lgn2hw.check.formal import COUNTEREXAMPLE, NOT_PROVEN, PROVEN
from lgn2hw.cli import main
from lgn2hw.flows.formal import prove_build

pytestmark = pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("yosys-abc") is None, reason="yosys (Debian package) not installed"
)


def test_verify_formal_on_a_compiled_directory(tmp_path):
    source = tmp_path / "net.json"
    layered(16, [60, 60, 30], 3, seed=3).save(source)
    out = tmp_path / "rtl"
    runner = CliRunner()
    result = runner.invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "500"])
    assert result.exit_code == 0, result.output
    assert (out / "raw_netlist.json").is_file()
    result = runner.invoke(main, ["verify", str(out), "--random", "50", "--formal", "--formal-timeout", "120"])
    assert result.exit_code == 0, result.output
    assert "formal: PROVEN" in result.output
    doc = json.loads((out / "formal.json").read_text())
    assert doc["status"] == PROVEN and doc["subject"] == "lgn_top.v as compiled"


def test_pipelined_build_proves_its_combinational_rtl(tmp_path):
    """A pipelined build has registers; prove_build proves the combinational RTL of the same netlist and says so."""
    source = tmp_path / "net.json"
    layered(16, [60, 60, 30], 3, seed=3).save(source)
    out = tmp_path / "rtl"
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "0", "--pipeline", "1"])
    assert result.exit_code == 0, result.output
    proof = prove_build(out, timeout_s=120)
    assert proof.status == PROVEN, proof.summary()
    assert proof.subject.startswith("combinational RTL of netlist.json (the build is pipelined")
    assert json.loads((out / "formal.json").read_text())["subject"] == proof.subject


def test_edited_rtl_file_gives_a_counterexample(tmp_path):
    source = tmp_path / "net.json"
    layered(16, [60, 60, 30], 3, seed=4).save(source)
    out = tmp_path / "rtl"
    assert CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "0"]).exit_code == 0
    rtl = out / "lgn_top.v"
    lines = rtl.read_text().splitlines()
    edited = False
    for i, line in enumerate(lines):
        if line.strip().startswith("assign g") and " & " in line:
            lines[i] = line.replace(" & ", " | ", 1)
            edited = True
            break
    assert edited
    rtl.write_text("\n".join(lines) + "\n")
    result = prove_build(out, timeout_s=120)
    if result.status == PROVEN:  # the edited gate may not reach any score; then equality is the truth
        pytest.skip("edited gate does not change any score")
    assert result.status == COUNTEREXAMPLE, result.summary()
    assert "does not match its netlist" in next(s.detail for s in result.steps if s.outcome == "counterexample")


def test_verify_formal_needs_the_raw_netlist(tmp_path):
    source = tmp_path / "net.json"
    layered(8, [16, 8], 2).save(source)
    out = tmp_path / "rtl"
    assert CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "0"]).exit_code == 0
    (out / "raw_netlist.json").unlink()
    result = CliRunner().invoke(main, ["verify", str(out), "--random", "10", "--formal"])
    assert result.exit_code != 0
    assert "raw_netlist.json" in result.output and "compile again" in result.output


def test_verify_formal_time_limit_exits_non_zero(tmp_path):
    source = tmp_path / "net.json"
    layered(16, [60, 30], 3, seed=6).save(source)
    out = tmp_path / "rtl"
    assert CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "0"]).exit_code == 0
    result = CliRunner().invoke(main, ["verify", str(out), "--random", "10", "--formal", "--formal-timeout", "0.001"])
    assert result.exit_code == 1
    assert "formal: NOT PROVEN within 0.001 s" in result.output and "not a pass" in result.output
    assert "Error: equivalence not proven within 0.001 s" in result.output
    assert json.loads((out / "formal.json").read_text())["status"] == NOT_PROVEN
