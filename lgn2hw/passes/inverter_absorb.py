"""Inverter absorption: a NOT gate feeding a gate operand folds into the reading gate's op.

A used operand driven by ``not_a(x)`` or ``not_b(x)`` is redirected to ``x`` and the reader's op becomes
``compose_id(op, invert_a/invert_b)``: ``and(not_a(x), y)`` becomes ``not_a_and_b(x, y)``, and
``not_a(not_a(x))`` becomes the wire ``a(x)`` (which ``wire_collapse`` then removes). Chains of inverters
resolve in one pass: an operand behind k inverters reads the chain's source, inverted when k is odd.
Every gate is rewritten at once from the input netlist's inverters: each rewrite preserves the value
of its own signal, so reading the source of a chain stays correct whatever happens to its gates. The
inverters themselves stay (an output or an ignored operand may still name them); ``dead_gates``
removes the ones left without readers. In a netlist of LUT-like two-input gates an absorbed inverter
costs nothing: every one of the 16 functions is one gate.

Safe because ``compose_id(op, invert_a, invert_b)`` evaluated on ``x`` equals ``op`` evaluated on ``~x``.
"""

from __future__ import annotations

import numpy as np

from ..ir.gates import NOT_A, NOT_B
from ..ir.netlist import Netlist
from .base import COMPOSE, USES_A, USES_B, PassResult, canonical_operands, rebuild

NAME = "inverter_absorb"


def inverter_chains(netlist: Netlist) -> tuple[np.ndarray, np.ndarray]:
    """(source, parity) per signal: following NOT gates from s ends at ``source[s]`` after an odd
    (parity 1) or even (parity 0) number of inversions; a signal that is no NOT gate is its own source.

    Chains resolve by pointer jumping on whole arrays, so NOT(NOT(NOT(x))) resolves in one pass.
    """
    n = netlist.num_inputs
    source = np.arange(netlist.num_signals, dtype=np.int64)
    parity = np.zeros(netlist.num_signals, dtype=np.uint8)
    not_a = np.flatnonzero(netlist.ops == NOT_A)
    not_b = np.flatnonzero(netlist.ops == NOT_B)
    source[n + not_a] = netlist.a[not_a]
    source[n + not_b] = netlist.b[not_b]
    parity[n + not_a] = 1
    parity[n + not_b] = 1
    while True:
        further = source[source]
        if np.array_equal(further, source):
            return source, parity
        parity = parity ^ parity[source]
        source = further


def inverter_absorb(netlist: Netlist) -> PassResult:
    """Fold NOT gates (and chains of them) on used operands into the reading gates."""
    source, parity = inverter_chains(netlist)
    ops, a, b = netlist.ops, netlist.a, netlist.b
    hit_a = USES_A[ops] & (source[a] != a)
    hit_b = USES_B[ops] & (source[b] != b)
    inv_a = np.where(hit_a, parity[a], 0).astype(np.intp)
    inv_b = np.where(hit_b, parity[b], 0).astype(np.intp)
    new_ops = COMPOSE[ops, inv_a, inv_b]
    new_a = np.where(hit_a, source[a], a)
    new_b = np.where(hit_b, source[b], b)
    # A rewritten single-operand gate keeps its canonical form (ignored operand = used operand).
    canon_a, canon_b = canonical_operands(new_ops, new_a, new_b)
    touched = hit_a | hit_b
    new_a, new_b = np.where(touched, canon_a, new_a), np.where(touched, canon_b, new_b)
    changes = {"inverters_absorbed": int(np.count_nonzero(hit_a)) + int(np.count_nonzero(hit_b))}
    return PassResult(rebuild(netlist, ops=new_ops, a=new_a, b=new_b), changes)
