"""What every optimization pass shares: the result record, gate look-up tables and whole-array helpers.

A pass is a function ``Netlist -> PassResult``. It never mutates its input: it works on copies of the
arrays and returns a new netlist plus a count of every rewrite it made, so that ``result.changed`` is
true exactly when the returned netlist differs from the input (the pass manager's fixed-point test).

The look-up tables below are built once from the gate table's own helpers (``restrict_id``,
``compose_id``, ``swapped_id``, ``uses_a``/``uses_b``); passes index them with whole arrays of ops
instead of asking the gate table one gate at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir.gates import FALSE, GATES, NUM_GATES, compose_id, gate_from_function, restrict_id
from ..ir.netlist import Netlist


@dataclass
class PassResult:
    """The netlist a pass produced and what it changed, by kind of rewrite (all counts >= 0)."""

    netlist: Netlist
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the pass rewrote anything (any count > 0)."""
        return any(v > 0 for v in self.changes.values())


# ------------------------------------------------------------------------------------------ tables
def _table(fn, dtype=np.uint8) -> np.ndarray:
    return np.array([fn(op) for op in range(NUM_GATES)], dtype=dtype)


USES_A = _table(lambda op: GATES[op].uses_a, bool)
USES_B = _table(lambda op: GATES[op].uses_b, bool)
IS_CONSTANT = _table(lambda op: GATES[op].is_constant, bool)
SWAPPED = _table(lambda op: GATES[op].swapped_id)
# RESTRICT[op, port, value]: op with operand a (port 0) or b (port 1) tied to value.
RESTRICT = np.array(
    [[[restrict_id(op, port, v) for v in (0, 1)] for port in ("a", "b")] for op in range(NUM_GATES)],
    dtype=np.uint8,
)
# COMPOSE[op, invert_a, invert_b]: op with inverters folded into its operands.
COMPOSE = np.array(
    [[[compose_id(op, bool(ia), bool(ib)) for ib in (0, 1)] for ia in (0, 1)] for op in range(NUM_GATES)],
    dtype=np.uint8,
)
# SAME_OPERAND[op]: the gate computing op(x, x) as a function of operand a alone.
SAME_OPERAND = _table(lambda op: gate_from_function(lambda a, b: GATES[op].output(a, a)))
# Value of a constant gate (0 for FALSE, 1 for TRUE); meaningless for other ops.
CONSTANT_VALUE = _table(lambda op: GATES[op].output(0, 0))


# ----------------------------------------------------------------------------------------- helpers
def canonical_operands(ops: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Operands with the ignored ones made canonical, so that they keep nothing alive.

    A constant gate reads signal 0 on both ports; a gate that uses only a reads a on b too; a gate that
    uses only b reads b on a too. Used operands are unchanged. Returns new arrays.
    """
    ua, ub = USES_A[ops], USES_B[ops]
    new_a = np.where(ua, a, np.where(ub, b, 0))
    new_b = np.where(ub, b, new_a)
    return new_a, new_b


def count_changed(*pairs: tuple[np.ndarray, np.ndarray]) -> int:
    """Number of positions where old and new arrays differ, summed over the pairs."""
    return int(sum(np.count_nonzero(old != new) for old, new in pairs))


def rebuild(netlist: Netlist, ops=None, a=None, b=None, outputs=None) -> Netlist:
    """A new netlist with the given arrays replaced (others copied); input encoding and metadata kept."""
    changes = {}
    for name, value in (("ops", ops), ("a", a), ("b", b), ("outputs", outputs)):
        if value is not None:
            changes[name] = value
    return netlist.copy(**changes)


__all__ = [
    "COMPOSE",
    "CONSTANT_VALUE",
    "FALSE",
    "IS_CONSTANT",
    "PassResult",
    "RESTRICT",
    "SAME_OPERAND",
    "SWAPPED",
    "USES_A",
    "USES_B",
    "canonical_operands",
    "count_changed",
    "rebuild",
]
