"""``lgn2hw compile --popcount``: the head chosen for the target, carried by the build to verify, formal,
synth and export. carry4 builds (Xilinx LUT6_2 + CARRY4 primitives) simulate and prove with Yosys's
models of the primitives, synthesize in the xilinx flow only and export to Vivado only; ccu2c builds
(ECP5 CCU2C chains) likewise with the ECP5 models, the ecp5 flow only and no RTL export target; lut4
builds (full-adder counters for LUT4 devices) are plain RTL that every flow takes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from helpers import assert_one_line_error, invoke, random_gates
from lgn2hw.backend.verilog.primitives import models_name, primitive_models
from lgn2hw.errors import NetlistError
from lgn2hw.ir.build_dir import BuildDir, BuildOptions
from lgn2hw.ir.netlist import Netlist

MODELS_NAME = models_name("xilinx")

HAVE_YOSYS = shutil.which("yosys") is not None
HAVE_ICARUS = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
needs_sim = pytest.mark.skipif(not (HAVE_YOSYS and HAVE_ICARUS), reason="needs yosys (primitive models) and icarus")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A random layered netlist: 40 inputs, 3 layers, 4 classes of 30 output bits."""
    root = tmp_path_factory.mktemp("popcount")
    path = root / "net.json"
    random_gates(3, 40, (160, 160, 120), 4).save(path)
    return path


@pytest.fixture(scope="module")
def builds(source, tmp_path_factory):
    root = tmp_path_factory.mktemp("popcount_builds")
    out = {}
    for kind in ("compressor", "lut4", "carry4", "ccu2c"):
        result = invoke("compile", source, "-o", root / kind, "-O", "2", "--check-vectors", "0", "--popcount", kind)
        assert result.exit_code == 0, result.output
        out[kind] = root / kind
    return out


def test_build_records_its_popcount_and_the_rtl_has_it(builds):
    default = json.loads((builds["compressor"] / "netlist.json").read_text())["metadata"]
    assert "popcount" not in default  # default builds stay as they were
    for kind in ("lut4", "carry4", "ccu2c"):
        build = BuildDir.open(builds[kind])
        assert build.options.popcount == kind
        assert build.netlist.metadata["popcount"] == kind
        assert f"//   popcount: {kind}: " in build.rtl_path.read_text()
    assert BuildDir.open(builds["carry4"]).options.primitive_family == "xilinx"
    assert BuildDir.open(builds["ccu2c"]).options.primitive_family == "ecp5"
    assert BuildDir.open(builds["lut4"]).options.primitive_family is None
    assert "CCU2C #(.INIT0(16'h" in (builds["ccu2c"] / "lgn_top.v").read_text()
    carry = (builds["carry4"] / "lgn_top.v").read_text()
    assert "CARRY4 " in carry and "LUT6_2 #(.INIT(64'h" in carry
    lut4 = (builds["lut4"] / "lgn_top.v").read_text()
    counters = re.findall(r"assign (pc\d+_s\d+_c\d+_\d+) = \(?([^;]*?)\)?( \| \d+'b0)?;", lut4)
    assert counters and all(len(expr.split(" + ")) <= 3 for _, expr, _ in counters)
    six = (builds["compressor"] / "lgn_top.v").read_text()
    assert any(len(expr.split(" + ")) > 3 for _, expr, _ in
               re.findall(r"assign (pc\d+_s\d+_c\d+_\d+) = \(?([^;]*?)\)?( \| \d+'b0)?;", six))


def test_bad_popcount_is_one_line(source, tmp_path):
    result = invoke("compile", source, "-o", tmp_path / "x", "--popcount", "carry8")
    assert_one_line_error(result, "--popcount", "carry8")
    assert not (tmp_path / "x").exists()


def test_unknown_popcount_in_metadata_is_refused(source):
    netlist = Netlist.load(source)
    netlist.metadata["popcount"] = "wallace"
    with pytest.raises(NetlistError, match=r"metadata.popcount must be one of compressor, lut4, carry4, ccu2c, got 'wallace'"):
        BuildOptions.from_netlist(netlist)


@needs_sim
@pytest.mark.parametrize("kind", ["lut4", "carry4", "ccu2c"])
def test_verify_is_bit_exact_with_the_chosen_head(builds, kind):
    result = invoke("verify", builds[kind], "--random", "300", "--corners")
    assert result.exit_code == 0, result.output
    report = json.loads((builds[kind] / "verify.json").read_text())
    assert report["passed"] and report["vectors"] >= 300


@needs_sim
def test_carry4_verify_uses_the_primitive_models_and_catches_a_wrong_init(builds, tmp_path):
    """A LUT's INIT changed in the RTL: the simulation of the models disagrees with the netlist."""
    broken = tmp_path / "broken"
    shutil.copytree(builds["carry4"], broken)
    rtl = broken / "lgn_top.v"
    text = rtl.read_text()
    first = re.search(r"LUT6_2 #\(\.INIT\(64'h([0-9A-F]{16})\)\)", text)
    flipped = f"{int(first.group(1), 16) ^ 0x2:016X}"  # O5 for I0=1, I1..I5=0: the count of one set bit
    rtl.write_text(text.replace(first.group(0), first.group(0).replace(first.group(1), flipped), 1))
    result = invoke("verify", broken, "--random", "300", "--corners")
    assert result.exit_code != 0
    assert json.loads((broken / "verify.json").read_text())["passed"] is False


@pytest.mark.skipif(not (HAVE_YOSYS and shutil.which("verilator")), reason="needs yosys and verilator")
@pytest.mark.parametrize("kind, family", [("carry4", "xilinx"), ("ccu2c", "ecp5")])
def test_primitive_rtl_and_models_pass_verilator_lint_and_simulation(builds, tmp_path, kind, family):
    models = tmp_path / models_name(family)
    models.write_text(primitive_models(family))
    lint = subprocess.run(["verilator", "--lint-only", "-Wall", str(builds[kind] / "lgn_top.v"), str(models),
                           "--top-module", "lgn_top"], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stderr
    assert "endspecify" not in models.read_text()  # timing blocks removed (Verilator refuses them)
    result = invoke("verify", builds[kind], "--random", "200", "--simulator", "verilator")
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
@pytest.mark.parametrize("kind", ["lut4", "carry4", "ccu2c"])
def test_formal_proves_the_chosen_head(builds, kind):
    result = invoke("verify", builds[kind], "--random", "50", "--formal")
    assert result.exit_code == 0, result.output
    formal = json.loads((builds[kind] / "formal.json").read_text())
    assert formal["status"] == "proven"
    # the scores step is decided as sums (carry4, ccu2c: through the carry chains), not by the BDD fallback
    step_b = [step for step in formal["steps"] if step["name"].startswith("B:")]
    assert [(step["engine"], step["outcome"]) for step in step_b] == [("sums over cut bits", "proven")]


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
def test_formal_finds_a_wrong_carry4_lut(builds, tmp_path):
    """One LUT's O5 miscounts one input pattern (O6 = O5 ^ I5 kept): not read as a sum, and the BDD
    engine finds the counterexample, which the netlist simulator confirms."""
    from lgn2hw.flows.formal import prove_build

    broken = tmp_path / "broken"
    shutil.copytree(builds["carry4"], broken)
    rtl = broken / "lgn_top.v"
    text = rtl.read_text()
    first = re.search(r"LUT6_2 #\(\.INIT\(64'h([0-9A-F]{16})\)\)", text)
    flipped = f"{int(first.group(1), 16) ^ (0x2 | 0x2 << 32):016X}"
    rtl.write_text(text.replace(first.group(0), first.group(0).replace(first.group(1), flipped), 1))
    result = prove_build(broken, timeout_s=120)
    assert result.status == "counterexample", result.reason
    assert any("not the count of their inputs" in step.detail for step in result.steps)


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
def test_synth_of_a_carry4_build_runs_the_xilinx_flow_only(builds):
    result = invoke("synth", builds["carry4"], "--flow", "generic")
    assert_one_line_error(result, "carry4", "xilinx primitives", "only the xilinx flow", "generic")
    assert not (builds["carry4"] / "synth.json").exists()
    result = invoke("synth", builds["carry4"])  # all flows: the one this build has
    assert result.exit_code == 0, result.output
    report = json.loads((builds["carry4"] / "synth.json").read_text())
    flows = {run["flow"] for run in report["runs"]}
    assert flows == {"xilinx"}
    full = next(run for run in report["runs"] if run["variant"] == "full")
    cells = full["cells"]
    assert cells.get("LUT6_2", 0) > 0 and cells.get("CARRY4", 0) > 0
    assert full["luts"] == sum(cells.get(f"LUT{i}", 0) for i in range(1, 7)) + cells["LUT6_2"]


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
def test_export_of_a_carry4_build(builds, tmp_path):
    result = invoke("export", builds["carry4"], "-o", tmp_path / "q", "--target", "quartus")
    assert_one_line_error(result, "--popcount carry4", "xilinx primitives", "vivado")
    assert not (tmp_path / "q").exists()
    result = invoke("export", builds["carry4"], "-o", tmp_path / "v", "--target", "vivado")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "v"
    models = (folder / "verify" / MODELS_NAME).read_text()
    assert "module LUT6_2" in models and "module CARRY4" in models
    checks = json.loads((folder / "verify" / "checks.json").read_text())["checks"]
    assert all(f"verify/{MODELS_NAME}" in check["sources"] for check in checks)
    assert MODELS_NAME not in (folder / "files.f").read_text()  # Vivado has its own primitives
    core = next(folder.glob("*.core")).read_text()
    assert f"- verify/{MODELS_NAME}" in core and "filesets: [rtl, sim_models]" in core


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
def test_formal_finds_a_wrong_ccu2c_position(builds, tmp_path):
    """The first pair's lower position miscounts A = 1, B = C = D = 0 (its parity INIT 16'h6996 with bit 1
    cleared, which also clears its generate there): not read as a sum, and the BDD engine finds the
    counterexample."""
    from lgn2hw.flows.formal import prove_build

    broken = tmp_path / "broken"
    shutil.copytree(builds["ccu2c"], broken)
    rtl = broken / "lgn_top.v"
    text = rtl.read_text()
    assert "(16'h6996)" in text
    rtl.write_text(text.replace("(16'h6996)", "(16'h6994)", 1))
    result = prove_build(broken, timeout_s=120)
    assert result.status == "counterexample", result.reason
    assert any("do not add up their inputs" in step.detail for step in result.steps)


@pytest.mark.skipif(not HAVE_YOSYS, reason="yosys not installed")
def test_ccu2c_build_refuses_other_flows_and_rtl_export(builds, tmp_path):
    result = invoke("synth", builds["ccu2c"], "--flow", "generic")
    assert_one_line_error(result, "ccu2c", "ecp5 primitives", "only the ecp5 flow", "generic")
    assert not (builds["ccu2c"] / "synth.json").exists()
    result = invoke("export", builds["ccu2c"], "-o", tmp_path / "v", "--target", "vivado")
    assert_one_line_error(result, "--popcount ccu2c", "ecp5 primitives", "no export target builds them",
                          "lgn2hw synth --flow ecp5")
    assert not (tmp_path / "v").exists()
