"""Popcount on the Xilinx 7-series carry chain: a tree of generalized parallel counters (GPCs), each one
CARRY4 and up to three LUT6_2, instantiated as primitives (popcount="carry4").

Why: the generic counter tree (heads.compressor_tree) spends one LUT6 per counter output bit, about one
LUT per summed bit. A LUT6_2 in front of a carry-chain position can instead feed it two operands of
one adder: O5 = f(I0..I4) drives DI and O6 = f(I0..I4) ^ I5 drives S, so the position adds the bit
f (any function of five signals) to the bit on I5 and the incoming carry. A GPC at column k is a
ripple adder of ``length`` (1..3) positions of one CARRY4 computing

    popcount(group) + sum_j extra[j] * 2**j + cin

where ``group`` is up to five bits of column k (position j's LUT computes bit j of their count),
``extra[j]`` one bit of column k + j (on I5 of position j) and ``cin`` one more bit of column k (on
CYINIT). The full GPC reads 7 bits of column k, one of k + 1 and one of k + 2 (nine bits) and writes
four (O[0..3]; O[3] is the carry out, the unused position passing it through), with three LUTs: it
removes 5/3 bits per LUT, against 1 for a LUT-only 6:3 counter. Only the first stage, which has bits
in column 0 alone, has nothing to put on the extra inputs (7 bits -> 3 for 3 LUTs), so a whole
popcount costs about 0.72 LUT per summed bit (benchmarks/head_luts.py --xilinx measures it).

The tree is built in stages like heads.compressor_tree: each stage places GPCs on the columns of 3 or
more bits, lowest column first, taking extra bits from the two columns above where there are any;
when every column holds at most two bits, the two rows are added with one ``+`` (Yosys maps it onto
CARRY4 with one LUT a bit). Columns at or above the score width are left out (provably zero), and the
constant offset enters the heap as constant bits. Simulation needs the primitives' models: Yosys's
share/yosys/xilinx/cells_sim.v (toolchain.yosys.Yosys.share_file). The structure is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...toolchain.yosys import find_yosys
from .records import Instance, Net

GROUP_BITS = 5  # bits a position's LUT counts: I0..I4 (I5 carries the extra operand bit)
MAX_LENGTH = 3  # chain positions per GPC; the fourth position of the CARRY4 passes the carry out to O[3]
ZERO = "1'b0"
PRIMITIVES = ("LUT6_2", "CARRY4")  # the Xilinx cells the RTL instantiates
# Verilator -Wall warnings the counters' nets and instances waive (the template brackets them with
# lint_off/lint_on): CO is left open, and short counters leave O bits unused.
LINT_WAIVERS = ("UNUSEDSIGNAL", "PINCONNECTEMPTY")
MODELS_FILE = "xilinx/cells_sim.v"  # where Yosys keeps their simulation models
MODELS_NAME = "xilinx_primitives.v"  # the models' file beside the RTL in simulations, proofs and exports


def primitive_models() -> str:
    """Verilog models of PRIMITIVES for simulators and proofs (Vivado has its own), taken from Yosys's
    data directory; ToolError (one line naming the package) when Yosys or the file is missing."""
    models = find_yosys("simulating the carry4 popcount's Xilinx primitives").cell_models(MODELS_FILE, PRIMITIVES)
    # the file name is not a module's, and CARRY4's CO bits feed each other (a ripple, not a loop)
    return "/* verilator lint_off DECLFILENAME */\n/* verilator lint_off UNOPTFLAT */\n" + models


@dataclass(frozen=True)
class Gpc:
    """One counter on column k: ``group`` (<= 5 bits), ``cin`` and ``extra[0]`` of column k, ``extra[j]``
    of column k + j; ``outputs`` bits of weights 2**k .. 2**(k + outputs - 1)."""

    name: str
    group: tuple[str, ...]
    cin: str
    extra: tuple[str, ...]  # one per position; ZERO where none
    outputs: int

    @property
    def length(self) -> int:
        return len(self.extra)

    def output(self, bit: int) -> str:
        return f"{self.name}_o[{bit}]"


def lut_init(group_size: int, position: int) -> str:
    """INIT of the LUT6_2 at ``position``: O5 = bit ``position`` of popcount(I0..I{group_size-1}),
    O6 = O5 ^ I5 (the upper 32 bits are the complement of the lower ones)."""
    low = 0
    for index in range(32):
        count = bin(index & ((1 << group_size) - 1)).count("1")
        low |= ((count >> position) & 1) << index
    return f"64'h{(~low & 0xFFFFFFFF):08X}{low:08X}"


def _choose(height: int, above1: int, above2: int) -> tuple[int, int, int, int, int] | None:
    """The most efficient GPC on a column of ``height`` bits with ``above1``/``above2`` bits available
    one and two columns up: (group size, extra[0] used, extra bits from k+1, from k+2, length), or None
    when no GPC removes a bit (cin is always used). Efficiency = bits removed per LUT; ties prefer more
    bits taken."""
    best = None
    for group in range(GROUP_BITS + 1):
        for own_extra in (0, 1):  # cin is always used first, then extra[0]
            take = group + 1 + own_extra
            if take > height:
                continue
            for e1 in range(min(1, above1) + 1):
                for e2 in range(min(1, above2) + 1):
                    length = max(group.bit_length(), 3 if e2 else 2 if e1 else 1)
                    if length > MAX_LENGTH:
                        continue
                    outputs = (take + 2 * e1 + 4 * e2).bit_length()
                    removed = take + e1 + e2 - outputs
                    if removed <= 0:
                        continue
                    key = (removed / length, take + e1 + e2, -length)
                    if best is None or key > best[0]:
                        best = (key, (group, own_extra, e1, e2, length))
    return None if best is None else best[1]


def plan_gpcs(prefix: str, leaves: list[str], width: int, offset: int = 0) -> tuple[list[list[Gpc]], list[list[str]]]:
    """The GPC stages over 1-bit ``leaves`` (+ the constant ``offset``) and the final columns (<= 2 bits each)."""
    cols: list[list[str]] = [list(leaves)] + [[] for _ in range(width - 1)]
    for bit in range(width):  # the offset's bits join the heap as constants
        if offset >> bit & 1:
            cols[bit].append("1'b1")
    stages: list[list[Gpc]] = []
    while max(len(col) for col in cols) > 2:
        stage, placed = len(stages) + 1, []
        nxt: list[list[str]] = [[] for _ in range(width)]
        cur = [list(col) for col in cols] + [[], []]
        for k in range(width):
            while len(cur[k]) >= 3:
                choice = _choose(len(cur[k]), len(cur[k + 1]), len(cur[k + 2]))
                if choice is None:
                    break
                size, own_extra, e1, e2, length = choice
                take = 1 + size + own_extra
                taken, cur[k] = cur[k][:take], cur[k][take:]
                cin, group = taken[0], taken[1 : 1 + size]
                extra = [taken[-1] if own_extra else ZERO]
                for j, wanted in ((1, e1), (2, e2)):
                    if wanted:
                        extra.append(cur[k + j].pop(0))
                    elif j < length:
                        extra.append(ZERO)
                outputs = min((take + 2 * e1 + 4 * e2).bit_length(), width - k)
                gpc = Gpc(f"{prefix}_g{stage}_{k}_{len(placed)}", tuple(group), cin, tuple(extra[:length]), outputs)
                placed.append(gpc)
                for bit in range(outputs):
                    nxt[k + bit].append(gpc.output(bit))
            nxt[k].extend(cur[k])
        stages.append(placed)
        cols = nxt
    return stages, cols


def gpc_records(gpc: Gpc) -> tuple[list[Net], list[Instance]]:
    """The nets and primitive instances of one GPC: ``length`` LUT6_2 and one CARRY4. CO stays open: the
    carry out is read through O (the next position passes it), so only O[0 .. outputs-1] are used."""
    n = gpc.name
    nets = [Net(f"{n}_s", gpc.length), Net(f"{n}_d", gpc.length), Net(f"{n}_o", 4)]
    group = list(gpc.group) + [ZERO] * (GROUP_BITS - len(gpc.group))
    instances = []
    for j in range(gpc.length):
        pins = [(f"I{i}", group[i]) for i in range(GROUP_BITS)] + [("I5", gpc.extra[j])]
        instances.append(Instance("LUT6_2", f"{n}_l{j}", (("O6", f"{n}_s[{j}]" if gpc.length > 1 else f"{n}_s"),
                                                        ("O5", f"{n}_d[{j}]" if gpc.length > 1 else f"{n}_d"), *pins),
                                  params=(("INIT", lut_init(len(gpc.group), j)),)))
    unused = 4 - gpc.length
    s, d = (f"{{{unused}'b0, {n}_{net}}}" if unused else f"{n}_{net}" for net in ("s", "d"))
    instances.append(Instance("CARRY4", f"{n}_c", (("CO", ""), ("O", f"{n}_o"), ("CI", ZERO),
                                                   ("CYINIT", gpc.cin), ("DI", d), ("S", s))))
    return nets, instances


def carry_tree(prefix: str, leaves: list[str], width: int, offset: int = 0) -> tuple[list[Net], list[Instance], list[list[str]]]:
    """(nets, instances, final columns of <= 2 bits) of the popcount of ``leaves`` + ``offset`` on CARRY4
    GPCs; heads.two_row_sum adds the final columns."""
    stages, cols = plan_gpcs(prefix, leaves, width, offset)
    nets: list[Net] = []
    instances: list[Instance] = []
    for gpc in (g for stage in stages for g in stage):
        more_nets, more_instances = gpc_records(gpc)
        nets += more_nets
        instances += more_instances
    return nets, instances, cols


def carry_luts(bits: int, width: int, offset: int = 0) -> int:
    """LUTs of carry_tree over ``bits`` leaves: the GPCs' LUT6_2 plus one LUT a column of the final add."""
    stages, cols = plan_gpcs("p", [f"x{i}" for i in range(bits)], width, offset)
    final = sum(1 for col in cols if len(col) == 2)
    return sum(g.length for stage in stages for g in stage) + final
