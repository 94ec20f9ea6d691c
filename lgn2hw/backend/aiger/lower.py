"""Lowering: a netlist becomes an and-inverter graph of its whole classifier (docs/aiger.md).

The same function as the Verilog top (lgn2hw.backend.verilog.lower), bit for bit, without a clock:

- raw-input builds: one comparator per input bit, ``feature > floor(threshold)`` on unsigned B-bit
  features (lgn2hw.backend.verilog.encoder.comparator_expr's rule, constants where it has constants);
- every gate that reaches an output, as ANDs derived from its truth table in lgn2hw.ir.gates (a
  constant, an operand or its complement, or an OR of at most two minterms, complemented when the
  table has three ones), with structural hashing and constant folding (graph.py);
- per class, the popcount of its k output bits (constant outputs fold into the sum) by full and half
  adders column by column, ``score_width`` bits (heads.score_width: the sum never overflows it);
- the argmax as the Verilog's comparator tree (heads.argmax_tree): neighbours paired in class order, a
  node keeps the left operand unless the right score is strictly greater, so ties go to the lowest
  class id; ``class_id_width`` bits.

A pipelined build's registers are not represented: the AIG is its combinational function (the values
the pipeline delivers LATENCY cycles later).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import __version__
from ...errors import EmitError
from ...ir.encoding import ThresholdEncoding
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from ..verilog.heads import class_id_width, score_width
from .graph import FALSE, TRUE, Aig, negate

OUTPUT_KINDS = ("all", "scores")  # all: scores and class_id; scores: the class scores only
GENERATOR = "lgn2hw.backend.aiger"


@dataclass(frozen=True)
class AigModel:
    """A compacted AIG with its port names: what the printer writes and nothing else."""

    num_inputs: int
    ands: tuple[tuple[int, int], ...]  # (rhs0, rhs1), rhs0 >= rhs1, variable num_inputs + 1 + index
    outputs: tuple[int, ...]  # output literals
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    comments: tuple[str, ...]
    num_classes: int
    score_width: int
    id_width: int
    raw_bits: int  # B of a raw-input build, 0 for in_bits


def gate_literal(aig: Aig, op: int, a: int, b: int) -> int:
    """The literal of gate ``op`` on literals ``a`` and ``b``, derived from its truth table."""
    g = GATES[op]
    if g.is_constant:
        return TRUE if g.output(0, 0) else FALSE
    if not g.uses_b:
        return a if g.output(1, 0) else negate(a)
    if not g.uses_a:
        return b if g.output(0, 1) else negate(b)
    ones = [(va, vb) for va in (0, 1) for vb in (0, 1) if g.output(va, vb)]
    invert = len(ones) > 2
    terms = ones if not invert else [(va, vb) for va in (0, 1) for vb in (0, 1) if not g.output(va, vb)]
    result = FALSE
    for va, vb in terms:
        result = aig.or_(result, aig.and_(a if va else negate(a), b if vb else negate(b)))
    return negate(result) if invert else result


def lower(netlist: Netlist, raw_bits: int = 0, outputs: str = "all", pipeline: int = 0) -> AigModel:
    """The AIG of ``netlist``'s classifier; ``raw_bits`` > 0: inputs are the raw features of that many
    bits (the netlist's input_encoding compares them); ``outputs``: "all" or "scores"; ``pipeline``
    only goes into the comments (the AIG is combinational)."""
    if outputs not in OUTPUT_KINDS:
        raise EmitError(f"AIGER outputs must be one of {', '.join(OUTPUT_KINDS)}, got {outputs!r}")
    netlist.validate()
    n, c, k = netlist.num_inputs, netlist.num_classes, netlist.group_size
    width, id_width = score_width(netlist), class_id_width(netlist)
    if raw_bits:
        if netlist.input_encoding is None:
            raise EmitError("a raw-input AIG needs the netlist's input_encoding (the comparators' thresholds)")
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=n)
        aig = Aig(encoding.num_features * raw_bits)
        input_names = [f"in_features[{i}]" for i in range(aig.num_inputs)]
    else:
        aig = Aig(n)
        input_names = [f"in_bits[{i}]" for i in range(n)]
    live = netlist.live_signals(netlist.outputs.astype(np.int64))
    lits = [FALSE] * netlist.num_signals
    for i in np.flatnonzero(live[:n]).tolist():
        lits[i] = _comparator(aig, encoding, i, raw_bits) if raw_bits else aig.input(i)
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for g in np.flatnonzero(live[n:]).tolist():
        lits[n + g] = gate_literal(aig, ops[g], lits[a[g]], lits[b[g]])

    out = netlist.outputs.tolist()
    scores = [_popcount(aig, [lits[s] for s in out[cls * k : (cls + 1) * k]], width) for cls in range(c)]
    out_lits = [bit for score in scores for bit in score]
    out_names = [f"scores[{j}]" for j in range(c * width)]
    if outputs == "all":
        out_lits += _argmax(aig, scores, id_width)
        out_names += [f"class_id[{j}]" for j in range(id_width)]
    ands, out_lits = aig.compact(out_lits)
    comments = [
        f"Generated by lgn2hw {__version__} ({GENERATOR}). Do not edit; regenerate instead.",
        f"netlist sha256: {netlist.sha256()}",
        f"Logic Gate Network: {n} inputs, {netlist.num_gates} gates, {c} classes x {k} outputs",
        (f"inputs: in_features, {aig.num_inputs // raw_bits} unsigned {raw_bits}-bit features, feature f at "
         f"in_features[f*{raw_bits} +: {raw_bits}], compared with the input_encoding's thresholds" if raw_bits
         else f"inputs: in_bits[0..{n - 1}], bit i = input signal i"),
        f"outputs: scores, {c} x {width} bits, class c at scores[c*{width} +: {width}]"
        + (f"; class_id, {id_width} bits, argmax of scores, ties -> lowest class index" if outputs == "all" else ""),
        "combinational" + (f"; the compiled build is pipelined ({pipeline} logic levels per stage): its latency is "
                           "not represented, this is the function it computes" if pipeline else ""),
    ]
    return AigModel(aig.num_inputs, tuple(ands), tuple(out_lits), tuple(input_names), tuple(out_names),
                    tuple(comments), c, width, id_width, int(raw_bits))


def _comparator(aig: Aig, encoding: ThresholdEncoding, i: int, raw_bits: int) -> int:
    """Input bit ``i`` of a raw-input build: its feature > floor(threshold), unsigned ``raw_bits`` bits."""
    t, top = math.floor(float(encoding.threshold[i])), (1 << raw_bits) - 1
    if t < 0:
        return TRUE
    if t >= top:
        return FALSE
    f = int(encoding.feature[i])
    return aig.greater_than_constant([aig.input(f * raw_bits + j) for j in range(raw_bits)], t)


def _popcount(aig: Aig, bits: list[int], width: int) -> list[int]:
    """``width`` little-endian bits of the number of true literals in ``bits`` (must fit in width).

    Constant bits are counted up front and enter as constant column bits; then every column is reduced
    to one bit by full adders (three bits -> sum here, carry one column up) and a half adder for a last
    pair, oldest bits first so the adders form balanced trees. Carries out of the top column are
    dropped: the count is below 2**width."""
    cols: list[list[int]] = [[] for _ in range(width)]
    ones = sum(1 for bit in bits if bit == TRUE)
    cols[0] = [bit for bit in bits if bit not in (FALSE, TRUE)]
    for j in range(width):
        if (ones >> j) & 1:
            cols[j].append(TRUE)
    for j in range(width):
        col = cols[j]
        while len(col) > 1:
            if len(col) >= 3:
                s, carry = aig.full_adder(col.pop(0), col.pop(0), col.pop(0))
            else:
                s, carry = aig.half_adder(col.pop(0), col.pop(0))
            col.append(s)
            if j + 1 < width:
                cols[j + 1].append(carry)
    return [col[0] if col else FALSE for col in cols]


def _argmax(aig: Aig, scores: list[list[int]], id_width: int) -> list[int]:
    """class_id bits: the comparator tree of heads.argmax_tree (ties keep the lower class id)."""
    nodes = [(score, [TRUE if (cls >> j) & 1 else FALSE for j in range(id_width)]) for cls, score in enumerate(scores)]
    while len(nodes) > 1:
        nxt = []
        for j in range(0, len(nodes) - 1, 2):
            (ls, li), (rs, ri) = nodes[j], nodes[j + 1]
            gt = aig.greater(rs, ls)
            nxt.append(([aig.mux(gt, r, l) for r, l in zip(rs, ls)], [aig.mux(gt, r, l) for r, l in zip(ri, li)]))
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    return nodes[0][1]
