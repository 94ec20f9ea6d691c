"""The LUT6 estimate (lgn2hw.backend.synth.estimate): cone packing on hand-made netlists, the counter
tree against the head the back end emits, and the whole estimate against Yosys on a real design."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from helpers import random_gates
from lgn2hw.backend.synth import synthesize
from lgn2hw.backend.synth.estimate import estimate_luts, pack_cones, popcount_luts
from lgn2hw.backend.verilog.heads import compressor_tree
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.gates import GATE_BY_NAME
from lgn2hw.ir.netlist import Netlist

AND, OR, XOR, NOT_A, A = (GATE_BY_NAME[n].id for n in ("and", "or", "xor", "not_a", "a"))


def _chain(num_inputs: int) -> Netlist:
    """g0 = in0 & in1, g_k = g_(k-1) ^ in_(k+1): one output reading every input through a chain."""
    ops, a, b = [AND], [0], [1]
    for k in range(1, num_inputs - 1):
        ops.append(XOR)
        a.append(num_inputs + k - 1)
        b.append(k + 1)
    out = num_inputs + len(ops) - 1
    return Netlist(num_inputs, 1, np.array(ops), np.array(a), np.array(b), np.array([out]))


def test_a_chain_of_six_inputs_is_one_lut_and_seven_need_two():
    for inputs, luts in ((2, 1), (6, 1), (7, 2), (11, 2), (12, 3)):
        net = _chain(inputs)
        assert pack_cones(net, net.live_signals()) == (0, luts), inputs


def test_a_gate_read_twice_roots_its_own_lut_and_free_gates_cost_nothing():
    # g0 = in0 & in1 is read by g1 and g2; g3 = not g1 (free); outputs g2 and g3
    net = Netlist(4, 2, np.array([AND, OR, XOR, NOT_A]), np.array([0, 4, 4, 5]), np.array([1, 2, 3, 0]),
                  np.array([6, 7]))
    assert pack_cones(net, net.live_signals()) == (0, 3)  # g0, g1 (through the inverter), g2
    wire = Netlist(2, 1, np.array([A]), np.array([0]), np.array([1]), np.array([2]))
    assert pack_cones(wire, wire.live_signals()) == (0, 0)


def test_comparators_merge_into_the_gate_that_alone_reads_them():
    """x > 127 is a wire, x > 63 two bits: read by one gate it merges into that gate's LUT; read by two
    gates it is a LUT of its own (the encoder's count)."""
    # in0 = f0 > 63 (bits 7, 6), in1 = f1 > 127 (bit 7), in2 = f2 > 63; g0 = in0 & in1, g1 = in2 & in1,
    # g2 = in2 | in1: in2 has two readers
    net = Netlist(3, 3, np.array([AND, AND, OR]), np.array([0, 2, 2]), np.array([1, 1, 1]), np.array([3, 4, 5]))
    support = [frozenset({("raw", 0, 7), ("raw", 0, 6)}), frozenset({("raw", 1, 7)}),
               frozenset({("raw", 2, 7), ("raw", 2, 6)})]
    assert pack_cones(net, net.live_signals(), support) == (1, 3)


def test_popcount_count_is_the_emitted_counter_tree():
    for bits, width in ((3, 2), (40, 6), (100, 7), (800, 10)):
        wires, _ = compressor_tree("p", [f"x{i}" for i in range(bits)], width)
        assert popcount_luts(bits, width) == sum(w.width for w in wires) + width
    # against Yosys 0.23 synth -lut 6 of one group alone (docs/synthesis.md: 107, 420, 821 LUT6)
    assert [popcount_luts(k, w) for k, w in ((100, 7), (400, 9), (800, 10))] == [109, 411, 821]


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_estimate_is_within_a_third_of_yosys_on_a_compiled_design(tmp_path):
    source = tmp_path / "net.json"
    random_gates(3, 96, widths=(400, 400, 200), classes=10).save(source)
    compiled = compile_source(source, tmp_path / "rtl", check_vectors=0)
    estimate = estimate_luts(compiled.netlist)
    assert estimate.encoder == 0 and estimate.total == estimate.core + estimate.popcount + estimate.argmax
    counted = synthesize(tmp_path / "rtl", flows=("generic",), split=False, pnr=False).table()[0]["luts"]
    assert abs(estimate.total - counted) <= counted / 3, (estimate.to_json(), counted)
