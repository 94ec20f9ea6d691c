"""Optimization passes: gate count before, equivalence (exhaustive or random vectors), gate count after.

Hand-built cases pin down what each pass rewrites; hypothesis-generated netlists (constants, wires,
inverters, repeated and input outputs) check every pass and every optimization level for bit-exact
equivalence on all 2^N input vectors, for not mutating their input, for determinism, and for
reporting a change exactly when they made one.
"""

from __future__ import annotations

import importlib
import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgn2hw.errors import NetlistError
from lgn2hw.ir.gates import FALSE, GATE_BY_NAME, GATES, NOT_A, NOT_B, PASS_A, PASS_B, TRUE
from lgn2hw.ir.netlist import Netlist
from lgn2hw.passes import LEVELS, PASSES, PassResult, check_equivalent, const_fold, dead_gates, inverter_absorb, merge, optimize, same_operand, wire_collapse
from lgn2hw.passes import registry
from lgn2hw.passes.base import IS_CONSTANT, USES_A, USES_B
from lgn2hw.passes.merge import canonical_form
from lgn2hw.ir.simulate import Simulator
from lgn2hw.ir.synthetic import random_layered

# The package exports each pass function under its module's name; the module itself via importlib.
merge_module = importlib.import_module("lgn2hw.passes.merge")
OP = {name: g.id for name, g in GATE_BY_NAME.items()}


# ----------------------------------------------------------------------------------------- helpers
def build(num_inputs: int, gates: list[tuple[str, int, int]], outputs: list[int], num_classes: int = 1) -> Netlist:
    """Netlist from (op name, a, b) triples; signals 0..N-1 are inputs, gate i is signal N+i."""
    ops = [OP[name] for name, _, _ in gates]
    netlist = Netlist(
        num_inputs,
        num_classes,
        np.array(ops, dtype=np.uint8),
        np.array([a for _, a, _ in gates], dtype=np.int64),
        np.array([b for _, _, b in gates], dtype=np.int64),
        np.array(outputs, dtype=np.int64),
    )
    netlist.validate()
    return netlist


def assert_equivalent(before: Netlist, after: Netlist, vectors: int = 2048) -> None:
    result = check_equivalent(before, after, vectors=vectors, seed=7)
    assert result, f"{result}; inputs {result.counterexample}\nbefore:\n{before.dump()}after:\n{after.dump()}"


def run(fn, netlist: Netlist) -> PassResult:
    """Run a pass and check the contract every pass keeps: valid output, input untouched, honest flag."""
    snapshot = netlist.to_json()
    result = fn(netlist)
    assert netlist.to_json() == snapshot, "pass mutated its input"
    result.netlist.validate()
    assert result.netlist.num_inputs == netlist.num_inputs
    assert result.netlist.outputs.shape == netlist.outputs.shape
    assert all(v >= 0 for v in result.changes.values())
    assert result.changed == (result.netlist.to_json() != snapshot), (fn.__name__, result.changes)
    return result


def used_readers(netlist: Netlist) -> np.ndarray:
    """Signals read through a used operand or by an output."""
    read = np.zeros(netlist.num_signals, dtype=bool)
    read[netlist.outputs] = True
    read[netlist.a[USES_A[netlist.ops]]] = True
    read[netlist.b[USES_B[netlist.ops]]] = True
    return read


@st.composite
def netlists(draw, max_inputs: int = 10, max_gates: int = 30) -> Netlist:
    """Random legal netlists, rich in constants, wires, inverters, repeated operands and deep chains."""
    n = draw(st.integers(1, max_inputs))
    g = draw(st.integers(0, max_gates))
    special = st.sampled_from([FALSE, TRUE, PASS_A, PASS_B, NOT_A, NOT_B])
    op_strategy = st.one_of(st.integers(0, 15), special)
    ops, a, b = [], [], []
    for i in range(g):
        ops.append(draw(op_strategy))
        top = n + i - 1
        # Offsets from the newest signal shrink towards deep chains; sometimes b repeats a.
        ai = top - draw(st.integers(0, top))
        bi = ai if draw(st.integers(0, 4)) == 0 else top - draw(st.integers(0, top))
        a.append(ai)
        b.append(bi)
    classes = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    outputs = draw(st.lists(st.integers(0, n + g - 1), min_size=classes * k, max_size=classes * k))
    netlist = Netlist(n, classes, np.array(ops, np.uint8), np.array(a, np.int64), np.array(b, np.int64), np.array(outputs, np.int64))
    netlist.validate()
    return netlist


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALL_PASSES = sorted(PASSES.items())


# ------------------------------------------------------------------------------------- const_fold
def test_const_fold_and_false_chain_folds_in_one_pass():
    # g0 = false; g1 = and(i0, g0); g2 = and(g1, i1); g3 = xor(g2, i2) = i2; g4 = or(g1, g2) = false
    netlist = build(3, [("false", 0, 0), ("and", 0, 3), ("and", 4, 1), ("xor", 5, 2), ("or", 4, 5)], [6, 7])
    assert netlist.num_gates == 5
    result = run(const_fold, netlist)
    ops = result.netlist.ops.tolist()
    assert ops == [FALSE, FALSE, FALSE, PASS_B, FALSE]
    assert result.changes["gates_to_constant"] == 3
    assert_equivalent(netlist, result.netlist)
    # Constant gates read signal 0; the wire reads only its source.
    assert result.netlist.a.tolist()[:3] == [0, 0, 0] and result.netlist.a[3] == 2 == result.netlist.b[3]
    # Outputs are kept; after pruning only the wire and the constant output's gate remain.
    final = optimize(netlist, level=1).netlist
    assert final.num_gates == 2
    assert_equivalent(netlist, final)
    assert not run(const_fold, result.netlist).changed


def test_const_fold_true_turns_xor_and_nand_into_inverters():
    netlist = build(2, [("true", 1, 0), ("xor", 0, 2), ("nand", 3, 2), ("and", 1, 4), ("or", 2, 5)], [3, 4, 5, 6])
    result = run(const_fold, netlist)
    # xor(x, 1) = ~x, nand(y, 1) = ~y, and(i1, ~~x) stays a real gate, or(1, z) = 1.
    assert result.netlist.ops.tolist() == [TRUE, NOT_A, NOT_A, OP["and"], TRUE]
    assert_equivalent(netlist, result.netlist)
    # At -O2 the inverter pair cancels: and(i1, i0) is all that is left besides the constant.
    final = optimize(netlist, level=2).netlist
    assert sorted(final.ops.tolist()) == sorted([OP["and"], TRUE, NOT_A])
    assert_equivalent(netlist, final)


def test_constant_output_bits_stay_outputs_and_keep_scores():
    # Class 0's bits both fold to constants (1 and 0); class 1's bits are the inputs.
    netlist = build(2, [("false", 0, 0), ("and", 0, 2), ("nand", 3, 1), ("and", 3, 0)], [4, 5, 0, 1], num_classes=2)
    for level in LEVELS:
        out = optimize(netlist, level=level).netlist
        assert out.outputs.shape == netlist.outputs.shape
        bits = np.array([[x, y] for x in (0, 1) for y in (0, 1)], dtype=np.uint8)
        np.testing.assert_array_equal(Simulator(out).scores(bits), Simulator(netlist).scores(bits))
        assert_equivalent(netlist, out)
    out = optimize(netlist, level=1).netlist
    const = [int(out.ops[s - out.num_inputs]) for s in out.outputs[:2]]
    assert sorted(const) == [FALSE, TRUE]


# ------------------------------------------------------------------------------------- dead_gates
def test_dead_subgraph_disappears_and_order_is_kept():
    gates = [("and", 0, 1), ("xor", 2, 0), ("or", 3, 0), ("nand", 1, 4), ("xnor", 0, 5)]
    netlist = build(3, gates, [5, 7])  # g2 (signal 5) and g4 (signal 7) are outputs
    assert netlist.num_gates == 5
    result = run(dead_gates, netlist)
    out = result.netlist
    assert out.num_gates == 3  # g0, g2, g4 survive; g1, g3 are dead
    assert result.changes["gates_removed"] == 2
    assert out.ops.tolist() == [OP["and"], OP["or"], OP["xnor"]]
    assert out.outputs.tolist() == [4, 5]
    assert_equivalent(netlist, out)


def test_ignored_operands_keep_nothing_alive():
    # g1 = not_a(i0, g0): g0 is read only through the ignored b; g3 = true(g2, g1) ignores both.
    netlist = build(2, [("xor", 0, 1), ("not_a", 0, 2), ("and", 0, 1), ("true", 4, 3)], [3, 5])
    for fn in (dead_gates, lambda nl: optimize(nl, level=1).netlist, lambda nl: optimize(nl, level=2).netlist):
        out = fn(netlist)
        out = out.netlist if isinstance(out, PassResult) else out
        assert out.num_gates == 2
        assert sorted(out.ops.tolist()) == sorted([NOT_A, TRUE])
        assert_equivalent(netlist, out)
        assert nx.is_directed_acyclic_graph(out.to_networkx())
        # Canonical ignored operands: the constant reads signal 0, the inverter reads i0 twice.
        g = {int(op): (int(a), int(b)) for op, a, b in zip(out.ops, out.a, out.b)}
        assert g[TRUE] == (0, 0) and g[NOT_A] == (0, 0)


def test_dead_gates_removes_everything_when_outputs_are_inputs():
    netlist = build(2, [("and", 0, 1), ("or", 2, 0)], [1, 0, 0, 1], num_classes=2)
    out = run(dead_gates, netlist).netlist
    assert out.num_gates == 0 and out.outputs.tolist() == [1, 0, 0, 1]
    assert_equivalent(netlist, out)


@FAST
@given(netlists(max_gates=40))
def test_dead_gates_matches_networkx_ancestors(netlist):
    graph = netlist.to_networkx()
    # Keep only the edges through operands the reading op uses.
    for u, v, port in list(graph.edges(data="port")):
        op = graph.nodes[v]["op"]
        used = (port in ("a", "ab") and USES_A[op]) or (port in ("b", "ab") and USES_B[op])
        if not used:
            graph.remove_edge(u, v)
    live = set()
    for s in set(netlist.outputs.tolist()):
        live |= nx.ancestors(graph, s) | {s}
    live_gates = sorted(s - netlist.num_inputs for s in live if s >= netlist.num_inputs)
    out = run(dead_gates, netlist).netlist
    assert out.num_gates == len(live_gates)
    np.testing.assert_array_equal(out.ops, netlist.ops[live_gates])
    assert_equivalent(netlist, out)


# ----------------------------------------------------------------------------------- wire_collapse
def test_wire_chain_collapses_to_its_source():
    # g0 = a(i1), g1 = b(g0), g2 = a(g1), g3 = and(g2, i0); outputs name the chain's end twice.
    netlist = build(2, [("a", 1, 0), ("b", 0, 2), ("a", 3, 3), ("and", 4, 0)], [4, 4, 5, 2], num_classes=2)
    result = run(wire_collapse, netlist)
    out = result.netlist
    assert out.outputs.tolist() == [1, 1, 5, 1]
    assert (out.a[3], out.b[3]) == (1, 0)
    # Every operand that named a wire is rewired: g1.b, g2.a, g2.b (inside the chain) and g3.a.
    assert result.changes == {"operands_rewired": 4, "outputs_rewired": 3}
    assert_equivalent(netlist, out)
    assert run(dead_gates, out).netlist.num_gates == 1
    assert not run(wire_collapse, out).changed


# ------------------------------------------------------------------------------------ same_operand
@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_same_operand_every_gate(gate):
    netlist = build(1, [(gate.name, 0, 0)], [1])
    result = run(same_operand, netlist)
    out = result.netlist
    assert_equivalent(netlist, out)
    assert out.ops[0] in (FALSE, TRUE, PASS_A, NOT_A) or not (gate.uses_a and gate.uses_b)
    assert result.changed == (gate.uses_a and gate.uses_b)


def test_same_operand_kinds():
    netlist = build(2, [("xor", 1, 1), ("and", 1, 1), ("nand", 0, 0), ("xnor", 0, 0), ("or", 0, 1)], [2, 3, 4, 5, 6])
    result = run(same_operand, netlist)
    assert result.netlist.ops.tolist() == [FALSE, PASS_A, NOT_A, TRUE, OP["or"]]
    assert result.changes == {"to_constant": 2, "to_wire": 1, "to_inverter": 1}
    assert_equivalent(netlist, result.netlist)


# --------------------------------------------------------------------------------- inverter_absorb
def test_not_not_collapses():
    netlist = build(2, [("not_a", 0, 1), ("not_b", 1, 2), ("and", 3, 1)], [3, 4])
    assert netlist.num_gates == 3
    out = optimize(netlist, level=2).netlist
    assert_equivalent(netlist, out)
    assert out.num_gates == 1 and out.outputs[0] == 0  # NOT(NOT(i0)) is the wire i0
    assert (int(out.ops[0]), int(out.a[0]), int(out.b[0])) == (OP["and"], 0, 1)


def test_inverter_folds_into_reader_and_chains_resolve():
    # g0 = ~i0, g1 = ~g0, g2 = ~g1; g3 = and(g0, i1) -> not_a_and_b(i0, i1); g4 = or(g2, g1) -> or(~i0, i0)
    netlist = build(2, [("not_a", 0, 0), ("not_a", 2, 2), ("not_a", 3, 3), ("and", 2, 1), ("or", 4, 3)], [5, 6])
    result = run(inverter_absorb, netlist)
    out = result.netlist
    assert (int(out.ops[3]), int(out.a[3]), int(out.b[3])) == (OP["not_a_and_b"], 0, 1)
    assert (int(out.a[4]), int(out.b[4])) == (0, 0)
    assert_equivalent(netlist, out)
    final = optimize(netlist, level=2).netlist
    assert final.num_gates == 2  # not_a_and_b(i0, i1) and the constant TRUE = ~i0 | i0
    assert_equivalent(netlist, final)


# ------------------------------------------------------------------------------------------ merge
def test_duplicated_xors_merge_including_mirrored_operands():
    gates = [
        ("xor", 0, 1), ("xor", 1, 0), ("xor", 0, 1),  # identical and mirrored
        ("a_and_not_b", 0, 1), ("not_a_and_b", 1, 0),  # mirror pair via swapped_id
        ("and", 2, 3), ("and", 4, 3),  # identical once their operands merge: cascade
        ("or", 5, 6),
    ]
    netlist = build(2, gates, [2, 3, 4, 5, 6, 7, 8, 9], num_classes=2)
    assert netlist.num_gates == 8
    result = run(merge, netlist)
    out = result.netlist
    assert_equivalent(netlist, out)
    assert out.outputs.tolist() == [2, 2, 2, 5, 5, 7, 7, 9]
    assert result.changes["gates_merged"] == 4  # two xor copies, the mirror, the cascaded and
    pruned = run(dead_gates, out).netlist
    assert pruned.num_gates == 4  # xor, a_and_not_b, and(xor, xor), or(...)
    assert_equivalent(netlist, pruned)
    assert not run(merge, pruned).changed


def test_merge_constants_and_wires():
    netlist = build(2, [("false", 0, 0), ("false", 1, 1), ("true", 0, 1), ("not_b", 0, 1), ("not_a", 1, 0)], [2, 3, 4, 5, 6])
    out = run(merge, netlist).netlist
    assert out.outputs.tolist() == [2, 2, 4, 5, 5]
    assert_equivalent(netlist, out)


def test_merge_sort_key_fallback_gives_the_same_netlist(monkeypatch):
    # Netlists with more than 2^29 signals sort on three keys instead of one packed key.
    netlist = random_layered(16, 4, 400, 4, 11)
    packed = run(merge, netlist)
    monkeypatch.setattr(merge_module, "_SIGNAL_BITS", 3)
    fallback = run(merge, netlist)
    assert fallback.netlist.to_json() == packed.netlist.to_json()
    assert fallback.changes == packed.changes and packed.changes["gates_merged"] > 0


def test_canonical_form_is_idempotent_and_preserves_function():
    ops = np.repeat(np.arange(16, dtype=np.uint8), 4)
    a = np.tile(np.array([0, 1, 1, 0]), 16)
    b = np.tile(np.array([1, 0, 1, 0]), 16)
    c_ops, c_a, c_b = canonical_form(ops, a, b)
    again = canonical_form(c_ops, c_a, c_b)
    for x, y in zip((c_ops, c_a, c_b), again):
        np.testing.assert_array_equal(x, y)
    before = Netlist(2, 1, ops, a, b, np.arange(2, 66))
    after = Netlist(2, 1, c_ops, c_a, c_b, np.arange(2, 66))
    assert_equivalent(before, after)
    both = USES_A[c_ops] & USES_B[c_ops]
    assert (c_a[both] <= c_b[both]).all()


# ----------------------------------------------------------------------- every pass, random netlists
@pytest.mark.parametrize("name,fn", ALL_PASSES, ids=[name for name, _ in ALL_PASSES])
@FAST
@given(netlist=netlists())
def test_pass_is_exact_on_random_netlists(name, fn, netlist):
    result = run(fn, netlist)
    assert result.netlist.num_gates <= netlist.num_gates
    assert_equivalent(netlist, result.netlist)
    # Deterministic: the same input gives byte-identical output.
    assert fn(netlist).netlist.to_json() == result.netlist.to_json()


@pytest.mark.parametrize("name,fn", ALL_PASSES, ids=[name for name, _ in ALL_PASSES])
@pytest.mark.parametrize("seed", [0, 1])
def test_pass_is_exact_on_layered_network(name, fn, seed):
    netlist = random_layered(24, 4, 300, 5, seed)
    before = netlist.num_gates
    result = run(fn, netlist)
    assert result.netlist.num_gates <= before
    assert_equivalent(netlist, result.netlist, vectors=4096)


# --------------------------------------------------------------------------------------- optimize
def assert_fully_optimized(out: Netlist) -> None:
    """What -O2's fixed point guarantees on the live netlist."""
    n = out.num_inputs
    ops = out.ops
    read_a, read_b = out.a[USES_A[ops]], out.b[USES_B[ops]]
    for operand in (read_a, read_b):
        gate = operand[operand >= n] - n
        assert not IS_CONSTANT[ops[gate]].any(), "a used operand is a constant gate"
        assert not np.isin(ops[gate], [PASS_A, PASS_B, NOT_A, NOT_B]).any(), "a gate reads a wire or an inverter"
    assert not np.isin(ops, [PASS_A, PASS_B]).any(), "a pass-through gate survived"
    both = USES_A[ops] & USES_B[ops]
    assert not (both & (out.a == out.b)).any(), "op(x, x) survived"
    keys = set(zip(*canonical_form(ops, out.a, out.b)))
    assert len(keys) == out.num_gates, "structurally identical gates survived"
    assert used_readers(out)[n:].all(), "a dead gate survived"


@pytest.mark.parametrize("level", sorted(LEVELS))
@FAST
@given(netlist=netlists(max_gates=40))
def test_optimize_is_exact_on_random_netlists(level, netlist):
    snapshot = netlist.to_json()
    report = optimize(netlist, level=level)
    out = report.netlist
    assert netlist.to_json() == snapshot
    out.validate()
    assert_equivalent(netlist, out)
    assert out.num_gates <= netlist.num_gates == report.gates_before
    assert report.gates_after == out.num_gates
    assert optimize(netlist, level=level).netlist.to_json() == out.to_json()
    # A fixed point: optimizing again changes nothing.
    again = optimize(out, level=level)
    assert again.netlist.to_json() == out.to_json()
    assert all(not run.changed for run in again.runs)
    if level == 2:
        assert_fully_optimized(out)
    if level >= 1:
        assert used_readers(out)[out.num_inputs :].all()


def test_optimize_level0_is_identity():
    netlist = random_layered(8, 3, 50, 2, 0)
    report = optimize(netlist, level=0)
    assert report.netlist.to_json() == netlist.to_json()
    assert report.netlist is not netlist and report.iterations == 0 and report.runs == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimize_layered_network(seed):
    netlist = random_layered(40, 5, 1000, 10, seed)
    reports = {level: optimize(netlist, level=level) for level in LEVELS}
    assert reports[0].gates_after == 5000
    assert reports[1].gates_after < 5000
    assert reports[2].gates_after < reports[1].gates_after
    for report in reports.values():
        assert_equivalent(netlist, report.netlist, vectors=4096)
    assert_fully_optimized(reports[2].netlist)


def test_report_json_format_and_progress():
    netlist = random_layered(12, 3, 200, 4, 3)
    seen = []
    report = optimize(netlist, level=2, progress=seen.append)
    assert len(seen) == len(report.runs) > 0
    assert [r.name for r in seen[:6]] == list(LEVELS[2])
    doc = json.loads(report.to_json())
    assert doc["gates_before"] == 600 and doc["gates_after"] == report.netlist.num_gates
    assert set(doc["per_pass"]) == set(LEVELS[2])
    assert doc["per_pass"]["dead_gates"]["changes"]["gates_removed"] == 600 - report.netlist.num_gates
    assert doc["iterations"] == report.iterations >= 2
    text = report.format()
    assert text.startswith("optimize -O2: 600 -> ")
    for name in LEVELS[2]:
        assert name in text
    assert "iteration 1 const_fold" in str(seen[0])
    # The last len(passes) runs are the fixed-point check and changed nothing.
    assert not any(r.changed for r in report.runs[-len(LEVELS[2]) :])


def test_manager_names_the_pass_that_breaks_an_invariant(monkeypatch):
    def broken(netlist):
        return PassResult(netlist.copy(a=netlist.a + netlist.num_signals), {"broke": 1})

    def drops_outputs(netlist):
        return PassResult(netlist.copy(outputs=netlist.outputs[:1]), {"dropped": 1})

    monkeypatch.setitem(registry.PASSES, "broken", broken)
    monkeypatch.setitem(registry.PASSES, "drops_outputs", drops_outputs)
    netlist = build(2, [("and", 0, 1), ("or", 0, 2)], [2, 3], num_classes=2)
    with pytest.raises(NetlistError, match="pass broken broke the netlist"):
        optimize(netlist, passes=("const_fold", "broken"))
    with pytest.raises(NetlistError, match="pass drops_outputs broke the netlist"):
        optimize(netlist, passes=("drops_outputs",))
    with pytest.raises(NetlistError, match="unknown optimization level"):
        optimize(netlist, level=7)
    with pytest.raises(NetlistError, match="unknown pass"):
        optimize(netlist, passes=("nope",))


# ------------------------------------------------------------------------------------ equivalence
def test_check_equivalent_finds_a_counterexample():
    netlist = build(3, [("and", 0, 1), ("xor", 3, 2)], [4])
    wrong = netlist.copy(ops=np.array([OP["and"], OP["xnor"]], np.uint8))
    result = check_equivalent(netlist, wrong)
    assert not result and result.exhaustive and result.vectors == 8 and result.output_index == 0
    # Every vector differs, so the first one (all zeros) is the counterexample.
    assert result.counterexample.tolist() == [0, 0, 0]
    # A difference on one vector only: and3 vs false.
    netlist = build(3, [("and", 0, 1), ("and", 3, 2)], [4])
    wrong = netlist.copy(ops=np.array([OP["and"], FALSE], np.uint8))
    result = check_equivalent(netlist, wrong)
    assert not result and result.counterexample.tolist() == [1, 1, 1]
    other = Netlist(3, 1, netlist.ops, netlist.a, netlist.b, np.array([4, 4]))
    assert "interfaces differ" in check_equivalent(netlist, other).reason


def test_check_equivalent_uses_random_vectors_above_16_inputs():
    netlist = random_layered(20, 3, 100, 2, 5)
    result = check_equivalent(netlist, optimize(netlist).netlist, vectors=300, seed=3)
    assert result and not result.exhaustive and result.vectors == 300
    # The all-ones vector is always tried: a 20-input AND differing only there is caught.
    gates = [("and", 0, 1)] + [("and", 20 + i, i + 2) for i in range(18)]
    full_and = build(20, gates, [38])
    never = full_and.copy(ops=np.concatenate([full_and.ops[:-1], [FALSE]]).astype(np.uint8))
    assert not check_equivalent(full_and, never, vectors=10)
