"""Lowering: a netlist becomes the records of its top module (docs/verilog-interface.md).

One path for every build: the raw-input front end (optional), the gate core cut into register stages
by a StagePlan (zero cuts is the combinational module), the popcount head, the argmax, and the output
assigns. The choices of structure are made here and in heads.py / stages.py / encoder.py; the printer
(print.py) only prints. Only the logic cone that reaches a non-constant output is emitted; outputs
driven by a constant gate (FALSE / TRUE) are folded into a per-class constant offset instead of being
summed.

Combinational (pipeline 0): out_valid = in_valid, clk and rst are unused (kept for the port contract).
Pipelined (pipeline N > 0): a gate at logic level L is computed in core stage (L - 1) // N; after every
core stage j (j = 1 .. S) every value still needed later is registered as ``<name>_r<j>`` (inputs as
``i<s>_r<j>``). The popcount reads the values after stage S; the class scores are registered
(``score<c>_r``), the argmax reads those, and then class_id and the scores are registered once more
(``class_id_q``, ``score<c>_q``). LATENCY = S + 2. Only the valid shift register is reset. With the
raw-input front end the comparators come first, in a stage of their own (registers ``x<i>_q``), and
LATENCY = S + 3.
"""

from __future__ import annotations

import json

import numpy as np

from ... import __version__
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from .encoder import raw_front_end
from .heads import POPCOUNT_SETTLE_LEVEL, argmax_tree, class_groups, class_id_width, class_score, score_width
from .records import Assign, Port, Reg, Section, TopModule, Wire, group_waivers, layout_ports
from .stages import StagePlan, plan_stages

GENERATOR = "lgn2hw.backend.verilog"  # named in every file's first line


def lower_top(
    netlist: Netlist, module_name: str, header: dict, pipeline: int = 0, raw_bits: int = 0, popcount: str = "compressor"
) -> TopModule:
    """The top module's records; ``raw_bits`` > 0 adds the raw-input front end (features of that many bits)."""
    n, c, k = netlist.num_inputs, netlist.num_classes, netlist.group_size
    width, id_width = score_width(netlist), class_id_width(netlist)
    groups, offsets = class_groups(netlist)
    summed = np.array([s for g in groups for s in g], dtype=np.int64)
    live = netlist.live_signals(summed)
    plan = plan_stages(netlist, live, summed, pipeline)
    registered = plan.registered
    front = 1 if raw_bits and registered else 0  # the comparators' register stage
    latency = plan.stages + 2 + front if registered else 0
    unused_inputs = int(n - live[:n].sum())

    sections: list[Section] = []
    inputs, raw_port = "in_bits[{}]", None
    if raw_bits:
        front_section, raw_port, inputs = raw_front_end(netlist, live, raw_bits, pipelined=registered)
        if registered:
            front_section.regs_title = f"pipeline register 1 of {latency}: comparator outputs (the front end's own stage)"
        sections.append(front_section)
    names = _Names(netlist, plan, inputs)

    sections += _core_sections(netlist, plan, names, latency, front)

    score_section = Section(f"class scores: popcount of the class's output bits + constant offset ({width} bits)")
    for cls in range(c):
        leaves = [names.at(s, plan.stages) for s in groups[cls]]
        title = f"class {cls}: popcount of {len(leaves)} bits"
        if len(leaves) != k:
            title += f" + offset {offsets[cls]} from {k - len(leaves)} constant outputs"
        section = Section(title)
        expr = class_score(section, f"pc{cls}", leaves, width, offsets[cls], popcount)
        if section.wires or section.instances:
            if not registered and not any(sec.notes for sec in sections) and any(w.expr.endswith("'b0") for w in section.wires):
                section.notes.append(
                    f"(nodes from level {POPCOUNT_SETTLE_LEVEL} up are ORed with zero: a no-op that synthesis "
                    "removes and that lets Icarus settle them once per delta step)"
                )
            sections.append(section)
        score_section.wires.append(Wire(f"score{cls}", width, expr))
    if registered:
        score_section.regs = [Reg(f"score{cls}_r", width, f"score{cls}") for cls in range(c)]
        score_section.regs_title = f"pipeline register {plan.stages + 1 + front} of {latency}: class scores"
    sections.append(score_section)

    score_names = [f"score{cls}_r" if registered else f"score{cls}" for cls in range(c)]
    argmax_wires, class_expr = argmax_tree([(s, f"{id_width}'d{cls}") for cls, s in enumerate(score_names)], width, id_width)
    argmax = Section("argmax: comparator tree, ties keep the lower class index", argmax_wires)
    if registered:
        argmax.regs = [Reg("class_id_q", id_width, class_expr)]
        argmax.regs += [Reg(f"score{cls}_q", width, f"score{cls}_r") for cls in range(c)]
        argmax.regs_title = f"pipeline register {latency} of {latency}: class id and scores"
    if argmax.wires or argmax.regs:
        sections.append(argmax)

    assigns = [Assign("out_valid", "valid_sr[LATENCY-1]" if registered else "in_valid")]
    for cls in range(c):
        lo, hi = cls * width, cls * width + width - 1
        assigns.append(Assign(f"scores[{hi}:{lo}]" if c * width > 1 else "scores", f"score{cls}_q" if registered else f"score{cls}"))
    assigns.append(Assign("class_id", "class_id_q" if registered else class_expr))

    if registered:
        clock = [Port("input", "clk", 1, "clock: every register is on its rising edge"),
                 Port("input", "rst", 1, "synchronous, active high: clears the valid pipeline")]
        valid_text = f"= in_valid delayed by LATENCY = {latency} cycles"
        timing = [
            f"scores: {c} x {width} bits; class_id: {id_width} bits; pipelined, LATENCY = {latency} cycles",
            f"pipeline {pipeline}: registers after every {pipeline} logic levels ({plan.stages} core stages), "
            "after the popcount and after the argmax" + (", and after the raw-input comparators" if raw_bits else ""),
            f"out_valid = in_valid delayed by {latency} cycles; synchronous active-high rst clears it",
        ]
    else:
        clock = [Port("input", "clk", 1, "unused: this build is combinational", "UNUSEDSIGNAL"),
                 Port("input", "rst", 1, "unused: this build is combinational", "UNUSEDSIGNAL")]
        valid_text = "= in_valid (combinational)"
        timing = [f"scores: {c} x {width} bits; class_id: {id_width} bits; combinational (out_valid = in_valid)"]
    ports = top_ports(netlist, clock, raw_port, unused_inputs, valid_text)
    lines = header_lines(netlist, len(plan.emitted), timing, raw_bits, groups, offsets, header)
    return TopModule(module_name, lines, ports, sections, assigns, latency)


class _Names:
    """Verilog names of signals: ``gI`` for gate I, the input format for input bits, and the register
    copy ``<base>_r<j>`` where logic of a later stage reads a value of an earlier one."""

    def __init__(self, netlist: Netlist, plan: StagePlan, inputs: str):
        self.n, self.plan, self.inputs = netlist.num_inputs, plan, inputs

    def signal(self, s: int) -> str:
        return self.inputs.format(s) if s < self.n else f"g{s - self.n}"

    def base(self, s: int) -> str:
        return f"i{s}" if s < self.n else f"g{s - self.n}"

    def at(self, s: int, stage: int) -> str:
        """``s`` as seen by logic of ``stage`` (>= the stage producing s)."""
        return self.signal(s) if stage == int(self.plan.stage_of[s]) else f"{self.base(s)}_r{stage}"


def _core_sections(netlist: Netlist, plan: StagePlan, names: _Names, latency: int, front: int) -> list[Section]:
    """The gate core: one section (combinational) or one per register stage, each gate one assign."""
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    if not plan.registered:
        core = Section(f"gate core: {len(plan.emitted)} gates, one assign each (signal names follow netlist.json)")
        core.wires = [Wire(f"g{i}", 1, GATES[ops[i]].verilog_expr(names.at(a[i], 0), names.at(b[i], 0)))
                      for i in plan.by_stage[0]]
        return [core]
    sections = []
    for st in range(plan.stages):
        lo, hi = st * plan.pipeline + 1, (st + 1) * plan.pipeline
        gates = plan.by_stage[st]
        section = Section(f"gate core, stage {st}: logic levels {lo}..{hi}, {len(gates)} gates")
        section.wires = [Wire(f"g{i}", 1, GATES[ops[i]].verilog_expr(names.at(a[i], st), names.at(b[i], st)))
                         for i in gates]
        boundary = st + 1
        section.regs = [Reg(f"{names.base(s)}_r{boundary}", 1, names.at(s, st)) for s in plan.crossing[st]]
        section.regs_title = f"pipeline register {boundary + front} of {latency}: values needed after stage {st}"
        sections.append(section)
    return sections


def top_ports(netlist: Netlist, clock_ports: list[Port], raw_port: Port | None, unused_inputs: int, valid_text: str) -> list[Port]:
    """The top module's ports in the order of docs/verilog-interface.md: clk, rst (as the build uses
    them), in_valid, the input (in_bits, or the raw front end's in_features), out_valid, scores,
    class_id; waivers grouped and columns laid out."""
    n, c = netlist.num_inputs, netlist.num_classes
    width, id_width = score_width(netlist), class_id_width(netlist)
    in_port = raw_port or Port(
        "input",
        "in_bits",
        n,
        "bit i = input signal i" + (f"; {unused_inputs} bits reach no output" if unused_inputs else ""),
        "UNUSEDSIGNAL" if unused_inputs else None,
    )
    ports = [
        *clock_ports,
        Port("input", "in_valid", 1, "input vector valid"),
        in_port,
        Port("output", "out_valid", 1, valid_text),
        Port("output", "scores", c * width, f"class c at scores[c*{width} +: {width}]"),
        Port("output", "class_id", id_width, "argmax of scores, ties -> lowest class index"),
    ]
    group_waivers(ports)
    layout_ports(ports)
    return ports


def header_lines(
    netlist: Netlist, emitted: int, timing: list[str], raw_bits: int, groups: list[list[int]], offsets: list[int], header: dict
) -> list[str]:
    """The generated file's header comment: what the module is, its timing lines, offsets, provenance."""
    lines = [
        f"Generated by lgn2hw {__version__} ({GENERATOR}). Do not edit; regenerate instead.",
        f"Logic Gate Network: {netlist.num_inputs} inputs, {netlist.num_gates} gates, "
        f"{netlist.num_classes} classes x {netlist.group_size} outputs",
        f"emitted gates: {emitted} ({netlist.num_gates - emitted} reach no non-constant output and are not emitted)",
        f"netlist sha256: {netlist.sha256()}",
        *timing,
    ]
    if raw_bits:
        lines.append(f"raw inputs: in_features, {raw_bits}-bit unsigned features, compared with input_encoding")
    if any(offsets) or any(len(g) != netlist.group_size for g in groups):
        lines.append("constant offsets per class: " + " ".join(str(o) for o in offsets))
    provenance = [f"  {_header_value(str(key))}: {_header_value(header[key])}" for key in sorted(header, key=str)]
    if provenance:
        lines.append("provenance:")
        lines.extend(provenance)
    return lines


def _header_value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if any(ch in text for ch in "\r\n\t") or not text.isprintable():
        text = json.dumps(text)  # keep the comment on one line
    return text
