"""The decomposition of a proof, computed from the two netlists alone: pure (no files, no tools, no Verilog).

The emitted RTL sums, at every output position j, a *leaf*: an input bit, a constant folded into the
class's offset (an output driven by a constant gate), or a gate wire ``gI`` (docs/verilog-interface.md).
Step A proves a's leaf equal to b's leaf at every position where they are not the same input bit or
constant. Step B then cuts both designs at their gate-wire leaves; leaves that step A ties together
form one *cut class* and take one value: the input bit or constant of the class when it has one, else
a free variable ``v[i]``. ``plan_proof`` computes all of this once, as a frozen ProofPlan that the
obligations (Yosys scripts and miter wrappers) and the driver read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from networkx.utils import UnionFind

from ...backend.verilog.miters import MITER_MODULES, TopPorts
from ...errors import ConfigError
from ...ir.gates import GATES
from ...ir.netlist import Netlist

GOLD_MODULE = "lgn2hw_formal_a"
GATE_MODULE = "lgn2hw_formal_b"


class Leaf(NamedTuple):
    """A summed bit or a cut value: ("in", s) input bit s, ("const", 0/1), ("wire", "gI") gate wire,
    ("var", i) free variable i of step B."""

    kind: str
    value: int | str


Node = tuple  # (side "a"/"b", kind, value): one design's leaf, a member of a cut class


@dataclass(frozen=True)
class CutClass:
    """Leaves of a and b that step A shows equal, and the one value they take in step B."""

    members: tuple[Node, ...]  # sorted
    value: Leaf  # an input bit or constant of the class, else ("var", i)
    conflict: bool = False  # two different input bits / constants in one class: step A must fail


@dataclass(frozen=True)
class ProofPlan:
    """Everything the proof of ``module_a`` against ``module_b`` compares, cuts and numbers."""

    module_a: str
    module_b: str
    ports: TopPorts  # the interface both top modules share (widths from the Verilog back end)
    leaves_a: tuple[Leaf, ...]  # per output position: what a's RTL sums there
    leaves_b: tuple[Leaf, ...]
    positions: tuple[int, ...]  # output positions step A compares (leaves differ or are gate wires)
    wires_a: tuple[str, ...]  # a's gate wires that are leaves: exposed (step A), then cut (step B)
    wires_b: tuple[str, ...]
    classes: tuple[CutClass, ...]  # in variable order: first output position of a's side
    cut_a: tuple[tuple[str, Leaf], ...]  # (wire, value in step B) for every wire of wires_a
    cut_b: tuple[tuple[str, Leaf], ...]
    num_vars: int  # free variables v[0..num_vars-1] of step B

    @property
    def num_classes(self) -> int:
        return self.ports.num_classes

    @property
    def score_wires(self) -> tuple[str, ...]:
        """The emitter's class-score wires, where step C cuts both designs."""
        return tuple(f"score{c}" for c in range(self.ports.num_classes))

    @property
    def compared(self) -> tuple[tuple[Leaf, Leaf], ...]:
        """(a's leaf, b's leaf) at every compared position, in position order."""
        return tuple((self.leaves_a[j], self.leaves_b[j]) for j in self.positions)

    @property
    def conflict(self) -> tuple[Node, ...] | None:
        """The members of the first cut class with two fixed values, or None."""
        return next((c.members for c in self.classes if c.conflict), None)


def leaves(netlist: Netlist) -> tuple[Leaf, ...]:
    """What the emitted RTL sums at each output position. Mirrors the emitter's documented rule: an output
    driven by a constant gate is folded into the class's offset."""
    n = netlist.num_inputs
    result = []
    for s in netlist.outputs.tolist():
        if s < n:
            result.append(Leaf("in", s))
            continue
        gate = GATES[int(netlist.ops[s - n])]
        result.append(Leaf("const", gate.output(0, 0)) if gate.is_constant else Leaf("wire", f"g{s - n}"))
    return tuple(result)


def check_module_names(module_a: str, module_b: str) -> None:
    """ConfigError when a design's module name is one the proof's wrappers use, or both names are one."""
    for name in (module_b, module_a):
        if name in MITER_MODULES or (name == module_a and name == module_b):
            raise ConfigError(
                f"module name {name!r} is reserved by the formal check: compile with another --module-name"
            )


def plan_proof(netlist_a: Netlist, netlist_b: Netlist, module_a: str = GOLD_MODULE,
               module_b: str = GATE_MODULE) -> ProofPlan:
    """The decomposition of proving ``netlist_a``'s RTL (``module_a``) equal to ``netlist_b``'s (``module_b``).

    The netlists must have the same interface (the driver checks it). Deterministic and pure."""
    check_module_names(module_a, module_b)
    leaves_a, leaves_b = leaves(netlist_a), leaves(netlist_b)
    positions = tuple(j for j, (la, lb) in enumerate(zip(leaves_a, leaves_b)) if la != lb or la.kind == "wire")
    classes, value_of = _cut_classes(leaves_a, leaves_b)
    wires_a, wires_b = _wires(leaves_a), _wires(leaves_b)
    return ProofPlan(
        module_a=module_a,
        module_b=module_b,
        ports=TopPorts.of(netlist_a),
        leaves_a=leaves_a,
        leaves_b=leaves_b,
        positions=positions,
        wires_a=wires_a,
        wires_b=wires_b,
        classes=classes,
        cut_a=tuple((w, value_of[("a", "wire", w)]) for w in wires_a),
        cut_b=tuple((w, value_of[("b", "wire", w)]) for w in wires_b),
        num_vars=sum(c.value.kind == "var" for c in classes),
    )


def _wires(leaves_: tuple[Leaf, ...]) -> tuple[str, ...]:
    return tuple(sorted({v for kind, v in leaves_ if kind == "wire"}, key=lambda w: int(w[1:])))


def _cut_classes(leaves_a, leaves_b) -> tuple[tuple[CutClass, ...], dict]:
    """The cut classes (positions tie a's leaf to b's; a wire summed twice is one node) and {node: value}.

    Variables are numbered in output-position order, which is also the AIG input (= BDD variable) order
    of step B's BDD fallback: a popcount node then sums a contiguous run of variables, so the BDD of a
    carry tracks one partial count at a time rather than two interleaved ones (docs/formal.md)."""
    uf = UnionFind()
    for la, lb in zip(leaves_a, leaves_b):
        uf.union(("a", *la), ("b", *lb))
    groups: dict = {}  # root -> members; insertion order = first output position on a's side
    for node in [("a", *leaf) for leaf in leaves_a] + [("b", *leaf) for leaf in leaves_b]:
        groups.setdefault(uf[node], set()).add(node)
    classes, value_of, free = [], {}, 0
    for members in groups.values():
        fixed = sorted({Leaf(kind, v) for _, kind, v in members if kind in ("in", "const")})
        if fixed:
            value = fixed[0]
        else:
            value, free = Leaf("var", free), free + 1
        classes.append(CutClass(tuple(sorted(members)), value, len(fixed) > 1))
        value_of.update(dict.fromkeys(members, value))
    return tuple(classes), value_of
