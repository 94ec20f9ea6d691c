"""The C expressions the generated code evaluates gates with, derived from the gate table (lgn2hw.ir.gates).

Two forms, both read off the truth tables rather than written per gate:

- word kernels (the batch variant): a few C expressions over two words ``x`` and ``y`` (AND, OR, XOR,
  AND-NOT, copy, zero as ``x ^ x``), each possibly inverted. Which gate an expression computes is found
  by *evaluating the expression text* in Python on the four operand columns: C and Python agree on
  ``& | ^ ~`` over integers, so the meaning comes from the text that is printed, not from a second
  table. Every gate id is then one kernel with the operands in order (x, y) = (a, b) or swapped.
- truth-table nibbles (the single-sample variant): gate ``op`` on bits (a, b) is bit ``2a + b`` of
  the 4-bit number whose bit i is ``truth_table[i]`` (the table's (a, b) = 00, 01, 10, 11 order).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ...ir.gates import GATES, gate_from_function

# Base expressions, most preferred first; each also comes inverted as ``~(expr)``. "x ^ x" is a
# constant zero that is still an expression over words (a vector type cannot be assigned a plain 0).
_BASE = ("x & y", "x | y", "x ^ y", "x & ~y", "x", "x ^ x")
_NAMES = {"x & y": "and", "x | y": "or", "x ^ y": "xor", "x & ~y": "andn", "x": "copy", "x ^ x": "zero"}
_COL_A = 0b1100  # bit i = value of operand a in truth-table row i = 2a + b
_COL_B = 0b1010


@dataclass(frozen=True)
class WordKernel:
    """One C expression over words ``x`` and ``y`` and the gate id it computes for (x, y) = (a, b)."""

    name: str  # C identifier suffix: and, nand, or, nor, xor, xnor, andn, nandn, copy, not, zero, one
    expr: str  # C expression text over x and y
    gate: int

    arity = 2  # operands in the batch table (one-operand kernels read x twice)

    @property
    def is_copy(self) -> bool:
        """A plain copy of x: the batch variant aliases the operand's row instead of evaluating it."""
        return self.expr == "x"


def _truth_of(expr: str) -> str:
    """The truth table of a C expression over x, y, found by evaluating its text in Python."""
    value = eval(expr, {"__builtins__": {}}, {"x": _COL_A, "y": _COL_B}) & 0xF  # noqa: S307 - our own constant text
    return "".join(str((value >> i) & 1) for i in range(4))


@cache
def word_kernels() -> tuple[WordKernel, ...]:
    """Every base expression and its inversion, with the gate it computes (no two with the same gate)."""
    kernels: list[WordKernel] = []
    seen: set[int] = set()
    inverted_names = {"and": "nand", "or": "nor", "xor": "xnor", "andn": "nandn", "copy": "not", "zero": "one"}
    for base in _BASE:
        for invert in (False, True):
            expr = f"~({base})" if invert else base
            table = _truth_of(expr)
            gate = gate_from_function(lambda a, b, t=table: t[2 * a + b] == "1")
            if gate in seen:  # pragma: no cover - the base list has no duplicates
                continue
            seen.add(gate)
            name = inverted_names[_NAMES[base]] if invert else _NAMES[base]
            kernels.append(WordKernel(name, expr, gate))
    return tuple(kernels)


@cache
def gate_word_kernels() -> tuple[tuple[WordKernel, bool], ...]:
    """Per gate id: (kernel, swap). With ``swap`` the kernel reads (x, y) = (b, a). The first kernel in
    word_kernels() order, unswapped before swapped, wins."""
    by_gate: dict[int, tuple[WordKernel, bool]] = {}
    for kernel in word_kernels():
        by_gate.setdefault(kernel.gate, (kernel, False))
    for kernel in word_kernels():
        by_gate.setdefault(GATES[kernel.gate].swapped_id, (kernel, True))
    missing = [g.name for g in GATES if g.id not in by_gate]
    if missing:  # pragma: no cover - AND, OR, XOR, AND-NOT, copy and zero with inversion and swap cover all 16
        raise AssertionError(f"no C word kernel for gates {missing}")
    return tuple(by_gate[g.id] for g in GATES)


def truth_nibble(op: int) -> int:
    """The 4-bit truth table of gate ``op``: bit ``2a + b`` is its output on bits (a, b)."""
    return sum(int(ch) << i for i, ch in enumerate(GATES[op].truth_table))
