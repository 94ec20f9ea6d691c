"""The classifier head as records: a popcount per class (counter tree, adder tree, or the Xilinx
carry-chain counters of carry_head.py) and the argmax.

Choices of structure live here, as wires whose expressions the printer copies: how the output bits of a
class are summed (a tree of 6-input counters, each output bit one LUT6, or 4-input adder nodes), how wide
every node is, and the comparator tree that picks the class (ties keep the lower class index).
"""

from __future__ import annotations

from ...ir.popcount import POPCOUNT_CHOICES
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from . import carry_head, ccu2c_head
from .records import Section, Wire

POPCOUNT_ARITY = 4  # operands per adder-tree node
# From this tree level up, a node's sum is written as ``(a + b + ...) | w'b0``. The OR with zero is a
# no-op that Yosys's opt_expr removes before it builds adder trees (an AND with all ones, which Icarus
# treats the same, survives Yosys 0.23's opt_expr and cost 13 % more LUTs), and it makes Icarus evaluate
# the node once per delta step instead of once per changed operand: Icarus propagates ``+`` immediately
# and schedules bitwise operators. Measured 1.7x fewer simulator instructions per vector on 10 x 800
# outputs (docs/verilog-interface.md).
POPCOUNT_SETTLE_LEVEL = 3
# the build choices (compile --popcount) and "adder", the earlier tree kept for benchmarks/head_luts.py
POPCOUNT_KINDS = (*POPCOUNT_CHOICES, "adder")
PRIMITIVE_HEADS = {"carry4": carry_head, "ccu2c": ccu2c_head}  # heads of vendor primitives (ir/popcount.py)
COUNTER_SETTLE_STAGE = 2
COUNTER_INPUTS = 6  # inputs per counter of the compressor tree: each output bit is one LUT6
LUT4_COUNTER_INPUTS = 3  # popcount="lut4": full adders, each output bit a 3-input function (one LUT4)


def bits_for(value: int) -> int:
    """Bits needed to hold the unsigned value ``value`` (at least 1)."""
    return max(1, int(value).bit_length())


def score_width(netlist: Netlist) -> int:
    """W: bits per class score, enough for the group size k (the largest possible popcount)."""
    return bits_for(netlist.group_size)


def class_id_width(netlist: Netlist) -> int:
    """Bits of class_id: max(1, clog2(C))."""
    return max(1, (netlist.num_classes - 1).bit_length())


def zext(name: str, width: int, target: int) -> str:
    """``name`` (``width`` bits) zero-extended to ``target`` bits, written without width warnings."""
    return name if width == target else f"{{{target - width}'b0, {name}}}"


def adder_tree(prefix: str, leaves: list[str]) -> tuple[list[Wire], str, int, int]:
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
            expr = " + ".join(zext(x, wx, w) for x, wx, _ in group)
            if level >= POPCOUNT_SETTLE_LEVEL:
                expr = f"({expr}) | {w}'b0"
            wires.append(Wire(name, w, expr))
            nxt.append((name, w, m))
        nodes = nxt
    root, width, maximum = nodes[0]
    return wires, root, width, maximum


def compressor_tree(
    prefix: str, leaves: list[str], width: int, offset: int = 0, first_inputs: int | None = None,
    counter_inputs: int = COUNTER_INPUTS,
) -> tuple[list[Wire], str]:
    """Counter (compressor) tree over 1-bit ``leaves``: (wires, ``width``-bit expression for the sum + ``offset``).

    Bits are kept in columns by weight (2**j). Every stage replaces each column of 3 or more bits by
    counters of ``counter_inputs`` (COUNTER_INPUTS, 6) bits, plus one counter of the 3..5 left over: a
    counter is a small ``+`` of its input bits (``wire [2:0] cs_…``), and each of its output bits depends
    on at most six input bits, so it maps to one LUT6. With ``counter_inputs`` = 3 (popcount="lut4")
    every counter is a full adder whose two output bits are one LUT4 each: on ECP5 that costs fewer LUT4
    than the LUT6 counters split into LUT4s (docs/synthesis.md). Its output bit b goes to column j + b of the next stage.
    When every column holds at most two bits, the two rows and the constant ``offset`` are added in
    one ``width``-bit ``+``. Columns at or above ``width`` are left out (their bits are provably zero:
    the sum never reaches 2**width), and a counter near the top is only as wide as the columns left.

    ``first_inputs`` (3..counter_inputs; default counter_inputs) sizes the counters of the first stage,
    the one that reads the output bits. The RTL always uses counter_inputs; benchmarks/head_luts.py tries 3 (full adders, so that each
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
            size = first_inputs if stage == 1 and first_inputs else counter_inputs
            chunks = [col[i : i + size] for i in range(0, len(col), size)]
            for index, chunk in enumerate(chunks):
                if len(chunk) < 3:  # 1-2 bits pass to the next stage unchanged
                    nxt[j].extend(chunk)
                    continue
                w = min(bits_for(len(chunk)), width - j)
                name = f"{prefix}_s{stage}_c{j}_{index}"
                expr = " + ".join(zext(x, 1, w) for x in chunk)
                if stage >= COUNTER_SETTLE_STAGE:
                    expr = f"({expr}) | {w}'b0"
                wires.append(Wire(name, w, expr))
                for b in range(w):
                    nxt[j + b].append(f"{name}[{b}]" if w > 1 else name)
        cols = nxt
    return wires, two_row_sum(cols, width, offset)


def two_row_sum(cols: list[list[str]], width: int, offset: int = 0) -> str:
    """The ``width``-bit sum of columns of at most two bits each (two rows, LSB column first) and the
    constant ``offset``: the final add of a counter tree."""
    rows = []
    for r in range(2):
        bits = [col[r] if len(col) > r else "1'b0" for col in cols]
        if any(bit != "1'b0" for bit in bits):
            rows.append(bits[0] if width == 1 else "{" + ", ".join(reversed(bits)) + "}")
    if offset:
        rows.append(f"{width}'d{offset}")
    return " + ".join(rows) if rows else f"{width}'d0"


def class_score(section: Section, prefix: str, leaves: list[str], width: int, offset: int, popcount: str) -> str:
    """Add the popcount wires of one class to ``section``; return the ``width``-bit score expression."""
    if not leaves:
        return f"{width}'d{offset}"
    if popcount in ("compressor", "lut4"):
        counter = LUT4_COUNTER_INPUTS if popcount == "lut4" else COUNTER_INPUTS
        tree, expr = compressor_tree(prefix, leaves, width, offset, counter_inputs=counter)
        section.wires.extend(tree)
        return expr
    head = PRIMITIVE_HEADS.get(popcount)
    if head is not None:
        nets, instances, cols = head.primitive_tree(prefix, leaves, width, offset)
        section.nets.extend(nets)
        section.instances.extend(instances)
        section.lint_waivers = head.LINT_WAIVERS
        return two_row_sum(cols, width)  # the offset is in the counters' columns already
    tree, root, root_width, _ = adder_tree(prefix, leaves)
    section.wires.extend(tree)
    expr = zext(root, root_width, width)
    return f"{expr} + {width}'d{offset}" if offset else expr


def argmax_tree(entries: list[tuple[str, str]], width: int, id_width: int) -> tuple[list[Wire], str]:
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


def class_groups(netlist: Netlist) -> tuple[list[list[int]], list[int]]:
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


def _is_constant_signal(netlist: Netlist, s: int) -> tuple[bool, int]:
    """(is the signal a constant gate, its value)."""
    n = netlist.num_inputs
    if s < n:
        return False, 0
    gate = GATES[int(netlist.ops[s - n])]
    return gate.is_constant, gate.output(0, 0)
