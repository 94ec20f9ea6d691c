"""The records a lowering step fills and the printer prints: nothing here decides structure.

Two kinds of module come out of the back end:

* ``TopModule``: the LGN top module of the port contract (docs/verilog-interface.md), printed by
  templates/lgn_top.v.j2: a port list with lint waivers, optional valid pipeline, sections of wires
  (each wire one ``assign``) and of registers, and the output assigns.
* ``StructuralModule``: every other module the tool writes (the gate core alone, a scores-only wrapper,
  the input encoder, proof miters): a one-line port list, nets (optionally with a driver), instances
  and assigns, printed by templates/structural.v.j2.
"""

from __future__ import annotations

from dataclasses import dataclass, field


ONE, ZERO = "1'b1", "1'b0"  # constant bits as the printed Verilog writes them


def bit_range(width: int) -> str:
    """``[w-1:0] `` for a vector, nothing for a single bit."""
    return f"[{width - 1}:0] " if width > 1 else ""


# --------------------------------------------------------------------------------------- top module
@dataclass
class Port:
    direction: str  # "input" / "output"
    name: str
    width: int
    comment: str
    waiver: str | None = None  # a Verilator lint id waived around this port, or None
    lint_off: bool = False  # the template opens the waiver before this port (set by layout_ports)
    lint_on: bool = False  # ... and closes it after this port
    line: str = ""  # the finished declaration line, comma and aligned comment (set by layout_ports)

    @property
    def range(self) -> str:
        return bit_range(self.width)

    @property
    def declaration(self) -> str:
        return f"{self.direction:<6} wire {self.range}{self.name}"


@dataclass(frozen=True)
class Wire:
    name: str
    width: int
    expr: str

    @property
    def range(self) -> str:
        return bit_range(self.width)


@dataclass(frozen=True)
class Reg:
    name: str
    width: int
    src: str

    @property
    def range(self) -> str:
        return bit_range(self.width)


@dataclass
class Section:
    title: str
    wires: list[Wire] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # extra comment lines under the title
    regs: list[Reg] = field(default_factory=list)  # pipelined builds: registers clocked after the wires
    regs_title: str = ""
    nets: list[Net] = field(default_factory=list)  # driven by the instances (declared before the wires)
    instances: list[Instance] = field(default_factory=list)  # primitives (popcount="carry4"/"ccu2c")
    lint_waivers: tuple[str, ...] = ()  # Verilator warnings waived around the nets and instances


@dataclass(frozen=True)
class Assign:
    lhs: str
    rhs: str
    comment: str = ""


@dataclass
class TopModule:
    """Everything templates/lgn_top.v.j2 prints; ``latency`` > 0 adds the valid shift register."""

    module_name: str
    header_lines: list[str]
    ports: list[Port]
    sections: list[Section]
    assigns: list[Assign]
    latency: int = 0

    def context(self) -> dict:
        return {"module_name": self.module_name, "header_lines": self.header_lines, "ports": self.ports,
                "sections": self.sections, "assigns": self.assigns, "latency": self.latency}


def group_waivers(ports: list[Port]) -> None:
    """Mark where each run of neighbouring ports with the same waiver opens and closes it."""
    for j, port in enumerate(ports):
        before = ports[j - 1].waiver if j else None
        after = ports[j + 1].waiver if j + 1 < len(ports) else None
        port.lint_off = bool(port.waiver) and port.waiver != before
        port.lint_on = bool(port.waiver) and port.waiver != after


def layout_ports(ports: list[Port]) -> None:
    """Each port's full line: declaration, separating comma, comment aligned in one column."""
    column = max(len(p.declaration) for p in ports) + 1
    for j, port in enumerate(ports):
        text = port.declaration + ("," if j + 1 < len(ports) else "")
        port.line = f"{text.ljust(column)} // {port.comment}"


# ------------------------------------------------------------------------------- structural modules
@dataclass(frozen=True)
class Decl:
    """A port of a structural module: ``input [3:0] x`` (``wire_keyword``: ``input wire [3:0] x``)."""

    direction: str
    name: str
    width: int = 1
    wire_keyword: bool = False

    @property
    def text(self) -> str:
        return f"{self.direction} {'wire ' if self.wire_keyword else ''}{bit_range(self.width)}{self.name}"


@dataclass(frozen=True)
class Net:
    """``wire [w-1:0] name;``, or with ``expr``: ``wire name = expr;``."""

    name: str
    width: int = 1
    expr: str | None = None

    @property
    def text(self) -> str:
        return f"wire {bit_range(self.width)}{self.name}" + (f" = {self.expr}" if self.expr is not None else "") + ";"


@dataclass(frozen=True)
class Instance:
    """``module name(.port(signal), ...);`` on one line, or one connection a line (``multiline``)."""

    module: str
    name: str
    connections: tuple[tuple[str, str], ...]
    multiline: bool = False
    params: tuple[tuple[str, str], ...] = ()  # ``#(.NAME(value), ...)``

    def lines(self, indent: str) -> list[str]:
        conns = [f".{port}({signal})" for port, signal in self.connections]
        module = self.module
        if self.params:
            module += " #(" + ", ".join(f".{name}({value})" for name, value in self.params) + ")"
        if not self.multiline:
            return [f"{indent}{module} {self.name}({', '.join(conns)});"]
        inner = indent * 2
        return [f"{indent}{module} {self.name} ("] + [f"{inner}{c}," for c in conns[:-1]] + \
               [f"{inner}{c}" for c in conns[-1:]] + [f"{indent});"]


@dataclass
class StructuralModule:
    """A module made of nets, instances and assigns (every Verilog the tool writes besides the top)."""

    name: str
    ports: list[Decl]
    items: list[Net | Instance | Assign] = field(default_factory=list)
    indent: str = "  "

    def body_lines(self) -> list[str]:
        lines = []
        for item in self.items:
            if isinstance(item, Instance):
                lines.extend(item.lines(self.indent))
            elif isinstance(item, Assign):
                comment = f"  // {item.comment}" if item.comment else ""
                lines.append(f"{self.indent}assign {item.lhs} = {item.rhs};{comment}")
            else:
                lines.append(f"{self.indent}{item.text}")
        return lines


def gather_records(parts) -> tuple[list[Net], list[Instance]]:
    """The nets and instances of (nets, instances) pairs, in order (a primitive head's cells)."""
    nets: list[Net] = []
    instances: list[Instance] = []
    for more_nets, more_instances in parts:
        nets += more_nets
        instances += more_instances
    return nets, instances
