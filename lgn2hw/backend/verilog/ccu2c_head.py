"""Popcount on the Lattice ECP5 carry chain: stages of CCU2C chains, instantiated as primitives
(popcount="ccu2c").

Why: an ECP5 LUT4 has one output, so a LUT-only counter tree (heads.compressor_tree with full adders,
popcount="lut4") spends two LUT4s for every bit it removes from the heap, about 2 LUT4 per summed bit.
A CCU2C position (half of the cell: one LUT4 P of A, B, C, D and the generate G, the LUT2 that
INIT[3:0] gives of A and B) takes a carry c and gives S = P ^ c and the carry out P ? c : G (the model
in Yosys's share/yosys/ecp5/cells_sim.v), so

    S + 2 * carry_out = c + digit,   digit = P ? 1 : 2 * G   (0, 1 or 2),

and one position removes one heap bit: it reads two bits of its column (an "add": digit = A + B, P =
A ^ B, G = A & B) and gives one. That is the bound for a one-output site (about 0.93 LUT4 per summed bit
for 100 bits); the chains get near it because

- two positions that read the same four bits hold their count in two digits (a "pair": the lower the
  parity, whose G = A ^ B follows from INIT, the upper _pair_upper), so a chain counts four bits of one
  column and moves on two columns (the first stage, where every bit is in column 0, needs it);
- a logical chain (a carry-in bit, then pairs and adds on consecutive columns) is an exact sum of the
  bits it reads: its S outputs and its carry out;
- a "link" position (P = 0, G = A: INIT 16'h000A, D tied to 1) outputs its carry in (S = c) and starts
  the next logical chain with a fresh heap bit as its carry: many logical chains share one physical
  chain at one position each.

A physical chain takes its first logical chain's carry-in bit on CIN and gives its last carry on COUT:
nextpnr-ecp5's packer feeds every chain's CIN in from the fabric and its COUT out through one CCU2C each
(make_carry_feed_in/out, whether or not they are connected), so the RTL leaves both ends to it.

The stages are planned like heads.compressor_tree (lowest column first) until every column holds at
most two bits, which one ``+`` adds (Yosys maps it onto CCU2C); then the logical chains of all stages,
in stage order, are linked into physical chains of up to MAX_CHAIN_POSITIONS positions. Static timing
runs the carry through a whole physical chain (a link breaks it logically only), so longer chains save
the packer's two CCU2C per chain and cost Fmax. Measured on the README demo, pipelined, post-route
(`lgn2hw compile runs/demo/model.pt -o D --pipeline 2 --popcount ccu2c; lgn2hw synth D --flow ecp5`):
32 positions 3,168 LUT4 sites at 60.9 MHz, 48: 3,147 at 59.1 MHz; with chains linked per stage (commit
6a7d011), 16: 3,323 at 60.1, 32: 3,225 at 62.6, 64: 3,188 at 57.1 MHz (the full-adder head: 3,735 at
54.6 MHz). On
the 85.08 % model (docs/synthesis.md), 32 positions give 5,899 sites at 56.0 MHz but nextpnr's router
needs 1,391 s; 16 give 6,173 at 57.3 MHz in 373 s (full adders: 6,946 at 58.3 MHz in 156 s).
Simulation and proofs need the primitives' models (primitives.py). The structure is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import ONE, ZERO, Instance, Net, gather_records

MAX_CHAIN_POSITIONS = 32  # positions per physical chain (the carry path static timing sees), measured best
# Verilator -Wall warnings the chains' nets and instances waive: links, pads and tops above the score
# leave S bits or the COUT net unread, and a chain that ends with a link leaves COUT open
LINT_WAIVERS = ("UNUSEDSIGNAL", "PINCONNECTEMPTY")

PAIR_BITS = 4  # bits a pair of positions counts (A, B, C, D of both)


def _pair_upper(a: int, b: int, c: int, d: int) -> int:
    """P of a pair's upper position: with the lower one's digit parity or 2 * (A ^ B) (even counts), the
    upper digit is (count - lower digit) / 2, read as P ? 1 : 2 * P(A, B, 0, 0)."""
    count = a + b + c + d
    return int(count == 3 or (a == b and c == d and count == 2))


# Position kinds: (P(A, B, C, D), G(A, B) or None where G is P at C = D = 0). Link and add positions tie D
# to 1, so that INIT[3:0] (G, which the carry reads at any C and D) is free of P.
_KINDS = {
    "link": (lambda a, b, c, d: 0, lambda a, b: a),
    "add": (lambda a, b, c, d: a ^ b, lambda a, b: a & b),
    "pair0": (lambda a, b, c, d: (a + b + c + d) & 1, None),
    "pair1": (lambda a, b, c, d: _pair_upper(a, b, c, d), None),
}


def position_init(kind: str) -> str:
    """INIT of a position of ``kind``: bit A + 2B + 4C + 8D is P; for link and add (D tied to 1) the
    bits 0-3 (C = D = 0) are G, which the carry reads whatever D is."""
    p, g = _KINDS[kind]
    init = 0
    for index in range(16):
        a, b, c, d = (index >> 0) & 1, (index >> 1) & 1, (index >> 2) & 1, (index >> 3) & 1
        if g is not None and index < 4:
            bit = g(a, b)
        else:
            bit = p(a, b, c, d)
        init |= bit << index
    return f"16'h{init:04X}"


@dataclass(frozen=True)
class Position:
    """One carry position: ``kind`` (link, add, pair0, pair1) and the bits on A, B, C, D."""

    kind: str
    pins: tuple[str, str, str, str]
    output: str  # the net bit its S drives


@dataclass(frozen=True)
class Chain:
    """A physical chain: ``cin`` on the first CIN (the first logical chain's carry in), the positions in
    carry order (an even count, two a CCU2C) and ``cout``, the net the last COUT drives ("" when open)."""

    name: str
    cin: str
    positions: tuple[Position, ...]
    cout: str


@dataclass(frozen=True)
class _Logical:
    cin: str
    plan: tuple[tuple[str, tuple, int], ...]  # (kind, pins, column of S)

    @property
    def top(self) -> int:
        """The column of the carry out."""
        return self.plan[-1][2] + 1


def _logical_chain(rest: list[list[str]], width: int) -> _Logical | None:
    """Take the next logical chain's bits off ``rest``: it starts on the lowest column of four bits or
    more (three when none has four) with one of them as its carry in, then runs up the columns with a
    pair (four bits of a column whose next column has fewer than two) or an add (two bits, or one when
    the next column has two or more)."""
    start = next((k for k in range(width) if len(rest[k]) >= 4), None)
    if start is None:
        start = next((k for k in range(width) if len(rest[k]) >= 3), None)
    if start is None:
        return None
    cin = rest[start].pop(0)
    plan: list[tuple[str, tuple, int]] = []
    k = start
    while k < width:
        ahead = len(rest[k + 1]) if k + 1 < width else 0
        if len(rest[k]) >= PAIR_BITS and k + 1 < width and ahead < 2:  # skip a column with few bits
            bits, rest[k] = rest[k][:PAIR_BITS], rest[k][PAIR_BITS:]
            plan += [("pair0", tuple(bits), k), ("pair1", tuple(bits), k + 1)]
            k += 2
        elif len(rest[k]) >= 2 or (len(rest[k]) == 1 and ahead >= 2):
            bits, rest[k] = rest[k][:2], rest[k][2:]
            plan.append(("add", (bits[0], bits[-1] if len(bits) > 1 else ZERO, ZERO, ONE), k))
            k += 1
        else:
            break
    return _Logical(cin, tuple(plan))


def _physical_chain(name: str, group: list[tuple[int, _Logical]], rename: dict) -> Chain:
    """Link ``group`` ((logical chain id, chain), in carry order) into one chain; ``rename`` gets each
    placeholder output (_placeholder) -> the chain's net bit that drives it."""
    positions: list[Position] = []

    def place(kind: str, pins: tuple, placeholder: str) -> None:
        rename[placeholder] = output = f"{name}_o[{len(positions)}]"
        positions.append(Position(kind, pins, output))

    for j, (ident, logical) in enumerate(group):
        if j:  # the link: S is the previous logical chain's carry, G this one's carry in
            place("link", (logical.cin, ZERO, ZERO, ONE), _placeholder(group[j - 1][0], "top"))
        for k, (kind, pins, _col) in enumerate(logical.plan):
            place(kind, pins, _placeholder(ident, k))
    last_top = _placeholder(group[-1][0], "top")
    cout = ""
    if len(positions) % 2:  # the last CCU2C's upper half: a link whose S is the last carry
        place("link", (ZERO, ZERO, ZERO, ONE), last_top)
    else:
        rename[last_top] = cout = f"{name}_co"
    return Chain(name, group[0][1].cin, tuple(positions), cout)


def _placeholder(ident: int, output) -> str:
    """The name a logical chain's output has while the stages are planned (its chain is not known yet)."""
    return f"$l{ident}.{output}"


def plan_chains(prefix: str, leaves: list[str], width: int, offset: int = 0,
                max_positions: int = MAX_CHAIN_POSITIONS) -> tuple[list[Chain], list[list[str]]]:
    """The physical chains over 1-bit ``leaves`` (+ the constant ``offset``), in order, and the final
    columns (<= 2 bits each). The stages are planned first (each reads the outputs of the ones before
    it); their logical chains, in stage order, then fill physical chains of up to ``max_positions``,
    across stages (a position never reads a later one's output, so the carry order is a valid order)."""
    cols: list[list[str]] = [list(leaves)] + [[] for _ in range(width - 1)]
    for bit in range(width):
        if offset >> bit & 1:
            cols[bit].append(ONE)
    logicals: list[_Logical] = []
    while max(len(col) for col in cols) > 2:
        rest = [list(col) for col in cols]
        nxt: list[list[str]] = [[] for _ in range(width)]
        while (logical := _logical_chain(rest, width)) is not None:
            ident = len(logicals)
            logicals.append(logical)
            for j, (_kind, _pins, col) in enumerate(logical.plan):
                nxt[col].append(_placeholder(ident, j))
            if logical.top < width:  # a carry at or above the score's width is provably 0
                nxt[logical.top].append(_placeholder(ident, "top"))
        for k in range(width):
            nxt[k].extend(rest[k])
        cols = nxt
    chains: list[Chain] = []
    rename: dict[str, str] = {}
    group: list[tuple[int, _Logical]] = []
    size = 0
    for ident, logical in enumerate(logicals):
        more = len(logical.plan) + (1 if group else 0)
        # a link cannot take in the carry it puts out (its G would read its own S): a new chain then
        own_top = bool(group) and logical.cin == _placeholder(group[-1][0], "top")
        if group and (size + more > max_positions or own_top):
            chains.append(_physical_chain(f"{prefix}_c{len(chains)}", group, rename))
            group, size, more = [], 0, len(logical.plan)
        group.append((ident, logical))
        size += more
    if group:
        chains.append(_physical_chain(f"{prefix}_c{len(chains)}", group, rename))
    named = [Chain(c.name, rename.get(c.cin, c.cin),
                   tuple(Position(p.kind, tuple(rename.get(pin, pin) for pin in p.pins), p.output) for p in c.positions),
                   c.cout) for c in chains]
    return named, [[rename.get(bit, bit) for bit in col] for col in cols]


def chain_records(chain: Chain) -> tuple[list[Net], list[Instance]]:
    """The nets and CCU2C instances of one physical chain."""
    n = chain.name
    count = len(chain.positions)
    links = count // 2 - 1  # carries between the chain's CCU2Cs
    nets = [Net(f"{n}_o", count)] + ([Net(f"{n}_k", links)] if links else []) + ([Net(chain.cout, 1)] if chain.cout else [])
    carry = [chain.cin] + [f"{n}_k[{i}]" if links > 1 else f"{n}_k" for i in range(links)] + [chain.cout]
    instances = []
    for j in range(0, count, 2):
        low, high = chain.positions[j], chain.positions[j + 1]
        pins = []
        for half, pos in enumerate((low, high)):
            pins += [(f"{p}{half}", bit) for p, bit in zip("ABCD", pos.pins)]
        ports = (("CIN", carry[j // 2]), *pins,
                 ("S0", f"{n}_o[{j}]"), ("S1", f"{n}_o[{j + 1}]"), ("COUT", carry[j // 2 + 1]))
        instances.append(Instance("CCU2C", f"{n}_{j // 2}", ports,
                                  params=(("INIT0", position_init(low.kind)), ("INIT1", position_init(high.kind)),
                                          ("INJECT1_0", '"NO"'), ("INJECT1_1", '"NO"'))))
    return nets, instances


def primitive_tree(prefix: str, leaves: list[str], width: int, offset: int = 0) -> tuple[list[Net], list[Instance], list[list[str]]]:
    """(nets, instances, final columns of <= 2 bits) of the popcount of ``leaves`` + ``offset``;
    heads.two_row_sum adds the final columns."""
    chains, cols = plan_chains(prefix, leaves, width, offset)
    return (*gather_records(chain_records(chain) for chain in chains), cols)


def ccu2c_slots(bits: int, width: int, offset: int = 0) -> int:
    """LUT4 sites of primitive_tree over ``bits`` leaves (two a CCU2C) plus one a column of the final add."""
    chains, cols = plan_chains("p", [f"x{i}" for i in range(bits)], width, offset)
    final = sum(1 for col in cols if len(col) == 2)
    return sum(len(c.positions) for c in chains) + final
