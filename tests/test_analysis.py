"""Graph analyses (lgn2hw/ir/analysis.py, ``lgn2hw analyze``) against hand-checked circuits and the arrays."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np

from helpers import assert_one_line_error, invoke
from lgn2hw.ir.analysis import analyze, live_graph, write_graph
from lgn2hw.ir.gates import GATE_BY_NAME
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.synthetic import random_layered

AND, XOR, OR, NOT_A, TRUE = (GATE_BY_NAME[n].id for n in ("and", "xor", "or", "not_a", "true"))


def _chain() -> Netlist:
    """4 inputs; class 0 sums g2 = or(and(i0, i1), i2) and g3 = not_a(i3, i0); class 1 sums g4 = xor(g2, g3)
    and g5 = true. The not_a ignores its b operand (i0), the true gate both operands."""
    ops = np.array([AND, XOR, OR, NOT_A, XOR, TRUE])
    a = np.array([0, 0, 4, 3, 6, 0])
    b = np.array([1, 1, 2, 0, 7, 0])
    return Netlist(4, 2, ops, a, b, np.array([6, 7, 8, 9]))


def test_hand_checked_circuit():
    result = analyze(_chain(), pipeline_levels=(1, 2))
    # live: g0 (and), g2 (or), g3 (not_a), g4 (xor), g5 (true); g1 feeds nothing
    assert result.live_gates == 5 and result.depth == 3
    assert result.level_sizes == [3, 1, 1]  # g0, g3, g5 | g2 | g4
    c0, c1 = result.classes
    assert (c0.cone_gates, c0.cone_inputs, c0.depth) == (3, 4, 2)  # g0, g2, g3 over i0..i3 (i0 via g0 only)
    assert c0.critical_path == [0, 4, 6]  # i0 -> g0 -> g2 (first of the longest paths)
    assert (c1.cone_gates, c1.depth) == (5, 3) and c1.critical_path[-1] == 8
    assert result.shared_gates == 3  # g0, g2, g3 are in both cones
    assert result.pipeline_cuts == {1: [3, 1, 1], 2: [4, 1]}


def test_ignored_operands_are_no_edges():
    graph = live_graph(_chain())
    assert not graph.has_edge(0, 7)  # not_a(i3, i0) does not read i0
    assert graph.has_edge(3, 7) and not any(graph.has_edge(u, 9) for u in graph)  # true reads nothing


def test_levels_and_cones_agree_with_the_arrays_on_a_random_network():
    netlist = random_layered(48, 4, 60, 4, seed=5)
    result = analyze(netlist)
    live = netlist.live_signals()
    levels = netlist.levels()
    assert result.live_gates == int(live[netlist.num_inputs:].sum())
    assert result.depth == int(levels[live].max())
    k = netlist.group_size
    for c in result.classes:
        cone = netlist.live_signals(netlist.outputs[c.cls * k:(c.cls + 1) * k])
        assert c.cone_gates == int(cone[netlist.num_inputs:].sum())
        assert c.depth == max(int(levels[s]) for s in netlist.outputs[c.cls * k:(c.cls + 1) * k])


def test_graph_files_and_the_cli(tmp_path):
    netlist = _chain()
    source = tmp_path / "n.json"
    netlist.save(source)
    result = invoke("analyze", source, "--graphml", tmp_path / "g.graphml", "--dot", tmp_path / "g.dot", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["live_gates"] == 5 and len(doc["classes"]) == 2
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.number_of_nodes() == 9 and graph.nodes["8"]["label"] == "g4:xor"
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph lgn {") and "n4 -> n6;" in dot
    # an existing file is never overwritten
    assert_one_line_error(invoke("analyze", source, "--dot", tmp_path / "g.dot"), "g.dot")
    write_graph(netlist, tmp_path / "again.dot", "dot")
    assert (tmp_path / "again.dot").read_text() == dot
