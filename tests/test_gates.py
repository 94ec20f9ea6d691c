"""The gate table against the truth tables: coefficients, Verilog expressions, derived relations."""

import itertools

import numpy as np
import pytest

from lgn2hw.ir import gates
from lgn2hw.ir.gates import GATES, compose_id, restrict_id

# difflogic order and truth tables for (a, b) = 00, 01, 10, 11, written out independently of gates.py.
EXPECTED = [
    ("false", "0000"), ("and", "0001"), ("a_and_not_b", "0010"), ("a", "0011"),
    ("not_a_and_b", "0100"), ("b", "0101"), ("xor", "0110"), ("or", "0111"),
    ("nor", "1000"), ("xnor", "1001"), ("not_b", "1010"), ("a_or_not_b", "1011"),
    ("not_a", "1100"), ("not_a_or_b", "1101"), ("nand", "1110"), ("true", "1111"),
]


def verilog_eval(expr: str, a: int, b: int) -> int:
    """Evaluate a 1-bit Verilog expression of the table's restricted form (~ & | ^ and 1'b0/1'b1)."""
    py = expr.replace("1'b0", "0").replace("1'b1", "1")
    return eval(py, {}, {"a": a, "b": b}) & 1  # noqa: S307 - the table's own fixed strings


def test_table_order_and_truth_tables():
    assert [(g.name, g.truth_table) for g in GATES] == EXPECTED
    assert [g.id for g in GATES] == list(range(16))


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_multilinear_coefficients_match_truth_table(gate):
    c0, c1, c2, c3 = gate.coeffs
    for a, b in itertools.product((0, 1), repeat=2):
        assert c0 + c1 * a + c2 * b + c3 * a * b == int(gate.truth_table[2 * a + b])


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_verilog_expression_matches_truth_table(gate):
    for a, b in itertools.product((0, 1), repeat=2):
        assert verilog_eval(gate.verilog_expr("a", "b"), a, b) == gate.output(a, b)


def test_known_relaxations():
    m = gates.coefficient_matrix()
    assert tuple(m[1]) == (0, 0, 0, 1)  # AND = ab
    assert tuple(m[7]) == (0, 1, 1, -1)  # OR = a + b - ab
    assert tuple(m[6]) == (0, 1, 1, -2)  # XOR = a + b - 2ab
    assert tuple(m[14]) == (1, 0, 0, -1)  # NAND = 1 - ab


def test_truth_masks_agree_with_table():
    masks = gates.truth_masks()
    for g in GATES:
        assert [int(m != 0) for m in masks[g.id]] == [int(ch) for ch in g.truth_table]


def test_swap_partner_and_commutativity():
    for g in GATES:
        s = GATES[g.swapped_id]
        assert all(g.output(a, b) == s.output(b, a) for a, b in itertools.product((0, 1), repeat=2))
    assert {g.name for g in GATES if g.commutative} == {"false", "and", "xor", "or", "nor", "xnor", "nand", "true"}


def test_compose_and_restrict():
    assert compose_id(1, invert_a=True) == 4  # AND(~a, b) = NOT a AND b
    assert compose_id(1, invert_out=True) == 14  # ~AND = NAND
    assert restrict_id(1, "a", 0) == 0  # AND(0, b) = FALSE
    assert restrict_id(7, "b", 0) == 3  # OR(a, 0) = a
    assert restrict_id(6, "b", 1) == 12  # XOR(a, 1) = NOT a


def test_operand_use_flags():
    assert [g.uses_a for g in GATES] == [g.truth_table[0:2] != g.truth_table[2:4] for g in GATES]
    assert [g.uses_b for g in GATES] == [g.truth_table[0::2] != g.truth_table[1::2] for g in GATES]
    assert not GATES[5].uses_a and GATES[5].uses_b
    assert GATES[3].uses_a and not GATES[3].uses_b
    assert GATES[0].is_constant and GATES[15].is_constant and not GATES[6].is_constant


def test_mask_evaluation_is_bit_parallel():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, size=8, dtype=np.uint64)
    b = rng.integers(0, 2**63, size=8, dtype=np.uint64)
    for g in GATES:
        m00, m01, m10, m11 = gates.truth_masks()[g.id]
        out = (m00 & ~a & ~b) | (m01 & ~a & b) | (m10 & a & ~b) | (m11 & a & b)
        for bit in (0, 17, 62):
            ab = ((a >> np.uint64(bit)) & np.uint64(1)).astype(int), ((b >> np.uint64(bit)) & np.uint64(1)).astype(int)
            got = ((out >> np.uint64(bit)) & np.uint64(1)).astype(int)
            assert got.tolist() == [g.output(x, y) for x, y in zip(*ab)]
