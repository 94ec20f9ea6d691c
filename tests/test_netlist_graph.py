"""Netlist <-> networkx DiGraph: the graph view round-trips, and graphs from elsewhere are checked."""

import networkx as nx
import numpy as np
import pytest

from lgn2hw.errors import NetlistError
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.ir.synthetic import random_layered


def test_round_trip_is_identical():
    netlist = random_layered(20, 3, [30, 30, 20], 4, seed=5)
    back = Netlist.from_networkx(netlist.to_networkx())
    assert back.to_json() == netlist.to_json()


def test_graph_in_any_node_order_and_ids_gives_the_same_function():
    netlist = random_layered(12, 2, [24, 16], 2, seed=1)
    graph = netlist.to_networkx()
    # Renumber gates to sparse ids and rebuild the graph with nodes and edges in reverse order.
    relabel = {s: (s if s < netlist.num_inputs else 1000 + 7 * s) for s in graph.nodes}
    shuffled = nx.DiGraph()
    shuffled.graph.update(graph.graph, outputs=[relabel[s] for s in graph.graph["outputs"]])
    shuffled.add_nodes_from((relabel[n], d) for n, d in reversed(list(graph.nodes(data=True))))
    shuffled.add_edges_from((relabel[u], relabel[v], d) for u, v, d in reversed(list(graph.edges(data=True))))
    back = Netlist.from_networkx(shuffled)
    bits = np.random.default_rng(0).integers(0, 2, size=(500, netlist.num_inputs), dtype=np.uint8)
    assert np.array_equal(Simulator(back).scores(bits), Simulator(netlist).scores(bits))
    assert back.to_json() == Netlist.from_networkx(shuffled).to_json()  # deterministic
    assert back.to_json() == Netlist.from_networkx(graph).to_json()  # whatever the insertion order


def _one_gate_graph():
    graph = nx.DiGraph(num_inputs=2, num_classes=1, outputs=[2])
    graph.add_nodes_from([0, 1], kind="input")
    graph.add_node(2, kind="gate", op=1)
    graph.add_edge(0, 2, port="a")
    graph.add_edge(1, 2, port="b")
    return graph


def test_one_gate_graph_computes_and():
    netlist = Netlist.from_networkx(_one_gate_graph())
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.uint8)
    assert Simulator(netlist).scores(bits)[:, 0].tolist() == [0, 0, 0, 1]


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda g: g.add_edge(2, 0, port="a"), "cycle"),
        (lambda g: g.remove_edge(1, 2), "ports a and b"),
        (lambda g: (g.add_node(3, kind="gate", op=1), g.add_edge(0, 3, port="ab"), g.add_edge(3, 2, port="a")), "got \\['a', 'a', 'b'\\]"),
        (lambda g: g.edges[0, 2].update(port="ab"), "got \\['ab', 'b'\\]"),
        (lambda g: g.nodes[2].update(op=300), "unknown gate id 300"),
        (lambda g: g.nodes[2].pop("op"), "has no op"),
        (lambda g: g.graph.update(outputs=[9]), "output signal 9"),
        (lambda g: g.graph.pop("num_classes"), "num_classes"),
        (lambda g: g.add_node(5, kind="input"), "input nodes must be 0..1"),
    ],
)
def test_bad_graphs_are_rejected(breakage, message):
    graph = _one_gate_graph()
    breakage(graph)
    with pytest.raises(NetlistError, match=message):
        Netlist.from_networkx(graph)
