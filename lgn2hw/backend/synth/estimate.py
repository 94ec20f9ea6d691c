"""A LUT6 estimate in milliseconds, for screening many designs before Yosys counts the few that matter.

``estimate_luts(netlist, raw_bits)`` counts, per block of the generic flow (docs/synthesis.md):

- gate core and encoder: the live two-input gates, and in raw-input builds the comparators of the live
  input bits (``x > t`` reads the top comparator_support bits of x), packed greedily into 6-input
  cones. A gate or comparator whose only consumer is one gate merges into that gate's LUT while the
  union of their leaves stays within six signals; one read twice or more, or by an output, roots a
  LUT of its own. Pass-through and inverter gates are free (a LUT absorbs an inversion), constants
  and one-bit comparators (x > 127) too. The comparators that root a LUT are the encoder's count;
  ABC merges the others into the gates, as this packing does;
- popcount: the counter tree the Verilog back end builds (heads.compressor_tree), one LUT6 per
  counter output bit, plus one per bit of the final two-row add;
- argmax: per comparator node of the tree, about 1.5 W LUT6 (a fit to Yosys's counts; see argmax_luts).

The core and argmax terms are a model, not a mapping: ABC finds sharing across cones and blocks that
a greedy packing does not. The error against Yosys on real designs is measured by ``lgn2hw explore``
(it synthesizes the points on the front and reports estimate vs count) and stated in docs/pareto.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir.encoder_cost import comparator_support
from ...ir.encoding import ThresholdEncoding
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from ..verilog.heads import class_groups, class_id_width, compressor_tree, score_width

LUT_INPUTS = 6
_USES = [(g.uses_a, g.uses_b) for g in GATES]


@dataclass(frozen=True)
class LutEstimate:
    encoder: int
    core: int
    popcount: int
    argmax: int

    @property
    def head(self) -> int:
        return self.popcount + self.argmax

    @property
    def total(self) -> int:
        return self.encoder + self.core + self.popcount + self.argmax

    def to_json(self) -> dict:
        return {"encoder": self.encoder, "core": self.core, "popcount": self.popcount, "argmax": self.argmax,
                "total": self.total}


def estimate_luts(netlist: Netlist, raw_bits: int | None = None) -> LutEstimate:
    """LUT6 estimate of the design ``lgn2hw compile`` emits for ``netlist``; ``raw_bits``: the raw-input
    feature width of a ``--raw-inputs`` build (None: input bits in, no encoder)."""
    n = netlist.num_inputs
    live = netlist.live_signals()
    support = None
    if raw_bits is not None and netlist.input_encoding is not None:
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=n)
        support = [_comparator_leaves(f, t, raw_bits)
                   for f, t in zip(encoding.feature.tolist(), encoding.threshold.tolist())]
    encoder, core = pack_cones(netlist, live, support)
    groups, _ = class_groups(netlist)
    width = score_width(netlist)
    return LutEstimate(encoder, core, sum(popcount_luts(len(g), width) for g in groups),
                       argmax_luts(netlist.num_classes, width, class_id_width(netlist)))


def _comparator_leaves(feature: int, threshold: float, raw_bits: int) -> frozenset:
    """The raw bits ``feature > threshold`` reads (its top comparator_support bits), as leaf keys."""
    k = comparator_support(threshold, raw_bits)
    return frozenset(("raw", feature, raw_bits - 1 - j) for j in range(k))


def pack_cones(netlist: Netlist, live: np.ndarray, support: list[frozenset] | None = None) -> tuple[int, int]:
    """(encoder LUT6, gate-core LUT6): the live gates, and the comparators of a raw-input build, packed
    greedily into 6-input cones (module docstring).

    ``support[i]``: the raw bits input bit i's comparator reads (None: input bits in, leaves as they
    are). A comparator of one bit is a wire; one read by a single gate merges into that gate's cone
    like a gate would; otherwise it is a LUT of its own (a comparator of more than six bits counts
    ``comparator_lut6``), and these make the encoder's count."""
    n = netlist.num_inputs
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    gates = np.flatnonzero(live[n:]).tolist()
    alias: dict[int, int] = {}  # what a free gate (pass-through, inverter) stands for
    real: list[int] = []
    for g in gates:
        ua, ub = _USES[ops[g]]
        if ua and ub:
            real.append(g)
        elif ua or ub:
            src = a[g] if ua else b[g]
            alias[n + g] = alias.get(src, src)
    fanout: dict[int, int] = {}
    for g in real:
        for sig in {alias.get(a[g], a[g]), alias.get(b[g], b[g])}:
            fanout[sig] = fanout.get(sig, 0) + 1
    for sig in netlist.outputs.tolist():
        sig = alias.get(sig, sig)
        fanout[sig] = fanout.get(sig, 0) + 2  # an output is a LUT root whatever else reads it
    leaves: dict[int, frozenset] = {}
    encoder_roots: set[int] = set()
    if support is not None:
        for i in np.flatnonzero(live[:n]).tolist():
            bits = support[i]
            if len(bits) > LUT_INPUTS:
                encoder_roots.add(i)  # counted below with comparator_lut6's cost: its own cells
            else:
                leaves[i] = bits
            if len(bits) >= 2 and fanout.get(i, 0) != 1:
                encoder_roots.add(i)
    wide = sum(-(-(len(support[i]) - 1) // (LUT_INPUTS - 1)) - 1 for i in encoder_roots if len(support[i]) > LUT_INPUTS) if support else 0
    core = 0

    def cone(sig: int) -> frozenset:
        if sig < n:
            if support is None:
                return frozenset((sig,))
            bits = support[sig]
            return bits if len(bits) <= 1 or (sig not in encoder_roots) else frozenset((sig,))
        return leaves[sig] if fanout.get(sig, 0) == 1 else frozenset((sig,))

    for g in real:  # gates are in topological order
        operands = sorted({alias.get(a[g], a[g]), alias.get(b[g], b[g])})
        cones = [cone(sig) for sig in operands]
        merged = frozenset().union(*cones)
        while len(merged) > LUT_INPUTS:
            # cut the operand cone with the most leaves: it becomes a LUT of its own
            i = max(range(len(cones)), key=lambda j: len(cones[j]))
            sig = operands[i]
            if sig < n:
                encoder_roots.add(sig)
            else:
                core += 1
            cones[i] = frozenset((sig,))
            merged = frozenset().union(*cones)
        leaves[n + g] = merged
        if fanout.get(n + g, 0) != 1:
            core += 1
    return len(encoder_roots) + wide, core


def popcount_luts(bits: int, width: int) -> int:
    """LUT6 of one class's counter tree over ``bits`` summed bits: one per counter output bit, one per
    bit of the final two-row add."""
    if bits <= 1:
        return 0
    wires, _ = compressor_tree("c", [f"x{i}" for i in range(bits)], width)
    return sum(w.width for w in wires) + (width if bits > 2 or wires else 1)


def argmax_luts(classes: int, width: int, id_width: int) -> int:
    """LUT6 of the comparator tree over ``classes`` scores of ``width`` bits: per node about W cells for
    the comparison and the score multiplexer together, and W / 2 for the class-id multiplexers and the
    select logic (fitted to Yosys's counts of W = 3 to 10: ABC merges the 2W-bit comparison with the
    multiplexers it drives). ``id_width`` is accepted for the interface; the fit absorbs it."""
    nodes = classes - 1
    return max(0, nodes) * (width + -(-width // 2))
