"""Step B's sum check through Xilinx carry chains (``compile --popcount carry4``): a CARRY4's value as an
exact sum of the bits its LUT6_2s read, derived from the cells' parameters and connections.

The identity, for any DI and S (the models in Yosys's share/yosys/xilinx/cells_sim.v, which the proof
reads with the RTL): a carry position with incoming carry c gives O = S ^ c and the carry out S ? c : DI,
so O + 2 * carry_out = c + DI + (DI ^ S) in both cases (S = 1: !c + 2c = 1 + c; S = 0: c + 2 DI). Over
the four positions, with c0 = CI | CYINIT,

    sum_k 2**k O[k] + 16 * CO[3] = c0 + sum_k 2**k (DI[k] + (DI[k] ^ S[k])).

A position whose DI and S are both 0 adds nothing and passes the carry; when the top position is such a
one, CO[3] = DI[3] = 0 and the value is O alone. A position with an operand is accepted when DI and S
come from O5 and O6 of one LUT6_2 and the positions' LUTs read the same I0..I4. Its digit DI + (DI ^ S)
is then read off the INIT string: with a signal on I5 the upper INIT half must be the complement of the
lower one (O6 = O5 ^ I5, so DI ^ S is the bit on I5, a term of its own); with I5 tied to 1, O5 and O6
are two functions of I0..I4 (INIT[31:0] and INIT[63:32]) and the digit is O5 + (O5 ^ O6); with I5 tied
to 0, O6 = O5 and the digit is O5. The digits' functions of I0..I4 must add up to their count,
sum_k 2**k digit_k(x) = I0 + ... + I4, for all 32 input values. The CARRY4's value is then exactly
c0 + (I0 + ... + I4) + sum_k 2**k I5[k] over the positions whose I5 is a signal, a sum the fold of
sums.py continues through. Anything else raises NotLinear (and the BDDs decide).
"""

from __future__ import annotations

from itertools import product

LUT_INPUTS = tuple(f"I{i}" for i in range(5))  # O5's inputs; I5 only selects O6's half


class NotCarrySum(Exception):
    """The CARRY4 is not a sum in the accepted form (the message says which check failed)."""


def carry4_terms(name: str, cell: dict, cells: dict, lut_driver: dict) -> list:
    """The value of CARRY4 ``name`` (the word O[0..3]) as [(bit, weight)], a bit being a Yosys bit id or
    "0"/"1"; ``lut_driver`` maps a bit to (LUT6_2 cell name, "O5" or "O6"). NotCarrySum when the cell
    is not in the accepted form."""
    conn = cell["connections"]
    if conn.get("CI") != ["0"]:
        raise NotCarrySum(f"{name}: CI is not 0 (a cascaded chain)")
    di, s = conn["DI"], conn["S"]
    if len(di) != 4 or len(s) != 4:
        raise NotCarrySum(f"{name}: DI/S are not 4 bits")
    if di[3] != "0" or s[3] != "0":
        raise NotCarrySum(f"{name}: the top position has an operand (CO[3] is not modelled)")
    terms = [(conn["CYINIT"][0], 1)]
    luts = []
    for k in range(4):
        if di[k] == "0" and s[k] == "0":
            continue
        d, p = lut_driver.get(di[k]), lut_driver.get(s[k])
        if d is None or p is None or d[0] != p[0] or d[1] != "O5" or p[1] != "O6":
            raise NotCarrySum(f"{name}: position {k} is not driven by O5/O6 of one LUT6_2")
        lut = cells[d[0]]
        init = _init(lut)
        low, high = init & 0xFFFFFFFF, init >> 32
        i5 = lut["connections"]["I5"][0]
        if i5 == "1":  # O5 and O6 are both functions of I0..I4: the digit is O5 + (O5 ^ O6)
            tables = [low, low ^ high]
        elif i5 == "0":  # O6 = O5: the digit is O5
            tables = [low]
        elif high == ~low & 0xFFFFFFFF:  # O6 = O5 ^ I5: the digit is O5 + I5
            tables = [low]
            terms.append((i5, 1 << k))
        else:
            raise NotCarrySum(f"{d[0]}: O6 is not O5 ^ I5")
        luts.append((k, d[0], tables))
    if luts:
        inputs = [tuple(cells[lut]["connections"][pin][0] for pin in LUT_INPUTS) for _, lut, _ in luts]
        if any(group != inputs[0] for group in inputs):
            raise NotCarrySum(f"{name}: the positions' LUTs read different I0..I4")
        _check_count(name, inputs[0], [(k, table) for k, _, tables in luts for table in tables])
        terms.extend((bit, 1) for bit in inputs[0])
    return terms


def _check_count(name: str, group: tuple, tables: list) -> None:
    """sum 2**k table(x) over the (position k, 32-entry truth table) pairs == I0 + ... + I4 for every
    value of the inputs (constant pins at their value)."""
    fixed = {i: int(bit) for i, bit in enumerate(group) if bit in ("0", "1")}
    free = [i for i in range(len(group)) if i not in fixed]
    for values in product((0, 1), repeat=len(free)):
        x = dict(fixed)
        x.update(zip(free, values))
        index = sum(x[i] << i for i in range(len(group)))
        if sum(((table >> index) & 1) << k for k, table in tables) != sum(x.values()):
            raise NotCarrySum(f"{name}: its LUTs' digits are not the count of their inputs")


def _init(lut: dict) -> int:
    value = lut.get("parameters", {}).get("INIT", "")
    if isinstance(value, str) and value and set(value) <= {"0", "1"}:
        return int(value, 2)
    if isinstance(value, int):
        return value
    raise NotCarrySum(f"unreadable LUT6_2 INIT {value!r}")
