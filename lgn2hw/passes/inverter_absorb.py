"""Inverter absorption: a NOT gate feeding a gate operand folds into the reading gate's op.

A used operand driven by ``not_a(x)`` or ``not_b(x)`` is redirected to ``x`` and the reader's op becomes
``compose_id(op, invert_a/invert_b)``: ``and(not_a(x), y)`` becomes ``not_a_and_b(x, y)``, and
``not_a(not_a(x))`` becomes the wire ``a(x)`` (which ``wire_collapse`` then removes). Every gate is
rewritten at once from the input netlist's inverters: each rewrite preserves the value of its own
signal, so reading the source of an inverter stays correct whatever happens to that inverter. The
inverters themselves stay (an output or an ignored operand may still name them); ``dead_gates``
removes the ones left without readers. In a netlist of LUT-like two-input gates an absorbed inverter
costs nothing: every one of the 16 functions is one gate.

Safe because ``compose_id(op, invert_a, invert_b)`` evaluated on ``x`` equals ``op`` evaluated on ``~x``.
"""

from __future__ import annotations

import numpy as np

from ..gates import NOT_A, NOT_B
from ..netlist import Netlist
from .base import COMPOSE, USES_A, USES_B, PassResult, canonical_operands, rebuild

NAME = "inverter_absorb"


def inverter_sources(netlist: Netlist) -> np.ndarray:
    """source[s]: the signal inverted by s if s is a NOT gate, else -1."""
    n = netlist.num_inputs
    source = np.full(netlist.num_signals, -1, dtype=np.int64)
    not_a = np.flatnonzero(netlist.ops == NOT_A)
    not_b = np.flatnonzero(netlist.ops == NOT_B)
    source[n + not_a] = netlist.a[not_a]
    source[n + not_b] = netlist.b[not_b]
    return source


def inverter_absorb(netlist: Netlist) -> PassResult:
    """Fold NOT gates on used operands into the reading gates."""
    source = inverter_sources(netlist)
    ops, a, b = netlist.ops, netlist.a, netlist.b
    inv_a = USES_A[ops] & (source[a] >= 0)
    inv_b = USES_B[ops] & (source[b] >= 0)
    new_ops = COMPOSE[ops, inv_a.astype(np.intp), inv_b.astype(np.intp)]
    new_a = np.where(inv_a, source[a], a)
    new_b = np.where(inv_b, source[b], b)
    # A rewritten single-operand gate keeps its canonical form (ignored operand = used operand).
    canon_a, canon_b = canonical_operands(new_ops, new_a, new_b)
    touched = inv_a | inv_b
    new_a, new_b = np.where(touched, canon_a, new_a), np.where(touched, canon_b, new_b)
    changes = {"inverters_absorbed": int(np.count_nonzero(inv_a)) + int(np.count_nonzero(inv_b))}
    return PassResult(rebuild(netlist, ops=new_ops, a=new_a, b=new_b), changes)
