"""The gate netlist IR: a flat, topologically ordered list of two-input gates, and its JSON contract.

Encoding (the ``netlist.json`` contract, docs/netlist-format.md):

* signals ``0 .. num_inputs-1`` are the input bits; gate ``i`` drives signal ``num_inputs + i``;
* gate ``i`` is ``(op, a, b)``: ``op`` is a difflogic gate id (lgn2hw.ir.gates), ``a`` and ``b`` are
  signal ids smaller than the gate's own signal (so the list is a topological order and acyclic);
  ops that ignore an operand still name one;
* ``outputs`` are the signal ids feeding GroupSum, class-major: with ``k = len(outputs) / num_classes``,
  class ``c`` owns ``outputs[c*k:(c+1)*k]`` and its score is the number of those bits that are 1.
  A signal may appear in ``outputs`` more than once; each occurrence counts.

The arrays are numpy (int64 operands, uint8 ops) so that passes and the simulator work per level on
whole arrays: a million-gate network stays a few tens of MB. ``to_networkx()`` gives the same
circuit as a DiGraph (operand order on the edges) for graph analyses and as an independent oracle;
``Netlist.from_networkx()`` takes such a graph back (any node ids and order), so a circuit can be
built or edited as a graph and compiled.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..errors import DataError, NetlistError
from ..fsutil import atomic_file
from . import netlist_json
from .encoding import ThresholdEncoding
from .gates import GATES, NUM_GATES

FORMAT_NAME = netlist_json.FORMAT_NAME
FORMAT_VERSION = netlist_json.FORMAT_VERSION


@dataclass
class Netlist:
    """A frozen Logic Gate Network as a combinational circuit plus its class grouping."""

    num_inputs: int
    num_classes: int
    ops: np.ndarray
    a: np.ndarray
    b: np.ndarray
    outputs: np.ndarray
    input_encoding: dict | None = None
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ops = np.ascontiguousarray(self.ops, dtype=np.uint8)
        self.a = np.ascontiguousarray(self.a, dtype=np.int64)
        self.b = np.ascontiguousarray(self.b, dtype=np.int64)
        self.outputs = np.ascontiguousarray(self.outputs, dtype=np.int64)

    # ----------------------------------------------------------------- shape
    @property
    def num_gates(self) -> int:
        return int(self.ops.shape[0])

    @property
    def num_signals(self) -> int:
        return self.num_inputs + self.num_gates

    @property
    def group_size(self) -> int:
        """Output bits per class (k)."""
        return int(self.outputs.shape[0]) // self.num_classes

    def copy(self, **changes) -> Netlist:
        """A copy with some fields replaced; arrays not replaced are copied, never shared."""
        fields = dict(
            num_inputs=self.num_inputs,
            num_classes=self.num_classes,
            ops=self.ops.copy(),
            a=self.a.copy(),
            b=self.b.copy(),
            outputs=self.outputs.copy(),
            input_encoding=json.loads(json.dumps(self.input_encoding)) if self.input_encoding else None,
            metadata=json.loads(json.dumps(self.metadata)),
        )
        fields.update(changes)
        return Netlist(**fields)

    # ------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise NetlistError unless the netlist satisfies every rule of the encoding above."""
        n, g = self.num_inputs, self.num_gates
        if not isinstance(n, int) or n < 1:
            raise NetlistError(f"num_inputs must be a positive integer, got {n!r}")
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise NetlistError(f"num_classes must be a positive integer, got {self.num_classes!r}")
        if not (self.a.shape == self.b.shape == self.ops.shape == (g,)):
            raise NetlistError("ops, a and b must be 1-D arrays of the same length")
        if g and int(self.ops.max()) >= NUM_GATES:
            i = int(np.argmax(self.ops >= NUM_GATES))
            raise NetlistError(f"gate {i}: unknown gate id {int(self.ops[i])} (valid ids are 0..15)")
        own = n + np.arange(g, dtype=np.int64)
        for name, operand in (("a", self.a), ("b", self.b)):
            bad = (operand < 0) | (operand >= own)
            if bad.any():
                i = int(np.argmax(bad))
                raise NetlistError(
                    f"gate {i} (signal {n + i}): operand {name}={int(operand[i])} is a forward reference, "
                    f"a cycle or out of range (operands must be signals 0..{n + i - 1})"
                )
        if self.outputs.ndim != 1 or self.outputs.shape[0] == 0:
            raise NetlistError("outputs must be a non-empty list of signal ids")
        bad = (self.outputs < 0) | (self.outputs >= self.num_signals)
        if bad.any():
            i = int(np.argmax(bad))
            raise NetlistError(f"outputs[{i}]={int(self.outputs[i])} names no signal (0..{self.num_signals - 1})")
        if self.outputs.shape[0] % self.num_classes:
            raise NetlistError(
                f"{self.outputs.shape[0]} outputs cannot be split into {self.num_classes} equal class groups"
            )
        if self.input_encoding is not None:
            _validate_encoding(self.input_encoding, n)

    # ---------------------------------------------------------------- levels
    def levels(self) -> np.ndarray:
        """Logic level of every signal: inputs are 0, a gate is 1 + the deeper of the operands it uses.

        Computed by relaxation, one whole-array step per level (depth is small in LGNs).
        """
        uses_a = _USES_A[self.ops]
        uses_b = _USES_B[self.ops]
        level = np.zeros(self.num_signals, dtype=np.int64)
        gate_level = np.ones(self.num_gates, dtype=np.int64)
        while True:
            level[self.num_inputs :] = gate_level
            new = 1 + np.maximum(np.where(uses_a, level[self.a], 0), np.where(uses_b, level[self.b], 0))
            if np.array_equal(new, gate_level):
                return level
            gate_level = new

    def depth(self) -> int:
        return int(self.levels().max(initial=0))

    def gates_by_level(self) -> list[np.ndarray]:
        """Gate indices grouped by logic level (1, 2, ...), ascending index within a level.

        A gate's used operands lie on strictly lower levels, so processing these groups in order sees
        every used operand final before its readers: one whole-array step per level.
        """
        if self.num_gates == 0:
            return []
        level = self.levels()[self.num_inputs :]
        order = np.argsort(level, kind="stable")
        bounds = np.flatnonzero(np.diff(level[order])) + 1
        return np.split(order, bounds)

    def live_signals(self, signals: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask over all signals: True for ``signals`` (default: the outputs) and everything in
        their fan-in through the operands the gates actually use (``uses_a``/``uses_b``)."""
        n = self.num_inputs
        live = np.zeros(self.num_signals, dtype=bool)
        live[self.outputs if signals is None else np.asarray(signals, dtype=np.int64)] = True
        for idx in reversed(self.gates_by_level()):
            idx = idx[live[n + idx]]
            op = self.ops[idx]
            live[self.a[idx[_USES_A[op]]]] = True
            live[self.b[idx[_USES_B[op]]]] = True
        return live

    # ------------------------------------------------------------- text dump
    def dump(self) -> str:
        """Deterministic text form, one gate a line (``g12 = xor(i3, g7)``), for golden tests and diffs."""
        names = self.signal_names()
        lines = [f"netlist inputs={self.num_inputs} classes={self.num_classes} gates={self.num_gates}"]
        for i in range(self.num_gates):
            g = GATES[int(self.ops[i])]
            lines.append(f"{names[self.num_inputs + i]} = {g.name}({names[self.a[i]]}, {names[self.b[i]]})")
        k = self.group_size
        for c in range(self.num_classes):
            outs = ", ".join(names[s] for s in self.outputs[c * k : (c + 1) * k])
            lines.append(f"class {c} = popcount({outs})")
        return "\n".join(lines) + "\n"

    def signal_names(self) -> list[str]:
        return [f"i{s}" for s in range(self.num_inputs)] + [f"g{i}" for i in range(self.num_gates)]

    # -------------------------------------------------------------- networkx
    def to_networkx(self) -> nx.DiGraph:
        """The circuit as a DiGraph: nodes are signal ids with ``kind``/``op``, edges carry the ``port``.

        Where a gate reads the same signal on both ports the edge's ``port`` is ``"ab"``.
        """
        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.num_inputs), kind="input")
        for i in range(self.num_gates):
            s = self.num_inputs + i
            graph.add_node(s, kind="gate", op=int(self.ops[i]))
            a, b = int(self.a[i]), int(self.b[i])
            if a == b:
                graph.add_edge(a, s, port="ab")
            else:
                graph.add_edge(a, s, port="a")
                graph.add_edge(b, s, port="b")
        graph.graph.update(num_inputs=self.num_inputs, num_classes=self.num_classes, outputs=self.outputs.tolist())
        return graph

    @classmethod
    def from_networkx(cls, graph: nx.DiGraph, input_encoding: dict | None = None) -> Netlist:
        """The inverse of ``to_networkx``, for circuits built or edited as graphs (here or by another tool).

        Input nodes (``kind="input"``) must be ``0 .. num_inputs-1``; gate nodes may have any integer ids
        and any insertion order: they are renumbered in a deterministic topological order (ties by
        node id), and ``outputs`` (in ``graph.graph``) follow the renumbering. Every gate needs an ``op``
        and one in-edge per port (``port`` ``"a"`` and ``"b"``, or one ``"ab"`` edge). A cycle, a missing
        port or an unknown op is a NetlistError.
        """
        try:
            num_inputs = int(graph.graph["num_inputs"])
            num_classes = int(graph.graph["num_classes"])
            outputs = [int(s) for s in graph.graph["outputs"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise NetlistError(f"graph needs num_inputs, num_classes and outputs in graph.graph ({exc})") from None
        inputs = sorted(n for n, kind in graph.nodes(data="kind") if kind == "input")
        if inputs != list(range(num_inputs)):
            raise NetlistError(f"input nodes must be 0..{num_inputs - 1}, got {len(inputs)} input nodes")
        try:
            order = [n for n in nx.lexicographical_topological_sort(graph) if graph.nodes[n].get("kind") != "input"]
        except nx.NetworkXUnfeasible:
            raise NetlistError(f"graph has a cycle through signal {nx.find_cycle(graph)[0][0]}") from None
        new_id = {n: n for n in inputs}
        new_id.update({n: num_inputs + i for i, n in enumerate(order)})
        ops, a, b = [], [], []
        for n in order:
            if graph.nodes[n].get("op") is None:
                raise NetlistError(f"gate node {n} has no op")
            edges = [(port, src) for src, _, port in graph.in_edges(n, data="port")]
            ports = dict(edges)
            if "ab" in ports:
                ports = {"a": ports["ab"], "b": ports["ab"]}
            if set(ports) != {"a", "b"} or len(edges) != (1 if "ab" in dict(edges) else 2):
                got = sorted(str(port) for port, _ in edges)
                raise NetlistError(f"gate node {n} needs exactly one in-edge on each of ports a and b (or one 'ab' edge), got {got}")
            op = int(graph.nodes[n]["op"])
            if not 0 <= op < NUM_GATES:
                raise NetlistError(f"gate node {n}: unknown gate id {op} (valid ids are 0..15)")
            ops.append(op)
            a.append(new_id[ports["a"]])
            b.append(new_id[ports["b"]])
        missing = [s for s in outputs if s not in new_id]
        if missing:
            raise NetlistError(f"output signal {missing[0]} is not a node of the graph")
        netlist = cls(
            num_inputs, num_classes, np.asarray(ops, np.int64), np.asarray(a, np.int64), np.asarray(b, np.int64),
            np.asarray([new_id[s] for s in outputs], np.int64), input_encoding,
        )
        netlist.validate()
        return netlist

    # ------------------------------------------------------------------ JSON
    # The contract's one reader and writer live in netlist_json.py; these are the short names.
    def to_json_dict(self) -> dict:
        return netlist_json.to_doc(self)

    def to_json(self) -> str:
        """Canonical JSON text: one gate a line, sorted metadata keys; identical netlists give identical bytes."""
        return netlist_json.dumps(self)

    def save(self, path: str | os.PathLike) -> None:
        self.validate()
        with atomic_file(path) as handle:
            handle.write(self.to_json())

    def sha256(self) -> str:
        return netlist_json.sha256(self)

    @classmethod
    def from_json_dict(cls, doc: dict, source: str = "netlist") -> Netlist:
        """A netlist from a parsed netlist.json document, checked strictly (netlist_json.from_doc)."""
        return netlist_json.from_doc(doc, source)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Netlist:
        """Read a netlist.json file with the strict reader (netlist_json.read)."""
        return netlist_json.read(path)


_USES_A = np.array([g.uses_a for g in GATES], dtype=bool)
_USES_B = np.array([g.uses_b for g in GATES], dtype=bool)


def _validate_encoding(encoding: dict, num_inputs: int) -> None:
    try:
        ThresholdEncoding.from_json(encoding, num_inputs=num_inputs)
    except DataError as exc:
        raise NetlistError(str(exc)) from None
