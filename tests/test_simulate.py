"""The bit-packed reference simulator against a plain per-gate, per-sample evaluation from the gate table."""

from __future__ import annotations

import numpy as np
import pytest

import lgn2hw.ir.simulate as simulate
from lgn2hw.ir.gates import GATES
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator, gate_kernels, pack_bits, packed_scores, unpack_bits
from lgn2hw.ir.synthetic import random_layered


def _reference_outputs(netlist: Netlist, bits: np.ndarray) -> np.ndarray:
    """(samples, outputs) by evaluating every gate's truth table one sample at a time."""
    result = np.empty((bits.shape[0], netlist.outputs.shape[0]), dtype=np.uint8)
    for s, row in enumerate(bits):
        v = [int(x) for x in row]
        for op, a, b in zip(netlist.ops, netlist.a, netlist.b):
            v.append(GATES[int(op)].output(v[int(a)], v[int(b)]))
        result[s] = [v[int(o)] for o in netlist.outputs]
    return result


def _random_dag(rng: np.random.Generator, inputs: int, gates: int, classes: int, k: int) -> Netlist:
    """Arbitrary topology (not layered): every gate reads any earlier signal, outputs anywhere."""
    ops = rng.integers(0, 16, gates).astype(np.uint8)
    a = np.array([rng.integers(0, inputs + i) for i in range(gates)], dtype=np.int64)
    b = np.array([rng.integers(0, inputs + i) for i in range(gates)], dtype=np.int64)
    outputs = rng.integers(0, inputs + gates, size=classes * k).astype(np.int64)
    return Netlist(inputs, classes, ops, a, b, outputs)


def test_every_gate_kernel_matches_its_truth_table():
    kernels = gate_kernels()
    assert len(kernels) == 16
    netlist = Netlist(2, 1, np.arange(16, dtype=np.uint8), np.zeros(16, np.int64), np.ones(16, np.int64), np.arange(2, 18))
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    out = Simulator(netlist).output_bits(bits)
    for g in GATES:
        assert "".join(str(x) for x in out[:, g.id]) == g.truth_table, g.name


@pytest.mark.parametrize("seed", range(20))
def test_random_dags_match_per_gate_reference(seed):
    rng = np.random.default_rng(seed)
    inputs, gates = int(rng.integers(1, 9)), int(rng.integers(1, 80))
    netlist = _random_dag(rng, inputs, gates, 2, int(rng.integers(1, 6)))
    bits = rng.integers(0, 2, size=(int(rng.integers(1, 200)), inputs), dtype=np.uint8)
    expected = _reference_outputs(netlist, bits)
    sim = Simulator(netlist)
    np.testing.assert_array_equal(sim.output_bits(bits), expected)
    np.testing.assert_array_equal(sim.scores(bits), expected.reshape(bits.shape[0], 2, -1).sum(axis=2))


def test_block_boundaries_and_partial_words(monkeypatch):
    """Several sample blocks, the last narrower, and a sample count that is not a multiple of 64."""
    monkeypatch.setattr(simulate, "BLOCK_WORDS", 2)
    rng = np.random.default_rng(7)
    netlist = random_layered(12, 3, 40, 4, seed=3)
    bits = rng.integers(0, 2, size=(64 * 5 + 17, 12), dtype=np.uint8)
    expected = _reference_outputs(netlist, bits)
    np.testing.assert_array_equal(Simulator(netlist).output_bits(bits), expected)
    np.testing.assert_array_equal(Simulator(netlist).scores(bits, batch=100), expected.reshape(-1, 4, 10).sum(axis=2))


def test_wires_of_wires_constants_and_inputs_as_outputs():
    # g0 = TRUE, g1 = a(i0) wire, g2 = b(g1) wire of a wire, g3 = not_a(g2), g4 = FALSE, g5 = and(g2, g0)
    ops = np.array([15, 3, 5, 12, 0, 1], dtype=np.uint8)
    a = np.array([0, 0, 1, 3, 1, 4], dtype=np.int64)
    b = np.array([1, 1, 3, 0, 0, 2], dtype=np.int64)
    netlist = Netlist(2, 2, ops, a, b, np.array([2, 3, 4, 5, 6, 7, 1, 0], dtype=np.int64))
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(Simulator(netlist).output_bits(bits), _reference_outputs(netlist, bits))


def test_pack_unpack_round_trip_and_nonzero_is_one():
    rng = np.random.default_rng(0)
    for samples in (1, 63, 64, 65, 1000):
        bits = rng.integers(0, 2, size=(samples, 9), dtype=np.uint8)
        packed = pack_bits(bits)
        assert packed.shape == (9, -(-samples // 64)) and packed.dtype == np.uint64
        np.testing.assert_array_equal(unpack_bits(packed, samples), bits)
        assert (int(packed[3, 0]) >> 0) & 1 == bits[0, 3]
        np.testing.assert_array_equal(pack_bits(bits * 5), packed)
        np.testing.assert_array_equal(pack_bits(bits.astype(bool)), packed)


def test_packed_scores_large_groups():
    """Groups above 255 bits (the uint8 partial-sum limit): 700 outputs per class."""
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(300, 3 * 700), dtype=np.uint8)
    bits[:5] = 1
    got = packed_scores(pack_bits(bits), 3, 700, 300)
    np.testing.assert_array_equal(got, bits.reshape(300, 3, 700).sum(axis=2))
    assert got[0].tolist() == [700, 700, 700]
