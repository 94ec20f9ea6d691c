"""Gate fusion for the batch variant: a gate whose value is read once, by one gate, is computed inside
its reader, which becomes a 3-input kernel.

The batch code is limited by moving rows between cache and registers (two loads and a store of a whole
row per gate); a fused pair needs three loads and one store instead of four and two, and where the
target has a ternary-logic instruction (AVX-512 ``vpternlog``) the compiler turns the 3-input
expression into one instruction. A fused kernel's expression is composed from the two word kernels'
texts (lgn2hw.backend.c.kernels, themselves read off the gate table), and its truth table is found by
evaluating that text, so the meaning still comes from the one gate table. Kernels with the same truth
table share the first expression found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .kernels import WordKernel

_COLUMNS = {"x": 0b11110000, "y": 0b11001100, "z": 0b10101010}  # bit i: operand values of row i = 4x + 2y + z
_OPERAND = re.compile(r"\b([xyz])\b")


@dataclass(frozen=True)
class FusedKernel:
    """A 3-input C expression over words x, y, z: outer(inner(x, y), z) or outer(z, inner(x, y))."""

    name: str
    expr: str
    truth: int  # bit 4x + 2y + z is the output

    arity = 3


def uses_y(kernel: WordKernel) -> bool:
    """Whether a word kernel's expression reads its second operand."""
    return "y" in _OPERAND.findall(kernel.expr)


def _substitute(expr: str, values: dict[str, str]) -> str:
    return _OPERAND.sub(lambda m: values.get(m.group(1), m.group(1)), expr)


def fused_expression(outer: WordKernel, inner: WordKernel, inner_is_x: bool) -> str:
    """The C text of outer(inner(x, y), z) (inner_is_x) or outer(z, inner(x, y))."""
    inside = f"({inner.expr})"
    return _substitute(outer.expr, {"x": inside, "y": "z"} if inner_is_x else {"x": "z", "y": inside})


def truth3(expr: str) -> int:
    """The 8-bit truth table of an expression over x, y, z, by evaluating its text (C and Python agree
    on & | ^ ~ over integers)."""
    return eval(expr, {"__builtins__": {}}, dict(_COLUMNS)) & 0xFF  # noqa: S307 - our own composed text


def choose_fusions(num_inputs: int, keep: np.ndarray, kernel_id: np.ndarray, x: np.ndarray, y: np.ndarray,
                   two_input: np.ndarray, counted: np.ndarray, num_signals: int) -> np.ndarray:
    """For every kept gate, the gate folded into it (a signal id), or -1.

    A gate can be folded into its reader when it is kept, has a two-operand kernel, is read exactly
    once by all kept gates together (and is not a counted output), and is not itself a reader with a
    folded gate; the reader must have a two-operand kernel too. Readers take their x operand first,
    then y, in signal order."""
    reads = np.zeros(num_signals, dtype=np.int64)
    np.add.at(reads, x[keep], 1)
    second = keep[two_input[kernel_id[keep]]]
    np.add.at(reads, y[second], 1)
    reads[counted] += 2  # the popcount reads them: never fold
    gate = np.arange(num_signals) >= num_inputs
    candidate = np.zeros(num_signals, dtype=bool)
    candidate[num_inputs + keep] = two_input[kernel_id[keep]]
    candidate &= gate & (reads == 1)
    folded = np.full(len(x), -1, dtype=np.int64)
    taken = np.zeros(num_signals, dtype=bool)  # readers that folded a gate (cannot be folded themselves)
    for g in keep[two_input[kernel_id[keep]]].tolist():
        for operand in (int(x[g]), int(y[g])):
            if candidate[operand] and not taken[operand]:
                folded[g] = operand
                taken[num_inputs + g] = True
                candidate[operand] = False
                break
    return folded
