"""Verilog back end: a netlist becomes one synthesizable Verilog-2005 top module (docs/verilog-interface.md).

Python prepares every line as a named record (wires with their widths and expressions, port records,
lint waivers); the Jinja template in templates/ only loops over them. Gate expressions come from the
gate table (lgn2hw.ir.gates), never from here. The output is deterministic: the same netlist, module name
and header give byte-identical text, and there are no timestamps.

By default (pipeline=0) the module is combinational: out_valid = in_valid, clk and rst are unused (kept
for the port contract). With pipeline=N > 0 there are registers after every N logic levels of the gate
core, after the popcount and after the argmax (LATENCY = ceil(depth / N) + 2, see pipeline_latency);
only the valid shift register is reset (synchronous, active-high rst).
Only the logic cone that reaches a non-constant output is emitted; outputs driven by a constant gate
(FALSE / TRUE) are folded into a per-class constant offset instead of being summed.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from ... import __version__
from ...errors import EmitError
from ...fsutil import atomic_file
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from ...resources import templates_dir

TEMPLATE = "lgn_top.v.j2"
POPCOUNT_ARITY = 4  # operands per adder-tree node
# From this tree level up, a node's sum is written as ``(a + b + ...) | w'b0``. The OR with zero is a
# no-op that Yosys's opt_expr removes before it builds adder trees (an AND with all ones, which Icarus
# treats the same, survives Yosys 0.23's opt_expr and cost 13 % more LUTs), and it makes Icarus evaluate
# the node once per delta step instead of once per changed operand: Icarus propagates ``+`` immediately
# and schedules bitwise operators. Measured 1.7x fewer simulator instructions per vector on 10 x 800
# outputs (docs/verilog-interface.md).
POPCOUNT_SETTLE_LEVEL = 3
POPCOUNT_KINDS = ("compressor", "adder")
RAW_BITS = 8  # default raw feature width: uint8 pixels, as every data set here stores them
MAX_RAW_BITS = 32
COUNTER_SETTLE_STAGE = 2
COUNTER_INPUTS = 6  # inputs per counter of the compressor tree: each output bit is one LUT6

# IEEE 1364-2005 (Verilog) and IEEE 1800-2017 (SystemVerilog) reserved words: none may be a module name.
VERILOG_KEYWORDS = frozenset(
    """
    always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default
    defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive
    endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if
    ifnone incdir include initial inout input instance integer join large liblist library localparam
    macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter
    pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real
    realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small
    specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1
    triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
    """.split()
) | frozenset(
    """
    accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte
    chandle checker class clocking const constraint context continue cover covergroup coverpoint cross dist
    do endchecker endclass endclocking endgroup endinterface endpackage endprogram endproperty endsequence
    enum eventually expect export extends extern final first_match foreach forkjoin global iff ignore_bins
    illegal_bins implements implies import inside int interconnect interface intersect join_any join_none
    let local logic longint matches modport nettype new nexttime null package packed priority program
    property protected pure rand randc randcase randsequence ref reject_on restrict return s_always
    s_eventually s_nexttime s_until s_until_with sequence shortint shortreal soft solve static string strong
    struct super sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type typedef
    union unique unique0 until until_with untyped var virtual void wait_order weak wildcard with within
    """.split()
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_IDENTIFIER = 1024  # IEEE 1364-2005 3.7: implementations may limit identifiers to 1024 characters


# --------------------------------------------------------------------------- records the template reads
@dataclass
class Port:
    direction: str  # "input" / "output"
    name: str
    width: int
    comment: str
    waiver: str | None = None  # a Verilator lint id waived around this port, or None
    lint_off: bool = False  # the template opens the waiver before this port (set by _group_waivers)
    lint_on: bool = False  # ... and closes it after this port
    line: str = ""  # the finished declaration line, comma and aligned comment (set by _layout_ports)

    @property
    def range(self) -> str:
        return f"[{self.width - 1}:0] " if self.width > 1 else ""

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
        return f"[{self.width - 1}:0] " if self.width > 1 else ""


@dataclass(frozen=True)
class Reg:
    name: str
    width: int
    src: str

    @property
    def range(self) -> str:
        return f"[{self.width - 1}:0] " if self.width > 1 else ""


@dataclass
class Section:
    title: str
    wires: list[Wire] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # extra comment lines under the title
    regs: list[Reg] = field(default_factory=list)  # pipelined builds: registers clocked after the wires
    regs_title: str = ""


@dataclass(frozen=True)
class Assign:
    lhs: str
    rhs: str


# --------------------------------------------------------------------------------------- public API
def bits_for(value: int) -> int:
    """Bits needed to hold the unsigned value ``value`` (at least 1)."""
    return max(1, int(value).bit_length())


def score_width(netlist: Netlist) -> int:
    """W: bits per class score, enough for the group size k (the largest possible popcount)."""
    return bits_for(netlist.group_size)


def class_id_width(netlist: Netlist) -> int:
    """Bits of class_id: max(1, clog2(C))."""
    return max(1, (netlist.num_classes - 1).bit_length())


def check_module_name(name: str) -> None:
    """Raise EmitError unless ``name`` is a plain Verilog identifier that is no (System)Verilog keyword."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise EmitError(
            f"invalid Verilog module name {name!r}: use letters, digits and underscores, "
            "not starting with a digit (for example 'lgn_top')"
        )
    if len(name) > _MAX_IDENTIFIER:
        raise EmitError(f"invalid Verilog module name: {len(name)} characters (at most {_MAX_IDENTIFIER})")
    if name in VERILOG_KEYWORDS:
        raise EmitError(f"invalid Verilog module name {name!r}: it is a Verilog/SystemVerilog keyword")


def check_pipeline(pipeline) -> int:
    """The pipeline depth as an int; EmitError unless it is an integer >= 0."""
    if isinstance(pipeline, bool) or not isinstance(pipeline, (int, np.integer)):
        raise EmitError(f"pipeline depth must be an integer >= 0, got {pipeline!r}")
    if pipeline < 0:
        raise EmitError(f"pipeline depth must be >= 0, got {pipeline}")
    return int(pipeline)


def core_stages(netlist: Netlist, pipeline: int) -> int:
    """Register stages in the gate core: ceil(depth / pipeline) over the emitted gates (0 if combinational).

    ``depth`` is the deepest logic level (Netlist.levels()) among the signals that feed a non-constant
    output, i.e. of the gates the emitter writes.
    """
    pipeline = check_pipeline(pipeline)
    if pipeline == 0:
        return 0
    groups, _ = _class_groups(netlist)
    summed = np.array([s for g in groups for s in g], dtype=np.int64)
    if summed.size == 0:
        return 0
    live = live_signals(netlist, summed)
    depth = int(netlist.levels()[live].max(initial=0))
    return -(-depth // pipeline)


def pipeline_latency(netlist: Netlist, pipeline: int, raw_inputs: bool = False) -> int:
    """Cycles from in_valid/in_bits to out_valid/scores/class_id: 0 if combinational, else
    core_stages + 1 (popcount register) + 1 (argmax register), + 1 (comparator register) with the
    raw-input front end."""
    pipeline = check_pipeline(pipeline)
    return 0 if pipeline == 0 else core_stages(netlist, pipeline) + 2 + (1 if raw_inputs else 0)


def check_raw_inputs(netlist: Netlist, raw_bits) -> int:
    """The raw feature width as an int; EmitError unless the netlist has an input_encoding (the
    comparators' thresholds) and ``raw_bits`` is an integer 1..MAX_RAW_BITS."""
    if isinstance(raw_bits, bool) or not isinstance(raw_bits, (int, np.integer)) or not 1 <= raw_bits <= MAX_RAW_BITS:
        raise EmitError(f"raw feature width must be an integer 1..{MAX_RAW_BITS} bits, got {raw_bits!r}")
    if netlist.input_encoding is None:
        raise EmitError(
            "raw inputs need the netlist's input_encoding (the thresholds that turn raw features into "
            "input bits); this netlist has none: compile a model trained from raw data, or drop --raw-inputs"
        )
    return int(raw_bits)


def raw_input_width(netlist: Netlist, raw_bits: int = RAW_BITS) -> int:
    """Width of the raw-input port ``in_features``: F * raw_bits, F = the encoding's feature count."""
    from ...ir.encoding import ThresholdEncoding

    check_raw_inputs(netlist, raw_bits)
    return ThresholdEncoding.from_json(netlist.input_encoding).num_features * int(raw_bits)


def emit_verilog(
    netlist: Netlist,
    module_name: str = "lgn_top",
    header: dict | None = None,
    pipeline: int = 0,
    *,
    raw_inputs: bool = False,
    raw_bits: int = RAW_BITS,
    popcount: str = "compressor",
) -> dict[str, str]:
    """Render ``netlist`` as Verilog-2005: returns {file name: text}, e.g. {"lgn_top.v": "..."}.

    ``header`` holds provenance (checkpoint hash, options, ...) written as comments at the top; keys are
    sorted so that the text depends only on the contents. Raises EmitError for a bad module name.
    ``pipeline`` = 0 gives the combinational module; N > 0 puts registers after every N logic levels of
    the gate core, after the popcount and after the argmax (latency: pipeline_latency()).
    ``raw_inputs``: the module takes raw unsigned features of ``raw_bits`` bits (port ``in_features``)
    and compares them with the input_encoding's thresholds itself (EmitError without an encoding).
    ``popcount``: "compressor" (counter tree, fewest LUTs; the default) or "adder" (the earlier
    4-input adder tree, kept for comparison in benchmarks/head_luts.py).
    """
    check_module_name(module_name)
    pipeline = check_pipeline(pipeline)
    if popcount not in POPCOUNT_KINDS:
        raise EmitError(f"popcount must be one of {', '.join(POPCOUNT_KINDS)}, got {popcount!r}")
    netlist.validate()
    raw = check_raw_inputs(netlist, raw_bits) if raw_inputs else 0
    context = _prepare(netlist, module_name, header or {}, pipeline, raw, popcount)
    text = _environment().get_template(TEMPLATE).render(**context)
    return {f"{module_name}.v": text}


def write_rtl(
    netlist: Netlist,
    outdir: str | os.PathLike,
    module_name: str = "lgn_top",
    header: dict | None = None,
    pipeline: int = 0,
    **options,
) -> list[Path]:
    """Emit the RTL and write each file atomically into ``outdir``; returns the written paths, sorted.

    ``options`` go to emit_verilog (raw_inputs, raw_bits, popcount)."""
    files = emit_verilog(netlist, module_name=module_name, header=header, pipeline=pipeline, **options)
    outdir = Path(outdir)
    paths = []
    for name in sorted(files):
        path = outdir / name
        with atomic_file(path) as handle:
            handle.write(files[name])
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------- internals
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def live_signals(netlist: Netlist, signals: np.ndarray) -> np.ndarray:
    """Boolean mask over all signals: True where the signal feeds ``signals`` through operands gates use."""
    n = netlist.num_inputs
    live = np.zeros(netlist.num_signals, dtype=bool)
    live[np.asarray(signals, dtype=np.int64)] = True
    uses_a = [g.uses_a for g in GATES]
    uses_b = [g.uses_b for g in GATES]
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for i in range(netlist.num_gates - 1, -1, -1):  # operands precede their gate: one backward sweep
        if live[n + i]:
            op = ops[i]
            if uses_a[op]:
                live[a[i]] = True
            if uses_b[op]:
                live[b[i]] = True
    return live


def _signal_name(netlist: Netlist, s: int, inputs: str = "in_bits[{}]") -> str:
    """Verilog name of signal ``s``: ``gI`` for gate I, ``inputs`` formatted with s for an input bit."""
    n = netlist.num_inputs
    return inputs.format(s) if s < n else f"g{s - n}"


def _raw_front_end(netlist: Netlist, live: np.ndarray, raw_bits: int, pipelined: bool) -> tuple[Section, Port, str]:
    """Comparators of the raw-input front end: (section, the in_features port, name format of input bits).

    One ``wire x<i>`` per input bit i that reaches an output: ``in_features[f*B +: B] > B'd<t>`` with
    f, t the input_encoding's feature and threshold of bit i (B = raw_bits, unsigned). For integer raw
    values ``x > t`` equals ``x > floor(t)``; a threshold below 0 gives constant 1, one at or above
    2**B - 1 constant 0 (as lgn2hw.ir.encoding does for the data's own type). Pipelined builds
    register every comparator (``x<i>_q``), a stage of its own, and the gate core reads the registers.
    """
    from ...ir.encoding import ThresholdEncoding

    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    features, thresholds = encoding.feature.tolist(), encoding.threshold.tolist()
    num_features, top = encoding.num_features, (1 << raw_bits) - 1
    bits = np.flatnonzero(live[: netlist.num_inputs]).tolist()
    read = np.zeros(num_features, dtype=bool)
    section = Section(
        f"raw-input front end: {len(bits)} comparators, input bit i = feature f_i > threshold t_i "
        f"(unsigned {raw_bits}-bit features)"
    )
    for i in bits:
        f, t = features[i], math.floor(thresholds[i])
        if t < 0:
            expr = "1'b1"
        elif t >= top:
            expr = "1'b0"
        else:
            lo = f * raw_bits
            field_ = f"in_features[{lo + raw_bits - 1}:{lo}]" if raw_bits > 1 else f"in_features[{lo}]"
            expr = f"{field_} > {raw_bits}'d{t}"
            read[f] = True
        section.wires.append(Wire(f"x{i}", 1, expr))
    if pipelined:
        section.regs = [Reg(f"x{i}_q", 1, f"x{i}") for i in bits]
        section.regs_title = "pipeline register 1: comparator outputs (the front end's own stage)"
    unread = int(num_features - read.sum())
    port = Port(
        "input",
        "in_features",
        num_features * raw_bits,
        f"raw feature f (unsigned) at in_features[f*{raw_bits} +: {raw_bits}]"
        + (f"; {unread} of {num_features} features reach no output" if unread else ""),
        "UNUSEDSIGNAL" if unread else None,
    )
    return section, port, ("x{}_q" if pipelined else "x{}")


def _is_constant_signal(netlist: Netlist, s: int) -> tuple[bool, int]:
    """(is the signal a constant gate, its value)."""
    n = netlist.num_inputs
    if s < n:
        return False, 0
    gate = GATES[int(netlist.ops[s - n])]
    return gate.is_constant, gate.output(0, 0)


def _zext(name: str, width: int, target: int) -> str:
    """``name`` (``width`` bits) zero-extended to ``target`` bits, written without width warnings."""
    return name if width == target else f"{{{target - width}'b0, {name}}}"


def _popcount_tree(prefix: str, leaves: list[str]) -> tuple[list[Wire], str, int, int]:
    """Balanced adder tree over 1-bit ``leaves``: (wires, root expression, root width, root max value).

    Each level adds up to POPCOUNT_ARITY neighbours in one assign; a node is exactly as wide as the
    largest sum it can hold, and operands are zero-extended explicitly so that lint sees no implicit
    width change. Icarus re-evaluates a ``+`` at once for every operand change, so the simulation cost
    of a toggling output bit grows with the depth of the tree below POPCOUNT_SETTLE_LEVEL: 4-input nodes
    halve the depth of a binary tree, and the upper levels (ORed with zero) are evaluated once per
    delta step.
    """
    nodes = [(leaf, 1, 1) for leaf in leaves]  # (expression, width, max value)
    wires: list[Wire] = []
    level = 0
    while len(nodes) > 1:
        level += 1
        nxt = []
        # ceil(n / arity) nodes with sizes as equal as possible: no lone leftovers, shallow tree.
        count = -(-len(nodes) // POPCOUNT_ARITY)
        bounds = [len(nodes) * i // count for i in range(count + 1)]
        for index, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            group = nodes[lo:hi]
            if len(group) == 1:
                nxt.append(group[0])
                continue
            m = sum(g[2] for g in group)
            w = bits_for(m)
            name = f"{prefix}_l{level}_{index}"
            expr = " + ".join(_zext(x, wx, w) for x, wx, _ in group)
            if level >= POPCOUNT_SETTLE_LEVEL:
                expr = f"({expr}) | {w}'b0"
            wires.append(Wire(name, w, expr))
            nxt.append((name, w, m))
        nodes = nxt
    root, width, maximum = nodes[0]
    return wires, root, width, maximum


def _compressor_tree(
    prefix: str, leaves: list[str], width: int, offset: int = 0, first_inputs: int = COUNTER_INPUTS
) -> tuple[list[Wire], str]:
    """Counter (compressor) tree over 1-bit ``leaves``: (wires, ``width``-bit expression for the sum + ``offset``).

    Bits are kept in columns by weight (2**j). Every stage replaces each column of 3 or more bits by
    counters of COUNTER_INPUTS (6) bits, plus one counter of the 3..5 left over: a counter is a small
    ``+`` of its input bits (``wire [2:0] cs_…``), and each of its output bits depends on at most six
    input bits, so it maps to one LUT6. Its output bit b goes to column j + b of the next stage.
    When every column holds at most two bits, the two rows and the constant ``offset`` are added in
    one ``width``-bit ``+``. Columns at or above ``width`` are left out (their bits are provably zero:
    the sum never reaches 2**width), and a counter near the top is only as wide as the columns left.

    ``first_inputs`` (3..COUNTER_INPUTS) sizes the counters of the first stage, the one that reads the
    output bits. The RTL always uses 6; benchmarks/head_luts.py tries 3 (full adders, so that each
    first-stage output bit is a function of three last-layer gates' six inputs, i.e. one LUT6 holding
    the gates too): in Yosys/ABC that cost more LUT6, not fewer (docs/synthesis.md).
    """
    cols: list[list[str]] = [list(leaves)] + [[] for _ in range(width - 1)]
    wires: list[Wire] = []
    stage = 0
    while max(len(col) for col in cols) > 2:
        stage += 1
        nxt: list[list[str]] = [[] for _ in range(width)]
        for j, col in enumerate(cols):
            if len(col) <= 2:
                nxt[j].extend(col)
                continue
            size = first_inputs if stage == 1 else COUNTER_INPUTS
            chunks = [col[i : i + size] for i in range(0, len(col), size)]
            for index, chunk in enumerate(chunks):
                if len(chunk) < 3:  # 1-2 bits pass to the next stage unchanged
                    nxt[j].extend(chunk)
                    continue
                w = min(bits_for(len(chunk)), width - j)
                name = f"{prefix}_s{stage}_c{j}_{index}"
                expr = " + ".join(_zext(x, 1, w) for x in chunk)
                if stage >= COUNTER_SETTLE_STAGE:
                    expr = f"({expr}) | {w}'b0"
                wires.append(Wire(name, w, expr))
                for b in range(w):
                    nxt[j + b].append(f"{name}[{b}]" if w > 1 else name)
        cols = nxt
    rows = []
    for r in range(2):
        bits = [col[r] if len(col) > r else "1'b0" for col in cols]
        if any(bit != "1'b0" for bit in bits):
            rows.append(bits[0] if width == 1 else "{" + ", ".join(reversed(bits)) + "}")
    if offset:
        rows.append(f"{width}'d{offset}")
    return wires, " + ".join(rows) if rows else f"{width}'d0"


def _class_score(section: Section, prefix: str, leaves: list[str], width: int, offset: int, popcount: str) -> str:
    """Add the popcount wires of one class to ``section``; return the ``width``-bit score expression."""
    if not leaves:
        return f"{width}'d{offset}"
    if popcount == "compressor":
        tree, expr = _compressor_tree(prefix, leaves, width, offset)
        section.wires.extend(tree)
        return expr
    tree, root, root_width, _ = _popcount_tree(prefix, leaves)
    section.wires.extend(tree)
    expr = _zext(root, root_width, width)
    return f"{expr} + {width}'d{offset}" if offset else expr


def _argmax_tree(entries: list[tuple[str, str]], width: int, id_width: int) -> tuple[list[Wire], str]:
    """Comparator tree over (score wire, class id literal) in class order; returns (wires, class id expr).

    A node keeps its left (lower-index) operand unless the right one is strictly greater, so ties go
    to the lowest class index, as torch.argmax and numpy.argmax do.
    """
    nodes = list(entries)
    wires: list[Wire] = []
    level = 0
    while len(nodes) > 1:
        level += 1
        nxt = []
        for j in range(0, len(nodes) - 1, 2):
            (ls, li), (rs, ri) = nodes[j], nodes[j + 1]
            base = f"am_l{level}_{j // 2}"
            wires.append(Wire(f"{base}_gt", 1, f"{rs} > {ls}"))
            wires.append(Wire(f"{base}_score", width, f"{base}_gt ? {rs} : {ls}"))
            wires.append(Wire(f"{base}_id", id_width, f"{base}_gt ? {ri} : {li}"))
            nxt.append((f"{base}_score", f"{base}_id"))
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    root_score, root_id = nodes[0]
    # The winning score itself is not an output (scores carries every class): drop the root's copy.
    return [w for w in wires if w.name != root_score], root_id


def _group_waivers(ports: list[Port]) -> None:
    """Mark where each run of neighbouring ports with the same waiver opens and closes it."""
    for j, port in enumerate(ports):
        before = ports[j - 1].waiver if j else None
        after = ports[j + 1].waiver if j + 1 < len(ports) else None
        port.lint_off = bool(port.waiver) and port.waiver != before
        port.lint_on = bool(port.waiver) and port.waiver != after


def _layout_ports(ports: list[Port]) -> None:
    """Each port's full line: declaration, separating comma, comment aligned in one column."""
    column = max(len(p.declaration) for p in ports) + 1
    for j, port in enumerate(ports):
        text = port.declaration + ("," if j + 1 < len(ports) else "")
        port.line = f"{text.ljust(column)} // {port.comment}"


def _header_value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if any(ch in text for ch in "\r\n\t") or not text.isprintable():
        text = json.dumps(text)  # keep the comment on one line
    return text


def _class_groups(netlist: Netlist) -> tuple[list[list[int]], list[int]]:
    """Every class group split into summed signals and a constant offset."""
    c, k = netlist.num_classes, netlist.group_size
    outputs = netlist.outputs.tolist()
    groups: list[list[int]] = []
    offsets: list[int] = []
    for cls in range(c):
        summed, offset = [], 0
        for s in outputs[cls * k : (cls + 1) * k]:
            constant, value = _is_constant_signal(netlist, s)
            if constant:
                offset += value
            else:
                summed.append(s)
        groups.append(summed)
        offsets.append(offset)
    return groups, offsets


def _module_ports(netlist: Netlist, clock_ports: list[Port], raw_port: Port | None, unused_inputs: int, valid_text: str) -> list[Port]:
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
    _group_waivers(ports)
    _layout_ports(ports)
    return ports


def _header_lines(
    netlist: Netlist, emitted: int, timing: list[str], raw_bits: int, groups: list[list[int]], offsets: list[int], header: dict
) -> list[str]:
    """The generated file's header comment: what the module is, its timing lines, offsets, provenance."""
    lines = [
        f"Generated by lgn2hw {__version__} (lgn2hw.emit.verilog). Do not edit; regenerate instead.",
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


def _prepare(
    netlist: Netlist, module_name: str, header: dict, pipeline: int = 0, raw_bits: int = 0, popcount: str = "compressor"
) -> dict:
    """Template records; ``raw_bits`` > 0 adds the raw-input front end (features of that many bits)."""
    if pipeline:
        return _prepare_pipelined(netlist, module_name, header, pipeline, raw_bits, popcount)
    n, c, k = netlist.num_inputs, netlist.num_classes, netlist.group_size
    width, id_width = score_width(netlist), class_id_width(netlist)

    # Split every class group into summed signals and a constant offset.
    groups, offsets = _class_groups(netlist)

    live = live_signals(netlist, np.array([s for g in groups for s in g], dtype=np.int64))
    emitted = np.flatnonzero(live[n:]).tolist()
    unused_inputs = int(n - live[:n].sum())

    sections: list[Section] = []
    inputs = "in_bits[{}]"
    if raw_bits:
        front, in_port, inputs = _raw_front_end(netlist, live, raw_bits, pipelined=False)
        sections.append(front)
    core = Section(f"gate core: {len(emitted)} gates, one assign each (signal names follow netlist.json)")
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for i in emitted:
        gate = GATES[ops[i]]
        expr = gate.verilog_expr(_signal_name(netlist, a[i], inputs), _signal_name(netlist, b[i], inputs))
        core.wires.append(Wire(f"g{i}", 1, expr))
    sections.append(core)

    score_section = Section(f"class scores: popcount of the class's output bits + constant offset ({width} bits)")
    for cls in range(c):
        leaves = [_signal_name(netlist, s, inputs) for s in groups[cls]]
        title = f"class {cls}: popcount of {len(leaves)} bits"
        if len(leaves) != k:
            title += f" + offset {offsets[cls]} from {k - len(leaves)} constant outputs"
        section = Section(title)
        expr = _class_score(section, f"pc{cls}", leaves, width, offsets[cls], popcount)
        if section.wires:
            if not any(sec.notes for sec in sections) and any(w.expr.endswith("'b0") for w in section.wires):
                section.notes.append(
                    f"(nodes from level {POPCOUNT_SETTLE_LEVEL} up are ORed with zero: a no-op that synthesis "
                    "removes and that lets Icarus settle them once per delta step)"
                )
            sections.append(section)
        score_section.wires.append(Wire(f"score{cls}", width, expr))
    sections.append(score_section)

    entries = [(f"score{cls}", f"{id_width}'d{cls}") for cls in range(c)]
    argmax_wires, class_expr = _argmax_tree(entries, width, id_width)
    if argmax_wires:
        sections.append(Section("argmax: comparator tree, ties keep the lower class index", argmax_wires))

    assigns = [Assign("out_valid", "in_valid")]
    for cls in range(c):
        lo = cls * width
        hi = lo + width - 1
        assigns.append(Assign(f"scores[{hi}:{lo}]" if c * width > 1 else "scores", f"score{cls}"))
    assigns.append(Assign("class_id", class_expr))

    ports = _module_ports(
        netlist,
        [
            Port("input", "clk", 1, "unused: this build is combinational", "UNUSEDSIGNAL"),
            Port("input", "rst", 1, "unused: this build is combinational", "UNUSEDSIGNAL"),
        ],
        in_port if raw_bits else None,
        unused_inputs,
        "= in_valid (combinational)",
    )

    timing = [f"scores: {c} x {width} bits; class_id: {id_width} bits; combinational (out_valid = in_valid)"]
    return {
        "module_name": module_name,
        "header_lines": _header_lines(netlist, len(emitted), timing, raw_bits, groups, offsets, header),
        "ports": ports,
        "sections": sections,
        "assigns": assigns,
        "latency": 0,
    }


def _prepare_pipelined(
    netlist: Netlist, module_name: str, header: dict, pipeline: int, raw_bits: int = 0, popcount: str = "compressor"
) -> dict:
    """Records for the pipelined module (docs/verilog-interface.md, "Pipelined build").

    A gate at logic level L (Netlist.levels()) is computed in core stage (L - 1) // pipeline; after
    every core stage j (j = 1 .. S) every value still needed later is registered as ``<name>_r<j>``
    (inputs as ``i<s>_r<j>``). The popcount reads the values after stage S; the class scores are
    registered (``score<c>_r``), the argmax reads those, and then class_id and the scores are registered
    once more (``class_id_q``, ``score<c>_q``). LATENCY = S + 2. Only the valid shift register is reset.
    With the raw-input front end (``raw_bits`` > 0) the comparators come first, in a stage of their
    own (registers ``x<i>_q``), and LATENCY = S + 3.
    """
    n, c, k = netlist.num_inputs, netlist.num_classes, netlist.group_size
    width, id_width = score_width(netlist), class_id_width(netlist)
    groups, offsets = _class_groups(netlist)
    summed = np.array([s for g in groups for s in g], dtype=np.int64)
    live = live_signals(netlist, summed)
    emitted = np.flatnonzero(live[n:]).tolist()
    unused_inputs = int(n - live[:n].sum())
    levels = netlist.levels()
    stages = core_stages(netlist, pipeline)
    front = 1 if raw_bits else 0  # the comparators' register stage
    latency = stages + 2 + front
    sections: list[Section] = []
    inputs = "in_bits[{}]"
    if raw_bits:
        front_section, in_port, inputs = _raw_front_end(netlist, live, raw_bits, pipelined=True)
        front_section.regs_title = f"pipeline register 1 of {latency}: comparator outputs (the front end's own stage)"
        sections.append(front_section)

    def stage_of(s: int) -> int:  # the stage whose combinational logic produces s (inputs: 0)
        return 0 if s < n else (int(levels[s]) - 1) // pipeline

    def base(s: int) -> str:
        return f"i{s}" if s < n else f"g{s - n}"

    def name_at(s: int, stage: int) -> str:  # s as seen by logic of ``stage`` (>= stage_of(s))
        own = stage_of(s)
        if stage == own:
            return _signal_name(netlist, s, inputs)
        return f"{base(s)}_r{stage}"

    # The last stage each live signal is needed in: its consumers' stages, and `stages` for outputs.
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    needed: dict[int, int] = {}
    for i in emitted:
        gate, st = GATES[ops[i]], stage_of(n + i)
        for used, s in ((gate.uses_a, a[i]), (gate.uses_b, b[i])):
            if used:
                needed[s] = max(needed.get(s, 0), st)
    for s in summed.tolist():
        needed[s] = max(needed.get(s, 0), stages)

    by_stage: list[list[int]] = [[] for _ in range(max(stages, 1))]
    for i in emitted:
        by_stage[stage_of(n + i)].append(i)
    for st in range(stages):
        lo, hi = st * pipeline + 1, (st + 1) * pipeline
        section = Section(f"gate core, stage {st}: logic levels {lo}..{hi}, {len(by_stage[st])} gates")
        for i in by_stage[st]:
            gate = GATES[ops[i]]
            section.wires.append(
                Wire(f"g{i}", 1, gate.verilog_expr(name_at(a[i], st), name_at(b[i], st)))
            )
        boundary = st + 1
        for s in sorted(needed, key=lambda s: (s >= n, s)):
            if stage_of(s) < boundary <= needed[s]:
                section.regs.append(Reg(f"{base(s)}_r{boundary}", 1, name_at(s, st)))
        section.regs_title = f"pipeline register {boundary + front} of {latency}: values needed after stage {st}"
        sections.append(section)

    score_section = Section(f"class scores: popcount of the class's output bits + constant offset ({width} bits)")
    for cls in range(c):
        leaves = [name_at(s, stages) for s in groups[cls]]
        title = f"class {cls}: popcount of {len(leaves)} bits"
        if len(leaves) != k:
            title += f" + offset {offsets[cls]} from {k - len(leaves)} constant outputs"
        section = Section(title)
        expr = _class_score(section, f"pc{cls}", leaves, width, offsets[cls], popcount)
        if section.wires:
            sections.append(section)
        score_section.wires.append(Wire(f"score{cls}", width, expr))
    score_section.regs = [Reg(f"score{cls}_r", width, f"score{cls}") for cls in range(c)]
    score_section.regs_title = f"pipeline register {stages + 1 + front} of {latency}: class scores"
    sections.append(score_section)

    entries = [(f"score{cls}_r", f"{id_width}'d{cls}") for cls in range(c)]
    argmax_wires, class_expr = _argmax_tree(entries, width, id_width)
    argmax = Section("argmax: comparator tree, ties keep the lower class index", argmax_wires)
    argmax.regs = [Reg("class_id_q", id_width, class_expr)]
    argmax.regs += [Reg(f"score{cls}_q", width, f"score{cls}_r") for cls in range(c)]
    argmax.regs_title = f"pipeline register {latency} of {latency}: class id and scores"
    sections.append(argmax)

    assigns = [Assign("out_valid", "valid_sr[LATENCY-1]")]
    for cls in range(c):
        lo = cls * width
        hi = lo + width - 1
        assigns.append(Assign(f"scores[{hi}:{lo}]" if c * width > 1 else "scores", f"score{cls}_q"))
    assigns.append(Assign("class_id", "class_id_q"))

    ports = _module_ports(
        netlist,
        [
            Port("input", "clk", 1, "clock: every register is on its rising edge"),
            Port("input", "rst", 1, "synchronous, active high: clears the valid pipeline"),
        ],
        in_port if raw_bits else None,
        unused_inputs,
        f"= in_valid delayed by LATENCY = {latency} cycles",
    )

    timing = [
        f"scores: {c} x {width} bits; class_id: {id_width} bits; pipelined, LATENCY = {latency} cycles",
        f"pipeline {pipeline}: registers after every {pipeline} logic levels ({stages} core stages), "
        "after the popcount and after the argmax" + (", and after the raw-input comparators" if raw_bits else ""),
        f"out_valid = in_valid delayed by {latency} cycles; synchronous active-high rst clears it",
    ]
    return {
        "module_name": module_name,
        "header_lines": _header_lines(netlist, len(emitted), timing, raw_bits, groups, offsets, header),
        "ports": ports,
        "sections": sections,
        "assigns": assigns,
        "latency": latency,
    }
