"""The proof wrappers of the formal check (lgn2hw.check.formal): two top modules side by side, one output.

Each wrapper instantiates design a and design b (top modules of the port contract, in which Yosys has
``expose``d internal wires as extra ports) and ORs every difference it compares into the one output
``diff``: ABC's ``&cec -m`` reads only the first output of a miter, so a miter has exactly one.

- ``leaf_miter`` (step A): the summed bits at the compared output positions, pairwise;
- ``score_miter`` (step B): both designs cut at their summed gate wires, fed the cut values, the
  ``score<c>`` wires compared;
- ``port_miter``: the ports (scores, class_id, out_valid), with both designs cut at ``score<c>`` and fed
  the same values (step C) or whole (the whole-port miter).

A *leaf* is (kind, value): ("in", s) input bit s, ("const", 0/1), ("wire", "gI") the gate wire of the
design (its exposed port, ``a_gI``/``b_gI`` in the wrapper), ("var", i) bit i of the free input ``v``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...ir.netlist import Netlist
from .heads import class_id_width, score_width
from .print import print_structural
from .records import Assign, Decl, Instance, Net, StructuralModule

STEP_A_MODULE = "lgn2hw_step_a"
STEP_B_MODULE = "lgn2hw_step_b"
STEP_C_MODULE = "lgn2hw_step_c"
PORT_MITER_MODULE = "lgn2hw_miter"
MITER_MODULES = (STEP_A_MODULE, STEP_B_MODULE, STEP_C_MODULE, PORT_MITER_MODULE)
MITER_OUTPUT = "diff"

_SHARED = ("clk", "rst", "in_valid", "in_bits")  # the inputs both designs get from the wrapper


@dataclass(frozen=True)
class TopPorts:
    """The widths of the top-module ports both designs share."""

    num_inputs: int
    num_classes: int
    score_width: int
    class_id_width: int

    @classmethod
    def of(cls, netlist: Netlist) -> TopPorts:
        return cls(netlist.num_inputs, netlist.num_classes, score_width(netlist), class_id_width(netlist))

    @property
    def scores_width(self) -> int:
        return self.num_classes * self.score_width


def leaf_expr(leaf: tuple[str, int | str], side: str) -> str:
    """The Verilog of a leaf inside a wrapper (``side``: "a" or "b", the prefix of exposed wires)."""
    kind, value = leaf
    if kind == "in":
        return f"in_bits[{value}]"
    if kind == "const":
        return f"1'b{value}"
    if kind == "var":
        return f"v[{value}]"
    return f"{side}_{value}"


def leaf_miter(ports: TopPorts, module_a: str, module_b: str, wires_a: Sequence[str], wires_b: Sequence[str],
               compared: Sequence[tuple[tuple, tuple]]) -> str:
    """Step A: ``diff`` is 1 when a's and b's leaves differ at any compared position (``wires_a`` /
    ``wires_b``: the gate wires each design exposes as outputs)."""
    items: list = [Net("d", max(1, len(compared)))]
    items += [Net(f"a_{w}") for w in wires_a] + [Net(f"b_{w}") for w in wires_b]
    items.append(_instance(module_a, "u_a", [(w, f"a_{w}") for w in wires_a]))
    items.append(_instance(module_b, "u_b", [(w, f"b_{w}") for w in wires_b]))
    items += [Assign(f"d[{i}]", f"{leaf_expr(la, 'a')} ^ {leaf_expr(lb, 'b')}") for i, (la, lb) in enumerate(compared)]
    if not compared:
        items.append(Assign("d", "1'b0"))
    items.append(Assign(MITER_OUTPUT, "|d", "one output: ABC's &cec -m reads a single-output miter"))
    return print_structural(StructuralModule(STEP_A_MODULE, _ports(ports), items))


def score_miter(ports: TopPorts, module_a: str, module_b: str, cut_a: Sequence[tuple[str, tuple]],
                cut_b: Sequence[tuple[str, tuple]], num_vars: int) -> str:
    """Step B: both designs cut at their summed gate wires (``cut_*``: (wire, leaf fed to it)); ``diff``
    is 1 when any ``score<c>`` differs. ``v`` holds the free variables."""
    c, w = ports.num_classes, ports.score_width
    items: list = [Net("d", c)]
    items += [Net(f"{side}_score{k}", w) for side in ("a", "b") for k in range(c)]
    for side, module, cut in (("a", module_a, cut_a), ("b", module_b, cut_b)):
        conns = [(wire, leaf_expr(leaf, side)) for wire, leaf in cut] + [(f"score{k}", f"{side}_score{k}") for k in range(c)]
        items.append(_instance(module, f"u_{side}", conns))
    items += [Assign(f"d[{k}]", f"|(a_score{k} ^ b_score{k})") for k in range(c)]
    items.append(Assign(MITER_OUTPUT, "|d"))
    return print_structural(StructuralModule(STEP_B_MODULE, _ports(ports, ("v", max(num_vars, 1))), items))


def port_miter(ports: TopPorts, module_a: str, module_b: str, *, cut_scores: bool) -> str:
    """``diff`` is 1 when scores, class_id or out_valid differ. ``cut_scores`` (step C): both designs
    cut at ``score<c>`` and fed the same values from the input ``s``; otherwise the whole-port miter."""
    c, w = ports.num_classes, ports.score_width
    cuts = [(f"score{k}", f"s[{k * w + w - 1}:{k * w}]") for k in range(c)] if cut_scores else []
    items: list = []
    for side in ("a", "b"):
        items += [Net(f"{side}_scores", ports.scores_width), Net(f"{side}_class", ports.class_id_width),
                  Net(f"{side}_valid")]
    for side, module in (("a", module_a), ("b", module_b)):
        own = [("scores", f"{side}_scores"), ("class_id", f"{side}_class"), ("out_valid", f"{side}_valid")]
        items.append(_instance(module, f"u_{side}", cuts + own))
    items.append(Assign(MITER_OUTPUT, "(a_scores != b_scores) | (a_class != b_class) | (a_valid != b_valid)"))
    extra = ("s", ports.scores_width) if cut_scores else None
    name = STEP_C_MODULE if cut_scores else PORT_MITER_MODULE
    return print_structural(StructuralModule(name, _ports(ports, extra), items))


def _ports(ports: TopPorts, extra: tuple[str, int] | None = None) -> list[Decl]:
    """The design inputs, an optional extra input (cut values), the output ``diff``."""
    decls = [Decl("input", name, 1, True) for name in _SHARED[:3]] + [Decl("input", "in_bits", ports.num_inputs, True)]
    if extra is not None:
        decls.append(Decl("input", extra[0], extra[1], True))
    return decls + [Decl("output", MITER_OUTPUT, 1, True)]


def _instance(module: str, name: str, conns: list[tuple[str, str]]) -> Instance:
    return Instance(module, name, tuple((p, p) for p in _SHARED) + tuple(conns), multiline=True)
