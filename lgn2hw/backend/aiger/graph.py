"""An and-inverter graph under construction: literals, structural hashing, constant folding.

A literal is ``2 * variable + complement`` as in AIGER: variable 0 is the constant (literal 0 = false,
1 = true), variables 1..I are the inputs (created first), and every later variable is a two-input AND.
``and_`` folds constants and trivial cases (x & x, x & ~x) and returns the existing node for an AND it
has built before (operands ordered, so a & b and b & a are one node). OR, XOR, multiplexer, full adder
and unsigned comparison are built from it. ``compact`` keeps only the ANDs that reach the outputs,
renumbered in creation order, so every AND's operands have smaller variables (AIGER's binary rule).
"""

from __future__ import annotations

FALSE, TRUE = 0, 1


def negate(lit: int) -> int:
    return lit ^ 1


class Aig:
    """Inputs and AND nodes; ``ands[i]`` = (rhs0, rhs1) of variable ``num_inputs + 1 + i``, rhs0 >= rhs1."""

    def __init__(self, num_inputs: int):
        self.num_inputs = int(num_inputs)
        self.ands: list[tuple[int, int]] = []
        self._hash: dict[tuple[int, int], int] = {}

    def input(self, i: int) -> int:
        """Literal of input ``i`` (0-based)."""
        return 2 * (i + 1)

    def and_(self, a: int, b: int) -> int:
        if a == FALSE or b == FALSE or a == negate(b):
            return FALSE
        if a == TRUE or a == b:
            return b
        if b == TRUE:
            return a
        key = (a, b) if a > b else (b, a)
        found = self._hash.get(key)
        if found is None:
            found = 2 * (self.num_inputs + 1 + len(self.ands))
            self.ands.append(key)
            self._hash[key] = found
        return found

    def or_(self, a: int, b: int) -> int:
        return negate(self.and_(negate(a), negate(b)))

    def xor(self, a: int, b: int) -> int:
        """``~(a & b) & ~(~a & ~b)``: its ``a & b`` is the carry's, so a full adder costs 7 ANDs, a half adder 3."""
        return self.and_(negate(self.and_(a, b)), negate(self.and_(negate(a), negate(b))))

    def mux(self, sel: int, then: int, other: int) -> int:
        """``sel ? then : other``."""
        return self.or_(self.and_(sel, then), self.and_(negate(sel), other))

    def full_adder(self, a: int, b: int, c: int) -> tuple[int, int]:
        """(sum, carry) of three bits: 7 ANDs (the carry shares a & b and c & (a ^ b) with the XORs)."""
        ab = self.xor(a, b)
        return self.xor(ab, c), self.or_(self.and_(a, b), self.and_(ab, c))

    def half_adder(self, a: int, b: int) -> tuple[int, int]:
        return self.xor(a, b), self.and_(a, b)

    def greater(self, x: list[int], y: list[int]) -> int:
        """Unsigned ``x > y`` of two equally wide little-endian bit vectors."""
        gt = FALSE
        for xi, yi in zip(x, y):  # from the least significant bit: a higher bit decides unless equal
            gt = self.or_(self.and_(xi, negate(yi)), self.and_(negate(self.xor(xi, yi)), gt))
        return gt

    def greater_than_constant(self, x: list[int], t: int) -> int:
        """Unsigned ``x > t`` for a constant ``t`` (0 <= t < 2**len(x)): the chain from the least
        significant bit, x[i] OR lower where t has 0, x[i] AND lower where it has 1."""
        gt = FALSE
        for i, xi in enumerate(x):
            gt = self.and_(xi, gt) if (t >> i) & 1 else self.or_(xi, gt)
        return gt

    def compact(self, outputs: list[int]) -> tuple[list[tuple[int, int]], list[int]]:
        """(ANDs, output literals) with only the ANDs the outputs reach, renumbered in creation order."""
        first = self.num_inputs + 1
        needed = bytearray(len(self.ands))
        stack = [lit >> 1 for lit in outputs if (lit >> 1) >= first]
        while stack:
            i = stack.pop() - first
            if needed[i]:
                continue
            needed[i] = 1
            stack.extend(v for v in (self.ands[i][0] >> 1, self.ands[i][1] >> 1) if v >= first and not needed[v - first])
        new_var = list(range(first)) + [0] * len(self.ands)
        count = first
        for i, keep in enumerate(needed):
            if keep:
                new_var[first + i] = count
                count += 1

        def remap(lit: int) -> int:
            return 2 * new_var[lit >> 1] + (lit & 1)

        ands = []
        for i, keep in enumerate(needed):
            if keep:
                a, b = remap(self.ands[i][0]), remap(self.ands[i][1])
                ands.append((a, b) if a > b else (b, a))
        return ands, [remap(lit) for lit in outputs]
