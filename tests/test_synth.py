"""lgn2hw synth: Yosys LUT counts on tiny compiled designs, report files, and the error paths."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import random_gates, compiled_dir
from lgn2hw.cli import main
from lgn2hw.errors import Lgn2hwError, ToolError
from lgn2hw.ir.gates import GATE_BY_NAME
from lgn2hw.ir.netlist import Netlist
from lgn2hw.backend.synth import SYNTH_JSON, SYNTH_MD, synthesize
from lgn2hw.backend.verilog import emit_verilog
from lgn2hw.backend.verilog.wrappers import core_verilog, encoder_verilog, scores_verilog
from lgn2hw.ir.build_dir import BuildOptions

pytestmark = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")

AND = GATE_BY_NAME["and"].id


def _compiled(tmp_path, netlist: Netlist, name: str = "rtl", pipeline: int = 0):
    return compiled_dir(tmp_path, netlist, name, pipeline)


def _and_per_output() -> Netlist:
    """2 classes x 1 output, each output one AND of two inputs: score_c = and, class_id = s1 & ~s0."""
    return Netlist(4, 2, np.array([AND, AND]), np.array([0, 2]), np.array([1, 3]), np.array([4, 5]))


def _random(seed: int, n: int = 32, widths=(64, 64), classes: int = 4) -> Netlist:
    return random_gates(seed, n, widths, classes)


def test_single_and_per_output_gives_tiny_exact_count(tmp_path):
    out = _compiled(tmp_path, _and_per_output())
    report = synthesize(out, flows=("generic",), pnr=False)
    full, core, scores = report.get("generic"), report.get("generic", "core"), report.get("generic", "scores")
    assert core.luts == 2  # one LUT per AND
    assert scores.luts == 2  # a popcount of one bit is a wire: no LUT
    assert full.luts == 3  # the two ANDs + class_id = (a1 & b1) & ~(a0 & b0) in one LUT4
    assert full.ffs == 0  # combinational RTL
    assert full.depth is not None and full.depth >= 1
    assert "synth -top lgn_top -lut 6" in full.script
    assert report.yosys_version.startswith("Yosys")
    doc = json.loads((out / SYNTH_JSON).read_text())
    assert doc["table"][0] == {**doc["table"][0], "flow": "generic", "luts": 3, "ffs": 0, "core_luts": 2,
                               "popcount_luts": 0, "argmax_luts": 1, "head_luts": 1, "encoder_luts": None}
    assert "| generic | 3 | 0 | 2 | 0 | 1 | 0 |" in (out / SYNTH_MD).read_text()


def test_larger_netlist_needs_more_luts_all_flows(tmp_path):
    small = synthesize(_compiled(tmp_path, _random(0, widths=(32, 32)), "small"), flows=("generic",), pnr=False)
    big_dir = _compiled(tmp_path, _random(0, widths=(128, 128)), "big")
    big = synthesize(big_dir, flows=("generic", "xilinx", "ice40"))
    assert big.get("generic").luts > small.get("generic").luts > 0
    for flow in ("generic", "xilinx", "ice40"):
        full, core = big.get(flow), big.get(flow, "core")
        assert 0 < core.luts < full.luts
        blocks = big.blocks(flow)
        assert list(blocks) == ["core", "popcount", "argmax"]
        assert sum(b["luts"] for b in blocks.values()) == full.luts
        assert blocks["popcount"]["luts"] > 0 and blocks["argmax"]["luts"] > 0  # 4 classes x 64 outputs
        assert blocks["core"]["depth"] <= blocks["popcount"]["depth"] <= blocks["argmax"]["depth"] == full.depth
        assert full.ffs == 0
    assert big.get("ice40").carries >= 0 and "SB_LUT4" in big.get("ice40").cells
    assert not any(k.startswith(("IBUF", "OBUF", "MUXF")) for k in big.get("xilinx").cells)
    if shutil.which("nextpnr-ice40"):
        assert big.pnr.status == "routed", big.pnr
        assert big.pnr.logic_cells_used > 0 and big.pnr.critical_path_ns > 0
    else:
        assert big.pnr.status == "missing" and "nextpnr-ice40" in big.pnr.detail


def test_pipelined_build_counts_flip_flops_per_flow(tmp_path):
    net = _random(2, n=16, widths=(24, 24), classes=4)
    comb = synthesize(_compiled(tmp_path, net, "comb"), flows=("generic", "ice40"), pnr=False)
    piped = synthesize(_compiled(tmp_path, net, "piped", pipeline=1), flows=("generic", "ice40"), pnr=False)
    for flow in ("generic", "ice40"):
        assert comb.get(flow).ffs == 0
        # at least the valid shift register (LATENCY = 2 core stages + 2) and the 4 x 4-bit output scores
        assert piped.get(flow).ffs >= 4 + 16
        assert piped.table()[[r["flow"] for r in piped.table()].index(flow)]["ffs"] == piped.get(flow).ffs
    assert ", 0 FF" in comb.summary() and f"{piped.get('generic').ffs:,} FF" in piped.summary()


def test_scores_wrapper_and_encoder_block():
    net = _and_per_output()
    text = scores_verilog(net, BuildOptions(), "lgn_top_scores")
    assert ".in_bits(in_bits)" in text and ".class_id(unused_class_id)" in text and "output [1:0] scores" in text  # 2 classes x 1 bit
    assert encoder_verilog(net, BuildOptions(), "e") is None  # no raw-input front end: no encoder block
    net.input_encoding = {"kind": "threshold", "feature": [0, 0, 1, 1], "threshold": [10, 200.5, 0, 255]}
    net.metadata["raw_inputs"] = {"bits": 8, "features": 2, "port": "in_features"}
    options = BuildOptions.from_netlist(net)
    text = encoder_verilog(net, options, "e")
    assert "module e(input [15:0] in_features, output [3:0] in_bits);" in text
    assert "assign in_bits[0] = in_features[7:0] > 8'd10;" in text
    assert "assign in_bits[1] = in_features[7:0] > 8'd200;" in text  # integer raw: > 200.5 == > 200
    assert "assign in_bits[2] = in_features[15:8] > 8'd0;" in text
    assert "assign in_bits[3] = 1'b0;" in text  # nothing exceeds 255 in 8 bits
    assert ".in_features(in_features)" in scores_verilog(net, options, "w")


def test_encoder_block_uses_the_top_modules_comparators():
    """The encoder synthesis counts is the raw front end of the top module, comparator for comparator."""
    net = _and_per_output()
    net.input_encoding = {"kind": "threshold", "feature": [0, 1, 0, 1], "threshold": [3, 250, -1, 99.5]}
    net.metadata["raw_inputs"] = {"bits": 8, "features": 2, "port": "in_features"}
    top = emit_verilog(net, raw_inputs=True)["lgn_top.v"]
    encoder = encoder_verilog(net, BuildOptions.from_netlist(net), "e")
    for i in range(4):
        (rhs,) = re.findall(rf"assign in_bits\[{i}\] = (.*);", encoder)
        assert f"assign x{i} = {rhs};" in top


def test_encoder_block_has_no_comparator_for_a_bit_no_gate_reads():
    """Bits that reach no output get no comparator in the top module (Yosys would drop it anyway), so the
    encoder block must not count one either: otherwise the head (full - core - encoder) comes out short."""
    # score_0 = in0 & in1, score_1 = in0 | in1: in_bits 2 and 3 are read by nothing
    net = Netlist(4, 2, np.array([AND, GATE_BY_NAME["or"].id]), np.array([0, 0]), np.array([1, 1]), np.array([4, 5]))
    net.input_encoding = {"kind": "threshold", "feature": [0, 1, 0, 1], "threshold": [3, 250, 100, 99.5]}
    net.metadata["raw_inputs"] = {"bits": 8, "features": 2, "port": "in_features"}
    encoder = encoder_verilog(net, BuildOptions.from_netlist(net), "e")
    assert "output [1:0] in_bits" in encoder
    assert re.findall(r"assign in_bits\[(\d)\] = (.*);", encoder) == [
        ("0", "in_features[7:2] > 6'd0"), ("1", "in_features[15:8] > 8'd250")]  # x > 3: the top six bits
    top = emit_verilog(net, raw_inputs=True)["lgn_top.v"]
    assert "8'd100" not in top and "6'd24" not in top  # in_bits 2 (x > 100) and 3 (x > 99, x >> 2 > 24)


def test_core_verilog_skips_constant_outputs():
    net = Netlist(2, 2, np.array([AND, GATE_BY_NAME["true"].id]), np.array([0, 0]), np.array([1, 0]), np.array([2, 3]))
    text = core_verilog(net, "m")
    assert "output out_bits" in text and "assign out_bits[0] = g0;" in text and "g1" not in text


def test_cli_summary_and_json(tmp_path):
    out = _compiled(tmp_path, _and_per_output())
    result = CliRunner().invoke(main, ["synth", str(out), "--flow", "generic"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("synth lgn_top") and "generic 3 LUT6, 0 FF (core 2, popcount 0, argmax 1" in result.output
    result = CliRunner().invoke(main, ["synth", str(out), "--flow", "generic", "--json"])
    assert json.loads(result.output)["table"][0]["luts"] == 3


def test_bad_directory(tmp_path):
    with pytest.raises(Lgn2hwError, match="no such directory"):
        synthesize(tmp_path / "missing")
    with pytest.raises(Lgn2hwError, match="netlist.json"):
        synthesize(tmp_path)
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "no such directory" in result.output


def test_missing_yosys_names_debian_package(tmp_path, monkeypatch):
    out = _compiled(tmp_path, _and_per_output())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolError, match="`yosys`"):
        synthesize(out)
    assert not (out / SYNTH_JSON).exists()


def test_timeout_writes_no_report(tmp_path):
    out = _compiled(tmp_path, _and_per_output())
    with pytest.raises(ToolError, match="time limit"):
        synthesize(out, flows=("xilinx",), timeout_s=0.5)
    assert not (out / SYNTH_JSON).exists() and not (out / SYNTH_MD).exists()


def test_ice40_too_many_io_pins_says_does_not_fit(tmp_path):
    if shutil.which("nextpnr-ice40") is None:
        pytest.skip("nextpnr-ice40 not installed")
    rng = np.random.default_rng(1)
    n = 300  # more input pins than the HX8K ct256 package has
    net = Netlist(n, 4, rng.integers(1, 15, 8), rng.integers(0, n, 8), rng.integers(0, n, 8), np.arange(n, n + 8))
    report = synthesize(_compiled(tmp_path, net), flows=("ice40",), split=False)
    assert report.pnr.status == "does not fit" and report.pnr.io_used > n
    assert "IO pins" in report.summary() and "n/a" in (tmp_path / "rtl" / SYNTH_MD).read_text()


def test_progress_names_every_tool_run_in_order(tmp_path):
    out = _compiled(tmp_path, _and_per_output())
    seen: list[str] = []
    synthesize(out, flows=("generic", "ice40"), pnr=True, progress=seen.append)
    runs = [f"yosys {flow} ({variant})" for flow in ("generic", "ice40") for variant in ("full", "scores", "core")]
    assert seen == [f"{what} {i}/7" for i, what in enumerate(runs, 1)] + ["nextpnr-ice40 place and route 7/7"]


def test_front_is_the_encoder_feeding_the_core(tmp_path):
    """front_verilog (encoder and gate core together, what the popcount's cost is counted on) computes the
    netlist's output bits from raw features: Yosys's eval of the flattened front against the Python
    encoding and the netlist simulator, on random features (bits that no gate reads included)."""
    from lgn2hw.backend.verilog.wrappers import front_verilog
    from lgn2hw.ir.encoding import ThresholdEncoding
    from lgn2hw.ir.simulate import Simulator
    from lgn2hw.toolchain.yosys import find_yosys

    yosys = shutil.which("yosys")
    if yosys is None:
        pytest.skip("yosys not installed")
    net = random_gates(3, 12, widths=(10, 8), classes=2)
    rng = np.random.default_rng(0)
    net.input_encoding = {"kind": "threshold", "feature": (np.arange(12) // 3).tolist(),
                          "threshold": rng.integers(0, 255, 12).tolist()}
    net.metadata["raw_inputs"] = {"bits": 8, "features": 4, "port": "in_features"}
    options = BuildOptions.from_netlist(net)
    (tmp_path / "e.v").write_text(encoder_verilog(net, options, "e"))
    (tmp_path / "c.v").write_text(core_verilog(net, "c"))
    (tmp_path / "f.v").write_text(front_verilog(net, options, "f", "e", "c"))
    features = rng.integers(0, 256, (6, 4))
    bits = ThresholdEncoding.from_json(net.input_encoding, num_inputs=12).encode(features).astype(np.uint8)
    expected = Simulator(net).output_bits(bits)
    script = "read_verilog e.v c.v f.v; hierarchy -top f; flatten; proc; opt_clean"
    for row, want in zip(features, expected):
        value = sum(int(x) << (8 * i) for i, x in enumerate(row))
        script += f"; tee -q -a eval.txt eval -set in_features {value} -show out_bits"
    done = find_yosys().run_commands(script, cwd=tmp_path, what="yosys eval")
    assert done.returncode == 0, done.output
    shown = re.findall(r"\\out_bits = (\d+)'([01]+)", (tmp_path / "eval.txt").read_text())
    assert len(shown) == len(features)
    for (width, text), want in zip(shown, expected):
        assert [int(c) for c in reversed(text)] == want.astype(int).tolist()


def test_blocks_are_marginal_in_data_flow_order():
    """Raw-input builds: encoder and core alone, merged = front - encoder - core (what ABC saves across
    their boundary), popcount = scores - front (not scores - core - encoder, which charged the merge to
    the popcount); the entries add up to the full design."""
    from lgn2hw.backend.synth.report import FlowResult, SynthReport

    report = SynthReport("d", "m", "Yosys", 10)
    for variant, luts in (("full", 100), ("scores", 90), ("core", 60), ("encoder", 20), ("front", 70)):
        report.runs.append(FlowResult("generic", variant, luts, 0, 3, {}, 0.1, "", ""))
    blocks = report.blocks("generic")
    assert {name: b["luts"] for name, b in blocks.items()} == {"encoder": 20, "core": 60, "merged": -10,
                                                               "popcount": 20, "argmax": 10}
    (row,) = report.table()
    assert row["core_luts"] == 60 and row["head_luts"] == 30 and row["encoder_luts"] == 20 and row["merged_luts"] == -10
    assert "encoder 20, core 60, merged -10, popcount 20, argmax 10" in report.summary()
    assert sum(b["luts"] for b in blocks.values()) == row["luts"]


def test_a_report_without_the_front_run_keeps_the_encoder_and_the_earlier_split():
    """synth.json of an earlier lgn2hw (encoder but no front run): encoder listed, no merged entry, the
    popcount = scores - core - encoder as it was counted then."""
    from lgn2hw.backend.synth.report import FlowResult, SynthReport

    report = SynthReport("d", "m", "Yosys", 10)
    for variant, luts in (("full", 100), ("scores", 90), ("core", 60), ("encoder", 20)):
        report.runs.append(FlowResult("generic", variant, luts, 0, 3, {}, 0.1, "", ""))
    assert {name: b["luts"] for name, b in report.blocks("generic").items()} == {"encoder": 20, "core": 60,
                                                                                 "popcount": 10, "argmax": 10}
    assert "merged" not in report.markdown() and "encoder LUTs" in report.markdown()
