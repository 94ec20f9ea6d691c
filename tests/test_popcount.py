"""The popcount head: the counter (compressor) tree is bit-exact and cheaper in LUTs than the adder tree."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess

import numpy as np
import pytest

from lgn2hw.backend.verilog import emit_verilog, pipeline_latency, write_rtl
from lgn2hw.backend.verilog.heads import COUNTER_INPUTS, compressor_tree
from lgn2hw.ir.gates import GATES
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.check.cosim import verify_rtl

TRUE = next(g.id for g in GATES if g.is_constant and g.output(0, 0) == 1)
FALSE = next(g.id for g in GATES if g.is_constant and g.output(0, 0) == 0)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed")
    return path


def _eval_tree(leaves: int, width: int, offset: int, values: np.ndarray, first_inputs: int = COUNTER_INPUTS) -> np.ndarray:
    """Evaluate the compressor tree's wires in Python on rows of leaf values (an independent reading of
    the emitted expressions: '+' of 1-bit operands, bit selects, concatenations, truncation to width)."""
    names = [f"l{i}" for i in range(leaves)]
    wires, expr = compressor_tree("t", names, width, offset, first_inputs=first_inputs)
    env = {name: values[:, i].astype(np.int64) for i, name in enumerate(names)}

    def operand(text: str) -> np.ndarray:
        text = text.strip()
        if m := re.fullmatch(r"\{(\d+)'b0, (\S+)\}", text):
            return operand(m.group(2))
        if m := re.fullmatch(r"(\w+)\[(\d+)\]", text):
            return (env[m.group(1)] >> int(m.group(2))) & 1
        if m := re.fullmatch(r"(\d+)'d(\d+)", text):
            return np.full(values.shape[0], int(m.group(2)), dtype=np.int64)
        if text == "1'b0":
            return np.zeros(values.shape[0], dtype=np.int64)
        if text.startswith("{"):  # a row: MSB first
            bits = [operand(b) for b in text[1:-1].split(", ")]
            return sum(b << j for j, b in enumerate(reversed(bits)))
        return env[text]

    def value(text: str, w: int) -> np.ndarray:
        text = re.sub(r"^\((.*)\) \| \d+'b0$", r"\1", text)  # the settle OR is a no-op
        return sum(operand(t) for t in text.split(" + ")) & ((1 << w) - 1)

    for wire in wires:
        env[wire.name] = value(wire.expr, wire.width)
    return value(expr, width)


@pytest.mark.parametrize("leaves", list(range(1, 15)))
def test_compressor_tree_counts_exhaustively(leaves):
    """Every input pattern of up to 14 bits, with and without a constant offset."""
    values = np.array(list(itertools.product((0, 1), repeat=leaves)), dtype=np.int64)
    for offset in (0, 3):
        width = (leaves + offset).bit_length()
        got = _eval_tree(leaves, width, offset, values)
        assert np.array_equal(got, values.sum(axis=1) + offset)


@pytest.mark.parametrize("leaves", [15, 36, 37, 100, 255, 256, 800])
def test_compressor_tree_counts_random_patterns(leaves):
    rng = np.random.default_rng(leaves)
    values = (rng.random((4000, leaves)) < rng.random((4000, 1))).astype(np.int64)  # all densities
    values[0], values[1] = 0, 1  # the extremes: 0 and all ones (the top column)
    width = leaves.bit_length()
    assert np.array_equal(_eval_tree(leaves, width, 0, values), values.sum(axis=1))


@pytest.mark.parametrize("first_inputs", [3, 4, 5])
def test_smaller_first_stage_counters_count_exactly(first_inputs):
    """The first-stage counter size head_luts.py's merge experiment uses (3: full adders) stays exact."""
    for leaves in (3, 7, 12):
        values = np.array(list(itertools.product((0, 1), repeat=leaves)), dtype=np.int64)
        got = _eval_tree(leaves, (leaves + 2).bit_length(), 2, values, first_inputs=first_inputs)
        assert np.array_equal(got, values.sum(axis=1) + 2)
    rng = np.random.default_rng(first_inputs)
    values = (rng.random((2000, 800)) < rng.random((2000, 1))).astype(np.int64)
    values[0], values[1] = 0, 1
    assert np.array_equal(_eval_tree(800, 10, 0, values, first_inputs=first_inputs), values.sum(axis=1))
    wires, _ = compressor_tree("t", [f"l{i}" for i in range(800)], 10, first_inputs=first_inputs)
    first = [w for w in wires if "_s1_" in w.name]
    assert first and all(len(w.expr.split(" + ")) <= first_inputs for w in first)


def test_every_counter_has_at_most_six_inputs_and_trimmed_width():
    wires, _ = compressor_tree("t", [f"l{i}" for i in range(800)], 10)
    for wire in wires:
        operands = re.sub(r"^\((.*)\) \| \d+'b0$", r"\1", wire.expr).split(" + ")
        assert 3 <= len(operands) <= COUNTER_INPUTS
        assert wire.width <= len(operands).bit_length()  # each output bit: one function of <= 6 bits
    # the counters near the top are cut to the score width: no bit at or above 2**10 is computed
    assert all(int(m) < 10 for w in wires for m in re.findall(r"_c(\d+)_", w.name))


def _head_netlist(groups: list[int], constants: list[int]) -> Netlist:
    """Outputs are input bits directly (class c: groups[c] of them) plus constant TRUE outputs."""
    n = sum(groups)
    k = max(g + c for g, c in zip(groups, constants))
    ops, outputs, s = [TRUE, FALSE], [], 0
    for g, c in zip(groups, constants):
        outputs += list(range(s, s + g)) + [n] * c + [n + 1] * (k - g - c)
        s += g
    return Netlist(n, len(groups), np.array(ops), np.zeros(2, np.int64), np.zeros(2, np.int64), np.array(outputs))


def test_compressor_rtl_is_bit_exact_exhaustively(tmp_path):
    """In Icarus: every input pattern of a 3-class head (7 + 3 + 2 bits, offsets, ties everywhere)."""
    _require("iverilog")
    netlist = _head_netlist([7, 3, 2], [1, 3, 0])
    bits = np.array(list(itertools.product((0, 1), repeat=netlist.num_inputs)), dtype=np.uint8)
    paths = write_rtl(netlist, tmp_path / "rtl")
    assert "pc0_s1_c0_0" in paths[0].read_text()  # the compressor is what is simulated
    result = verify_rtl(netlist, paths, bits, work_dir=tmp_path / "v")
    assert result.passed, result.first_mismatches


def test_compressor_and_adder_heads_give_the_same_scores(tmp_path):
    """A 2-class head of 40 + 37 bits on random and extreme vectors, both popcount kinds, and a
    pipelined build: all match the Python reference."""
    _require("iverilog")
    netlist = _head_netlist([40, 37], [0, 2])
    rng = np.random.default_rng(5)
    bits = (rng.random((600, netlist.num_inputs)) < rng.random((600, 1))).astype(np.uint8)
    bits[0], bits[1] = 0, 1
    for kind, pipeline in (("compressor", 0), ("adder", 0), ("compressor", 2)):
        paths = write_rtl(netlist, tmp_path / f"{kind}{pipeline}", popcount=kind, pipeline=pipeline)
        latency = pipeline_latency(netlist, pipeline)
        result = verify_rtl(netlist, paths, bits, work_dir=tmp_path / f"v{kind}{pipeline}", latency=latency)
        assert result.passed, (kind, pipeline, result.first_mismatches)
    assert Simulator(netlist).scores(bits[1:2]).tolist() == [[40, 39]]


def test_unknown_popcount_kind_is_refused():
    from lgn2hw.errors import EmitError

    with pytest.raises(EmitError, match="popcount must be one of compressor, lut4, carry4, ccu2c, adder, got .wallace."):
        emit_verilog(_head_netlist([3], [0]), popcount="wallace")


def test_compressor_costs_at_most_0p7_of_the_behavioural_sum(tmp_path):
    """The issue's target in the generic LUT6 flow, on one 200-bit group: the counter tree <= 0.7 x a
    behavioural for-loop sum (which Yosys maps like our earlier adder tree)."""
    yosys = _require("yosys")
    k = 200
    ours = tmp_path / "ours.v"
    ours.write_text(emit_verilog(_head_netlist([k], [0]), module_name="ours")["ours.v"])
    beh = tmp_path / "beh.v"
    beh.write_text(
        f"module beh(input wire [{k - 1}:0] in_bits, output reg [7:0] score);\n"
        "integer i;\n"
        f"always @* begin score = 8'd0; for (i = 0; i < {k}; i = i + 1) score = score + {{7'd0, in_bits[i]}}; end\n"
        "endmodule\n"
    )
    counts = {}
    for top, path in (("ours", ours), ("beh", beh)):
        stat = tmp_path / f"{top}.stat"
        script = f"read_verilog {path}; synth -top {top} -lut 6; tee -q -o {stat} stat"
        subprocess.run([yosys, "-q", "-p", script], check=True, capture_output=True)
        counts[top] = int(re.search(r"\$lut\s+(\d+)", stat.read_text()).group(1))
    assert counts["ours"] <= 0.7 * counts["beh"], counts
