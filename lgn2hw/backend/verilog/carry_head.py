"""Popcount on the Xilinx 7-series carry chain: a tree of counters, each one CARRY4 and one or two LUT6_2,
instantiated as primitives (popcount="carry4").

Why: the generic counter tree (heads.compressor_tree) spends one LUT6 per counter output bit, about one
LUT per summed bit. A carry-chain position with incoming carry c adds two operand bits to it: with
DI = a and S = a ^ b it outputs O = a ^ b ^ c and carries a + b + c >= 2 on, whatever a and b are. A
LUT6_2 in front of the position gives a as O5 (any function of I0..I4) and S as O6, so each position
holds a digit a + b in 0..2, and two positions that read the same five bits hold their count in these
redundant digits (after Kumm and Zipf's slice-wide compressors, FPL 2014):

    position 0:  a = parity(group),   b = extra (the bit on I5; O6 = O5 ^ I5)
    position 1:  a = [count >= 2],    b = [count >= 4] (I5 tied to 1, O5 and O6 two functions of I0..I4)

With one more bit of the same column on CYINIT, a counter adds 7 bits (5 counted, 1 on I5, 1 carried
in) into 3 (O[0], O[1], and the carry out of position 1 passed to O[2] by a position whose DI and S
are 0) with 2 LUTs: 2 bits removed per LUT, against 1 for a LUT-only 6:3 counter. 7 is the most one
chain can take of one column (O[0] is the parity of all of them, and S[0] reads at most six), so the
tree needs no wider cells. A column of 3 to 5 bits gets a full adder (1 LUT: one bit counted, one on
I5, one carried in); a popcount costs about 0.51-0.53 LUT per summed bit (benchmarks/head_luts.py
--xilinx measures it).

The tree is built in stages like heads.compressor_tree: each stage places counters on the columns of 3
or more bits, lowest column first; when every column holds at most two bits, the two rows are added
with one ``+`` (Yosys maps it onto CARRY4 with one LUT a bit). Columns at or above the score width are
left out (provably zero), and the constant offset enters the heap as constant bits. Simulation needs
the primitives' models (primitives.py).
The structure is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import ONE, ZERO, Instance, Net, gather_records

GROUP_BITS = 5  # bits a counter's LUTs count on I0..I4 (position 0's I5 takes one more)
# Verilator -Wall warnings the counters' nets and instances waive (the template brackets them with
# lint_off/lint_on): CO is left open, and short counters leave O bits unused.
LINT_WAIVERS = ("UNUSEDSIGNAL", "PINCONNECTEMPTY")


@dataclass(frozen=True)
class Counter:
    """One counter on column k: ``group`` (<= 5 bits on I0..I4 of its LUTs), ``extra`` (I5 of position
    0) and ``cin`` (CYINIT), all of column k; ``outputs`` bits of weights 2**k ..
    2**(k + outputs - 1)."""

    name: str
    group: tuple[str, ...]
    cin: str
    extra: str
    outputs: int

    @property
    def length(self) -> int:
        """Positions with a LUT: the second holds the count's upper digit, needed from two grouped bits."""
        return 2 if len(self.group) >= 2 else 1

    def output(self, bit: int) -> str:
        return f"{self.name}_o[{bit}]"

    def i5(self, position: int) -> str:
        return self.extra if position == 0 else ONE


def lut_init(group_size: int, position: int) -> str:
    """INIT of the LUT6_2 at ``position`` over a group of ``group_size`` bits on I0..I4 (count c):
    position 0: O5 = c & 1, O6 = O5 ^ I5; position 1 (I5 = 1): O5 = [c >= 2], O6 = [2 <= c < 4].
    INIT[31:0] is O5 (and O6 when I5 = 0), INIT[63:32] is O6 when I5 = 1."""
    low = high = 0
    for index in range(32):
        count = bin(index & ((1 << group_size) - 1)).count("1")
        if position == 0:  # the upper half is read with I5 = 1: O5 ^ 1
            o5, o6 = count & 1, (count & 1) ^ 1
        else:
            o5, o6 = int(count >= 2), int(2 <= count < 4)
        low |= o5 << index
        high |= o6 << index
    return f"64'h{high:08X}{low:08X}"


def _group_size(height: int) -> int:
    """Bits a counter on a column of ``height`` (>= 3) bits counts on I0..I4; with the extra bit and the
    carry in it takes group + 2. Seven bits or more: a full counter (2 removed per LUT); six: 6 -> 3 with
    two LUTs; three to five: a full adder (3 -> 2, one LUT)."""
    if height >= GROUP_BITS + 2:
        return GROUP_BITS
    return height - 2 if height == GROUP_BITS + 1 else 1


def plan_counters(prefix: str, leaves: list[str], width: int,
                  offset: int = 0) -> tuple[list[list[Counter]], list[list[str]]]:
    """The counter stages over 1-bit ``leaves`` (+ the constant ``offset``) and the final columns (<= 2 bits each)."""
    cols: list[list[str]] = [list(leaves)] + [[] for _ in range(width - 1)]
    for bit in range(width):  # the offset's bits join the heap as constants
        if offset >> bit & 1:
            cols[bit].append(ONE)
    stages: list[list[Counter]] = []
    while max(len(col) for col in cols) > 2:
        stage, placed = len(stages) + 1, []
        nxt: list[list[str]] = [[] for _ in range(width)]
        for k, col in enumerate(cols):
            rest = list(col)
            while len(rest) >= 3:
                size = _group_size(len(rest))
                taken, rest = rest[: size + 2], rest[size + 2 :]
                outputs = min((size + 2).bit_length(), width - k)
                counter = Counter(f"{prefix}_g{stage}_{k}_{len(placed)}", tuple(taken[2:]), taken[0], taken[1], outputs)
                placed.append(counter)
                for bit in range(outputs):
                    nxt[k + bit].append(counter.output(bit))
            nxt[k].extend(rest)
        stages.append(placed)
        cols = nxt
    return stages, cols


def counter_records(counter: Counter) -> tuple[list[Net], list[Instance]]:
    """The nets and primitive instances of one counter: ``length`` LUT6_2 and one CARRY4. CO stays open:
    the carry out of the last position with a LUT is read through O (the next position passes it), so
    only O[0 .. outputs-1] are used."""
    n = counter.name
    nets = [Net(f"{n}_s", counter.length), Net(f"{n}_d", counter.length), Net(f"{n}_o", 4)]
    group = list(counter.group) + [ZERO] * (GROUP_BITS - len(counter.group))
    instances = []
    for j in range(counter.length):
        pins = [(f"I{i}", group[i]) for i in range(GROUP_BITS)] + [("I5", counter.i5(j))]
        s_bit, d_bit = (f"{n}_{net}[{j}]" if counter.length > 1 else f"{n}_{net}" for net in ("s", "d"))
        instances.append(Instance("LUT6_2", f"{n}_l{j}", (("O6", s_bit), ("O5", d_bit), *pins),
                                  params=(("INIT", lut_init(len(counter.group), j)),)))
    unused = 4 - counter.length
    s, d = (f"{{{unused}'b0, {n}_{net}}}" for net in ("s", "d"))
    instances.append(Instance("CARRY4", f"{n}_c", (("CO", ""), ("O", f"{n}_o"), ("CI", ZERO),
                                                   ("CYINIT", counter.cin), ("DI", d), ("S", s))))
    return nets, instances


def primitive_tree(prefix: str, leaves: list[str], width: int, offset: int = 0) -> tuple[list[Net], list[Instance], list[list[str]]]:
    """(nets, instances, final columns of <= 2 bits) of the popcount of ``leaves`` + ``offset`` on CARRY4
    counters; heads.two_row_sum adds the final columns."""
    stages, cols = plan_counters(prefix, leaves, width, offset)
    return (*gather_records(counter_records(c) for stage in stages for c in stage), cols)


def carry_luts(bits: int, width: int, offset: int = 0) -> int:
    """LUTs of primitive_tree over ``bits`` leaves: the counters' LUT6_2 plus one LUT a column of the final add."""
    stages, cols = plan_counters("p", [f"x{i}" for i in range(bits)], width, offset)
    final = sum(1 for col in cols if len(col) == 2)
    return sum(c.length for stage in stages for c in stage) + final
