"""Step B's sum check through ECP5 carry chains (``compile --popcount ccu2c``): CCU2C chains as exact sums
of the bits their positions read, derived from the cells' parameters and connections.

The identity (the model in Yosys's share/yosys/ecp5/cells_sim.v, which the proof reads with the RTL;
INJECT1 = "NO"): a position (half of a CCU2C) with LUT4 output P (INIT at A + 2B + 4C + 8D), generate
G (the LUT2 of INIT[3:0] at A + 2B) and carry in c gives S = P ^ c and the carry out P ? c : G, so

    S + 2 * carry_out = c + digit,   digit = P ? 1 : 2 * G.

A physical chain is the CCU2Cs linked COUT -> CIN from one whose CIN is not a CCU2C's COUT (a fabric bit,
a constant or open): that CIN is the first logical chain's carry in, and the last COUT, when connected,
the last logical chain's top bit. A position whose P is 0 for
every value of its pins (a link) outputs its carry in (S = c) and carries G on: it ends one logical
chain (its S is that chain's top bit) and starts the next with G as its carry in, which must be a
constant or one of the link's pins. Over a logical chain's positions p_0 .. p_{m-1} and its closing
link,

    sum_i 2**i S(p_i) + 2**m S(link) = carry_in + sum_i 2**i digit(p_i),

and the digits are read as a sum (a chain whose top bit is not connected, an open COUT, is a cell whose
carry out is dropped, which sums.py folds only where that cannot matter): consecutive positions that read the same pins form a group (a pair
counting four bits in two digits; a single position adding two), whose digits must add up to a
constant plus the count of their pin signals for every value of those signals (a pin tied to a
constant only selects the function). Each logical chain becomes one cell of the fold in sums.py: its
word is the S bits, its value the carry in plus the groups' terms. Anything else raises NotCarrySum
(and the BDDs decide).
"""

from __future__ import annotations

from itertools import product

from .carry_sums import NotCarrySum

SUM_CELL = "CCU2C_SUM"  # the type of the cells this module makes for sums.py


def chain_cells(cells: dict) -> dict:
    """Every logical chain of the CCU2C cells in ``cells`` (a Yosys module's cells) as a cell of type
    SUM_CELL: {"type", "connections": {"Y": S bits}, "terms": [(bit, weight)]}, keyed by a name made
    from the chain's first CCU2C. NotCarrySum when a CCU2C is not in a chain of the accepted form."""
    ccu = {name: cell for name, cell in cells.items() if cell["type"] == "CCU2C"}
    couts = {_port(cell, "COUT") for cell in ccu.values()} - {"0", "1", "x", "z"}  # carries: signals only
    following: dict = {}  # COUT bit -> the CCU2C whose CIN it drives
    starts = []  # CCU2Cs whose carry in comes from the fabric or a constant
    for name, cell in sorted(ccu.items()):
        cin = _port(cell, "CIN")
        if cin not in couts:
            starts.append(name)
        elif cin in following:
            raise NotCarrySum(f"{name}: its carry in also drives {following[cin]}")
        else:
            following[cin] = name
    out: dict = {}
    chained = set()
    for start in starts:
        positions = []
        name = start
        while name is not None and name not in chained:
            chained.add(name)
            positions += _positions(name, ccu[name])
            cout = _port(ccu[name], "COUT")
            name = following.get(cout)
        out.update(_logical_chains(start, positions, _port(ccu[start], "CIN"), cout))
    loose = sorted(set(ccu) - chained)
    if loose:
        raise NotCarrySum(f"{loose[0]}: a CCU2C in a carry loop")
    return out


def _positions(name: str, cell: dict) -> list:
    """(INIT, pins A..D, S bit) of the cell's two halves, carry order."""
    params, conn = cell.get("parameters", {}), cell["connections"]
    halves = []
    for half in (0, 1):
        if str(params.get(f"INJECT1_{half}", "")).strip() != "NO":
            raise NotCarrySum(f"{name}: INJECT1_{half} is not \"NO\" (the carry in is gated)")
        pins = tuple(_connected(name, conn, f"{pin}{half}") for pin in "ABCD")
        halves.append((_init(name, params.get(f"INIT{half}")), pins, _connected(name, conn, f"S{half}")))
    return halves


def _connected(name: str, conn: dict, port: str):
    """The one bit on ``port``; NotCarrySum when it is open (a position's pins and S must be wired)."""
    bits = conn.get(port) or []
    if len(bits) != 1:
        raise NotCarrySum(f"{name}: {port} is not connected to one bit")
    return bits[0]


def _assignments(pins: tuple):
    """Every value of the pins' distinct signals, as {pin signal or constant: 0/1}."""
    signals = sorted({p for p in pins if p not in ("0", "1")}, key=str)
    for values in product((0, 1), repeat=len(signals)):
        value = dict(zip(signals, values))
        value.update({"0": 0, "1": 1})
        yield value


def _functions(init: int, pins: tuple, value: dict) -> tuple[int, int]:
    """(P, G) of a position at one value of its pins."""
    a, b, c, d = (value[p] for p in pins)
    return init >> (a + 2 * b + 4 * c + 8 * d) & 1, init >> (a + 2 * b) & 1


def _port(cell: dict, port: str):
    """A CCU2C's CIN or COUT: a bit id, "0"/"1", or "x" when the port is open."""
    return (cell["connections"].get(port) or ["x"])[0]


def _logical_chains(start: str, positions: list, first_carry, last_carry) -> dict:
    """The chain's logical chains as SUM_CELL cells: the first takes the chain's carry in (an open one
    is the term "x", refused when sums.py expands it), the last ends in its carry out (COUT)."""
    out: dict = {}
    cin: list = [(first_carry, 1)]
    body: list = []  # positions of the open logical chain
    for init, pins, s_bit in positions:
        if all(_functions(init, pins, value)[0] == 0 for value in _assignments(pins)):  # a link
            word = [p[2] for p in body] + [s_bit]
            out[f"{start}#{len(out)}"] = _sum_cell(start, word, cin + _body_terms(start, body))
            cin, body = [_carry_in(start, init, pins)], []
        else:
            body.append((init, pins, s_bit))
    if body:  # the last logical chain's top bit is COUT; were COUT open (the emitter always connects it
        # after a chain that ends without a link), the word would lack it, and sums.py would fold the cell
        # as one that may wrap, only where the dropped carry's weight is a multiple of 2**score width
        top = [last_carry] if isinstance(last_carry, int) else []
        out[f"{start}#{len(out)}"] = _sum_cell(start, [p[2] for p in body] + top, cin + _body_terms(start, body))
    return out


def _sum_cell(start: str, word: list, terms: list) -> dict:
    """One logical chain as a cell for sums.py; NotCarrySum when its value reads its own word (the fold
    would chase its own bits)."""
    if {bit for bit, _ in terms} & set(word):
        raise NotCarrySum(f"{start}: a logical chain reads its own sum bits")
    return {"type": SUM_CELL, "connections": {"Y": word}, "terms": terms}


def _carry_in(start: str, init: int, pins: tuple) -> tuple:
    """A link's G as one term: a constant or one of its pins."""
    table = [(_functions(init, pins, value)[1], value) for value in _assignments(pins)]
    if len({g for g, _ in table}) == 1:
        return ("1" if table[0][0] else "0", 1)
    for pin in pins:
        if pin not in ("0", "1") and all(g == value[pin] for g, value in table):
            return (pin, 1)
    raise NotCarrySum(f"{start}: a link's carry out is not one of its inputs")


def _body_terms(start: str, body: list) -> list:
    """The digits of a logical chain's positions as [(bit, weight)], grouped by shared pins."""
    terms = []
    i = 0
    while i < len(body):
        j = i
        while j + 1 < len(body) and body[j + 1][1] == body[i][1]:
            j += 1
        pins = body[i][1]
        constants = set()
        for value in _assignments(pins):
            digits = 0
            for k in range(i, j + 1):
                p, g = _functions(body[k][0], pins, value)
                digits += (1 if p else 2 * g) << (k - i)
            constants.add(digits - sum(value[p] for p in pins if p not in ("0", "1")))
        if len(constants) != 1:
            raise NotCarrySum(f"{start}: positions {i}-{j} of a chain do not add up their inputs")
        constant = constants.pop()
        if constant < 0:
            raise NotCarrySum(f"{start}: positions {i}-{j} of a chain add a negative constant")
        if constant:
            terms.append(("1", constant << i))
        terms += [(p, 1 << i) for p in pins if p not in ("0", "1")]
        i = j + 1
    return terms


def _init(name: str, value) -> int:
    if isinstance(value, str) and value and set(value) <= {"0", "1"}:
        return int(value, 2)
    if isinstance(value, int):
        return value
    raise NotCarrySum(f"{name}: unreadable CCU2C INIT {value!r}")
