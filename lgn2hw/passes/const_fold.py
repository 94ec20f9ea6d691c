"""Constant folding: constants propagate through every gate type, level by level, in one pass.

A used operand that is driven by a constant gate (FALSE or TRUE) is folded into the reading gate's op
with ``restrict_id``: ``and(x, FALSE)`` becomes ``false``, ``xor(x, TRUE)`` becomes ``not_a(x)``. A gate
whose op becomes constant is itself a constant for the gates of the next level, so chains resolve in a
single pass. Finally every ignored operand is made canonical (``base.canonical_operands``): constant
gates read signal 0, single-operand gates read their used operand twice, so an ignored operand never
keeps a gate alive. Output bits are never removed: an output whose gate folds to a constant stays an
output, driven by that (now constant) gate.

Safe because ``restrict_id(op, port, v)`` is, by construction, the function ``op`` computes when that
operand equals ``v``, which is exactly what the constant gate drives.
"""

from __future__ import annotations

import numpy as np

from ..ir.netlist import Netlist
from .base import CONSTANT_VALUE, IS_CONSTANT, RESTRICT, USES_A, USES_B, PassResult, canonical_operands, count_changed, rebuild

NAME = "const_fold"


def const_fold(netlist: Netlist) -> PassResult:
    """Fold constant operands into their readers and canonicalize ignored operands."""
    n = netlist.num_inputs
    ops = netlist.ops.copy()
    a, b = netlist.a, netlist.b
    # value[s]: -1 if signal s is not (known) constant, else its constant 0/1.
    value = np.full(netlist.num_signals, -1, dtype=np.int8)
    folded = 0
    for idx in netlist.gates_by_level():
        op = ops[idx]
        va, vb = value[a[idx]], value[b[idx]]
        fold_a = USES_A[op] & (va >= 0)
        op = np.where(fold_a, RESTRICT[op, 0, np.maximum(va, 0)], op)
        fold_b = USES_B[op] & (vb >= 0)
        op = np.where(fold_b, RESTRICT[op, 1, np.maximum(vb, 0)], op)
        folded += int(np.count_nonzero(fold_a)) + int(np.count_nonzero(fold_b))
        ops[idx] = op
        const = IS_CONSTANT[op]
        value[n + idx] = np.where(const, CONSTANT_VALUE[op], -1)
    became_constant = int(np.count_nonzero(IS_CONSTANT[ops] & ~IS_CONSTANT[netlist.ops]))
    new_a, new_b = canonical_operands(ops, a, b)
    changes = {
        "operands_folded": folded,
        "gates_to_constant": became_constant,
        "operands_canonicalized": count_changed((a, new_a), (b, new_b)),
    }
    return PassResult(rebuild(netlist, ops=ops, a=new_a, b=new_b), changes)
