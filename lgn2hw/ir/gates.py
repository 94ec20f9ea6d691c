"""The one table of the 16 two-input logic gates, shared by training, simulation, optimization and emission.

Gate ids follow difflogic's order. A truth table is written as the outputs for (a, b) = 00, 01, 10, 11,
so ``"0001"`` is AND. Everything else here (multilinear coefficients, bit-parallel evaluation masks,
A/B-swap partners, inverter absorption) is derived from the truth tables, so the meanings cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Gate:
    """One two-input Boolean function.

    ``verilog`` is an expression template with ``{a}`` and ``{b}`` placeholders (the operand names).
    ``coeffs`` are (c0, c1, c2, c3) of the multilinear relaxation g(a, b) = c0 + c1 a + c2 b + c3 ab,
    which equals the truth table on {0, 1}^2 and is what the training mixture uses.
    """

    id: int
    name: str
    truth_table: str
    verilog: str

    def output(self, a: int, b: int) -> int:
        """Output bit for binary operands, read straight from the truth table."""
        return int(self.truth_table[2 * a + b])

    @property
    def coeffs(self) -> tuple[int, int, int, int]:
        t00, t01, t10, t11 = (int(ch) for ch in self.truth_table)
        return (t00, t10 - t00, t01 - t00, t11 - t10 - t01 + t00)

    @property
    def uses_a(self) -> bool:
        """Whether the output depends on operand a."""
        return any(self.output(0, b) != self.output(1, b) for b in (0, 1))

    @property
    def uses_b(self) -> bool:
        """Whether the output depends on operand b."""
        return any(self.output(a, 0) != self.output(a, 1) for a in (0, 1))

    @property
    def is_constant(self) -> bool:
        return not (self.uses_a or self.uses_b)

    @property
    def commutative(self) -> bool:
        return self.swapped_id == self.id

    @property
    def swapped_id(self) -> int:
        """Id of the gate computing the same function with a and b exchanged: op(a, b) == swapped(b, a)."""
        t = self.truth_table
        return _ID_BY_TABLE[t[0] + t[2] + t[1] + t[3]]

    def verilog_expr(self, a: str, b: str) -> str:
        return self.verilog.format(a=a, b=b)


GATES: tuple[Gate, ...] = (
    Gate(0, "false", "0000", "1'b0"),
    Gate(1, "and", "0001", "{a} & {b}"),
    Gate(2, "a_and_not_b", "0010", "{a} & ~{b}"),
    Gate(3, "a", "0011", "{a}"),
    Gate(4, "not_a_and_b", "0100", "~{a} & {b}"),
    Gate(5, "b", "0101", "{b}"),
    Gate(6, "xor", "0110", "{a} ^ {b}"),
    Gate(7, "or", "0111", "{a} | {b}"),
    Gate(8, "nor", "1000", "~({a} | {b})"),
    Gate(9, "xnor", "1001", "~({a} ^ {b})"),
    Gate(10, "not_b", "1010", "~{b}"),
    Gate(11, "a_or_not_b", "1011", "{a} | ~{b}"),
    Gate(12, "not_a", "1100", "~{a}"),
    Gate(13, "not_a_or_b", "1101", "~{a} | {b}"),
    Gate(14, "nand", "1110", "~({a} & {b})"),
    Gate(15, "true", "1111", "1'b1"),
)
NUM_GATES = len(GATES)
_ID_BY_TABLE = {g.truth_table: g.id for g in GATES}
GATE_BY_NAME = {g.name: g for g in GATES}

# Named ids the optimizer refers to.
FALSE, TRUE, PASS_A, PASS_B, NOT_A, NOT_B = 0, 15, 3, 5, 12, 10


def gate_from_function(fn) -> int:
    """Id of the gate whose truth table is ``fn(a, b)`` over (a, b) = 00, 01, 10, 11."""
    table = "".join(str(int(fn(a, b)) & 1) for a in (0, 1) for b in (0, 1))
    return _ID_BY_TABLE[table]


def compose_id(op: int, invert_a: bool = False, invert_b: bool = False, invert_out: bool = False) -> int:
    """Id of ``[~]op([~]a, [~]b)``: how an inverter on an operand or output folds into the gate itself."""
    g = GATES[op]
    return gate_from_function(lambda a, b: g.output(a ^ invert_a, b ^ invert_b) ^ invert_out)


def restrict_id(op: int, operand: str, value: int) -> int:
    """Id of ``op`` with one operand ("a" or "b") fixed to a constant; the result ignores that operand."""
    g = GATES[op]
    if operand == "a":
        return gate_from_function(lambda a, b: g.output(value, b))
    return gate_from_function(lambda a, b: g.output(a, value))


@cache
def coefficient_matrix() -> np.ndarray:
    """(16, 4) float32 matrix of multilinear coefficients: probabilities @ this = per-gate (c0, c1, c2, c3)."""
    return np.array([g.coeffs for g in GATES], dtype=np.float32)


@cache
def truth_masks() -> np.ndarray:
    """(16, 4) uint64 masks, all-ones where the truth table is 1, for bit-parallel evaluation.

    Column order is (a, b) = 00, 01, 10, 11, so a gate evaluates on packed words as
    ``(m00 & ~a & ~b) | (m01 & ~a & b) | (m10 & a & ~b) | (m11 & a & b)``.
    """
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    return np.array([[ones if ch == "1" else np.uint64(0) for ch in g.truth_table] for g in GATES], dtype=np.uint64)
