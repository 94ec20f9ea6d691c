"""Structural hashing: gates that compute the same op of the same operands are merged into one.

Each gate is first put in canonical form: ignored operands canonical (``base.canonical_operands``), a
gate that uses only b is mirrored to use only a, and a gate that uses both operands with ``a > b`` is
mirrored with ``swapped_id`` so that ``a <= b`` (``xor(y, x)`` and ``xor(x, y)``, ``a_and_not_b(y, x)`` and
``not_a_and_b(x, y)`` then have the same key). Level by level, each gate's operands are replaced by their
representatives (merges of lower levels), re-canonicalized, and gates with an identical
``(op, a, b)`` are grouped; the lowest-numbered gate of a group represents it. Because merged
operands are substituted before the next level is grouped, merges cascade through the whole network
in one pass. Readers and outputs of a merged gate are redirected to its representative; the
duplicates stay in place with no readers, for ``dead_gates`` to remove.

Safe because identical ops of identical signals compute identical values, and mirroring with
``swapped_id`` preserves the function (``op(a, b) == swapped(b, a)``).
"""

from __future__ import annotations

import numpy as np

from ..ir.netlist import Netlist
from .base import SWAPPED, USES_A, USES_B, PassResult, canonical_operands, rebuild

NAME = "merge"
# Bits per operand in the packed sort key (op in the top 4 bits of 63): up to 2^29 signals.
_SIGNAL_BITS = 29


def canonical_form(ops: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ops, a, b) with ignored operands canonical, single-operand gates on a, and a <= b otherwise."""
    a, b = canonical_operands(ops, a, b)
    ua, ub = USES_A[ops], USES_B[ops]
    mirror = (ub & ~ua) | (ua & ub & (a > b))
    ops = np.where(mirror, SWAPPED[ops], ops).astype(np.uint8)
    a, b = np.where(mirror, b, a), np.where(mirror, a, b)
    return ops, a, b


def merge(netlist: Netlist) -> PassResult:
    """Merge structurally identical gates, cascading level by level."""
    n = netlist.num_inputs
    ops, a, b = canonical_form(netlist.ops, netlist.a, netlist.b)
    canonicalized = int(np.count_nonzero((ops != netlist.ops) | (a != netlist.a) | (b != netlist.b)))
    rep = np.arange(netlist.num_signals, dtype=np.int64)
    packable = netlist.num_signals <= 1 << _SIGNAL_BITS
    for idx in netlist.gates_by_level():
        op_l, a_l, b_l = canonical_form(ops[idx], rep[a[idx]], rep[b[idx]])
        ops[idx], a[idx], b[idx] = op_l, a_l, b_l
        if idx.size < 2:
            continue
        starts = np.ones(idx.size, dtype=bool)
        # Sort by (op, a, b), stably so a group lists its gates in ascending index order.
        if packable:  # one int64 key per gate sorts much faster than a three-key lexsort
            key = (op_l.astype(np.int64) << 58) | (a_l << _SIGNAL_BITS) | b_l
            order = np.argsort(key, kind="stable")
            sk = key[order]
            starts[1:] = sk[1:] != sk[:-1]
        else:
            order = np.lexsort((b_l, a_l, op_l))
            so, sa, sb = op_l[order], a_l[order], b_l[order]
            starts[1:] = (so[1:] != so[:-1]) | (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
        first = np.maximum.accumulate(np.where(starts, np.arange(idx.size), 0))
        rep[n + idx[order]] = n + idx[order][first]
    outputs = rep[netlist.outputs]
    # A merged gate counts when something read it (a used operand or an output) and now reads its
    # representative instead; unread duplicates change nothing.
    read = np.zeros(netlist.num_signals, dtype=bool)
    read[netlist.outputs] = True
    read[netlist.a[USES_A[netlist.ops]]] = True
    read[netlist.b[USES_B[netlist.ops]]] = True
    merged = int(np.count_nonzero((rep != np.arange(netlist.num_signals)) & read))
    changes = {"gates_merged": merged, "gates_canonicalized": canonicalized}
    return PassResult(rebuild(netlist, ops=ops, a=a, b=b, outputs=outputs), changes)
