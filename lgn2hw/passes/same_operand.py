"""Same-operand simplification: a gate that reads one signal on both ports, ``op(x, x)``, becomes a
constant (``xor(x, x)`` -> ``false``), a wire (``and(x, x)`` -> ``a(x)``) or an inverter
(``nand(x, x)`` -> ``not_a(x)``).

Only gates that use both operands are rewritten (a single-operand or constant gate already is in its
simplest form). The new op, taken from the gate table as the function ``x -> op(x, x)``, uses at most
operand a; b keeps naming the same signal, which is the canonical form for a single-operand gate, and
a gate that becomes constant reads signal 0 on both ports (the canonical form of a constant).

Safe because the rewritten gate computes ``op(x, x)`` for every value of x.
"""

from __future__ import annotations

import numpy as np

from ..ir.gates import NOT_A, PASS_A
from ..ir.netlist import Netlist
from .base import IS_CONSTANT, SAME_OPERAND, USES_A, USES_B, PassResult, rebuild

NAME = "same_operand"


def same_operand(netlist: Netlist) -> PassResult:
    """Rewrite ``op(x, x)`` gates into the constant, wire or inverter they compute."""
    ops = netlist.ops
    hit = (netlist.a == netlist.b) & USES_A[ops] & USES_B[ops]
    new_ops = np.where(hit, SAME_OPERAND[ops], ops).astype(np.uint8)
    simplified = new_ops[hit]
    changes = {
        "to_constant": int(np.count_nonzero(IS_CONSTANT[simplified])),
        "to_wire": int(np.count_nonzero(simplified == PASS_A)),
        "to_inverter": int(np.count_nonzero(simplified == NOT_A)),
    }
    # Only the rewritten gates' operands change: a new constant reads signal 0 (its canonical form).
    zero = hit & IS_CONSTANT[new_ops]
    a, b = np.where(zero, 0, netlist.a), np.where(zero, 0, netlist.b)
    return PassResult(rebuild(netlist, ops=new_ops, a=a, b=b), changes)
