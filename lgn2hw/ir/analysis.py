"""Graph analyses of a netlist with networkx: critical paths, cones, fanout, pipeline cuts, sharing.

What hardware work needs to see in a netlist, answered by networkx algorithms on the netlist's graph
view (``Netlist.to_networkx``), not by hand-written traversals (the hot optimization passes stay on the
arrays): the longest path to each class's outputs (``dag_longest_path``), each class's input cone
(``ancestors``), fanout (``out_degree``), the live gates per logic level and where pipeline cuts of N levels
would fall, how much logic the classes share, and the connected parts that
could be partitioned (``weakly_connected_components``). Only the live logic (what reaches an output
through used operands) is analysed; ignored operands are not edges.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..errors import NetlistError
from ..fsutil import atomic_file
from .gates import GATES
from .netlist import Netlist

MAX_ANALYSIS_GATES = 3_000_000  # a networkx graph costs about 1 kB per node and edge


@dataclass
class ClassPaths:
    """One class's view of the circuit."""

    cls: int
    outputs: int  # output bits summed for the class
    cone_gates: int  # gates in the cone of its outputs
    cone_inputs: int  # input bits its outputs depend on
    critical_path: list[int]  # signal ids, input first, of the longest path to one of its outputs
    depth: int  # gates on that path


@dataclass
class NetlistAnalysis:
    num_inputs: int
    num_classes: int
    live_gates: int
    depth: int
    level_sizes: list[int]  # live gates per logic level 1..depth
    fanout_histogram: dict[int, int]  # fanout -> number of live signals with it
    max_fanout: tuple[int, int]  # (signal id, fanout)
    classes: list[ClassPaths]
    shared_gates: int  # live gates in the cones of two or more classes
    components: int  # weakly connected parts of the live graph
    largest_component: int  # gates in the largest part
    pipeline_cuts: dict[int, list[int]] = field(default_factory=dict)  # N -> live gates per stage

    def summary(self) -> str:
        worst = max(self.classes, key=lambda c: c.depth) if self.classes else None
        return (f"{self.live_gates:,} live gates, depth {self.depth}, max fanout {self.max_fanout[1]} (signal "
                f"{self.max_fanout[0]}), {self.shared_gates:,} gates shared by several classes, "
                f"{self.components} connected part(s)"
                + (f"; deepest class {worst.cls} ({worst.depth} gates)" if worst else ""))

    def to_dict(self) -> dict:
        doc = {k: v for k, v in self.__dict__.items() if k not in ("classes", "fanout_histogram", "pipeline_cuts")}
        doc["classes"] = [c.__dict__ for c in self.classes]
        doc["fanout_histogram"] = {str(k): v for k, v in sorted(self.fanout_histogram.items())}
        doc["pipeline_cuts"] = {str(k): v for k, v in self.pipeline_cuts.items()}
        return doc

    def markdown(self) -> str:
        lines = ["# Netlist analysis", "", self.summary(), "",
                 "| class | outputs | cone gates | cone inputs | critical path (gates) |", "|---:|---:|---:|---:|---:|"]
        lines += [f"| {c.cls} | {c.outputs} | {c.cone_gates:,} | {c.cone_inputs:,} | {c.depth} |" for c in self.classes]
        lines += ["", "Live gates per logic level: " + ", ".join(str(n) for n in self.level_sizes)]
        for n, stages in self.pipeline_cuts.items():
            lines.append(f"Pipeline every {n} levels: {len(stages)} stages of " + ", ".join(str(s) for s in stages) + " gates")
        lines += ["", "Fanout: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.fanout_histogram.items()))]
        return "\n".join(lines) + "\n"


def live_graph(netlist: Netlist) -> nx.DiGraph:
    """The live logic as a DiGraph (signal ids; edges only for operands a gate uses), outputs marked."""
    if netlist.num_gates > MAX_ANALYSIS_GATES:
        raise NetlistError(f"{netlist.num_gates:,} gates: graph analyses hold at most {MAX_ANALYSIS_GATES:,} "
                           "(a networkx graph needs about 1 kB per gate)")
    live = netlist.live_signals()
    graph = netlist.to_networkx()
    n = netlist.num_inputs
    for i in range(netlist.num_gates):  # an operand the op ignores is no dependence
        gate, a, b, s = GATES[int(netlist.ops[i])], int(netlist.a[i]), int(netlist.b[i]), n + i
        if not gate.uses_a and not (a == b and gate.uses_b):
            graph.remove_edge(a, s)
        if not gate.uses_b and a != b:
            graph.remove_edge(b, s)
    return graph.subgraph(np.flatnonzero(live).tolist()).copy()


def analyze(netlist: Netlist, pipeline_levels: tuple[int, ...] = (1, 2, 4)) -> NetlistAnalysis:
    """Every analysis of the module docstring on ``netlist``'s live logic."""
    graph = live_graph(netlist)
    n, k = netlist.num_inputs, netlist.group_size
    gates = [s for s in graph if s >= n]
    levels = netlist.levels()  # the same as the live graph's topological generations, constants at level 1
    depth = int(max((levels[s] for s in gates), default=0))
    level_sizes = [0] * depth
    for s in gates:
        level_sizes[int(levels[s]) - 1] += 1
    fanout = Counter(dict(graph.out_degree()))
    histogram = Counter(fanout.values())
    max_signal = max(fanout, key=lambda s: (fanout[s], -s)) if fanout else 0
    outputs = netlist.outputs.tolist()
    cones: list[set[int]] = []
    classes = []
    for c in range(netlist.num_classes):
        outs = sorted(set(outputs[c * k:(c + 1) * k]))
        cone = set(outs)
        for s in outs:
            cone |= nx.ancestors(graph, s)
        cones.append({s for s in cone if s >= n})
        path = _longest_path_to(graph, cone, outs)
        classes.append(ClassPaths(c, k, len(cones[-1]), sum(1 for s in cone if s < n), path,
                                  sum(1 for s in path if s >= n)))
    owners = Counter(s for cone in cones for s in cone)
    components = [comp for comp in nx.weakly_connected_components(graph) if any(s >= n for s in comp)]
    cuts = {}
    for every in pipeline_levels:
        stages = -(-depth // every) if depth else 0
        cuts[every] = [sum(level_sizes[j * every:(j + 1) * every]) for j in range(stages)]
    return NetlistAnalysis(
        num_inputs=n, num_classes=netlist.num_classes, live_gates=len(gates), depth=depth, level_sizes=level_sizes,
        fanout_histogram=dict(histogram), max_fanout=(int(max_signal), int(fanout.get(max_signal, 0))),
        classes=classes, shared_gates=sum(1 for v in owners.values() if v > 1), components=len(components),
        largest_component=max((sum(1 for s in comp if s >= n) for comp in components), default=0),
        pipeline_cuts=cuts)


def _longest_path_to(graph: nx.DiGraph, cone: set[int], outputs: list[int]) -> list[int]:
    """The longest path (most gates) ending at one of ``outputs``, inside their cone."""
    if not outputs:
        return []
    sub = graph.subgraph(cone)
    sink = "__outputs__"
    view = nx.DiGraph(sub)
    view.add_edges_from((s, sink) for s in outputs)
    path = nx.dag_longest_path(view)
    return [int(s) for s in path if s != sink]


def write_graph(netlist: Netlist, path, kind: str) -> None:
    """The live logic for a viewer: GraphML (yEd, Gephi) or DOT (Graphviz), nodes labelled by gate name."""
    graph = live_graph(netlist)
    n = netlist.num_inputs
    outputs = set(netlist.outputs.tolist())
    for s in graph:
        label = f"i{s}" if s < n else f"g{s - n}:{GATES[int(netlist.ops[s - n])].name}"
        graph.nodes[s].update(label=label, output=s in outputs)
        graph.nodes[s].pop("op", None) if s < n else None
    graph.graph = {"num_inputs": netlist.num_inputs, "num_classes": netlist.num_classes}  # GraphML: scalars only
    if kind == "graphml":
        with atomic_file(path, "wb") as handle:
            nx.write_graphml(graph, handle)
    elif kind == "dot":
        lines = ["digraph lgn {", "  rankdir=LR;"]
        lines += [f'  n{s} [label="{d["label"]}"{", shape=box" if s < n else ""}{", peripheries=2" if d["output"] else ""}];'
                  for s, d in sorted(graph.nodes(data=True))]
        lines += [f"  n{u} -> n{v};" for u, v in sorted(graph.edges())]
        lines.append("}")
        with atomic_file(path) as handle:
            handle.write("\n".join(lines) + "\n")
    else:
        raise ValueError(f"unknown graph format {kind!r}")
