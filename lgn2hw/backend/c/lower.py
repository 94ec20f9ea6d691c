"""Netlist -> the records the C templates print: every choice of the generated code is made here.

``lower(netlist, variants)`` returns a ``CModel``: the batch plan (lgn2hw.backend.c.schedule) as
table text, the single-sample tables (16-bit signal ids, truth-table nibbles), the encoder pieces
(lgn2hw.backend.c.encode), and the sizes the header announces. The templates only loop over it.
Arrays become lines of numbers here (a million-gate table is millions of numbers: joined in Python
once, not looped over in Jinja).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError
from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist
from .encode import EncodePlan, plan_encode
from .fuse import FusedKernel
from .kernels import WordKernel, truth_nibble
from .schedule import plan_batch

VARIANTS = ("both", "batch", "single")
PREFIX = "lgn"
BLOCK_WORDS = 8  # 64-bit words per row: 512 samples per block (measured: 4 and 16 are slower, docs/c-backend.md)
SINGLE_MAX_SIGNALS = 0xFFFF  # the single-sample tables hold signal ids as uint16_t
_NUMBERS_PER_LINE = 24


@dataclass(frozen=True)
class CArray:
    """A constant C array: element type, name, length and its initializer as lines of text."""

    ctype: str
    name: str
    length: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CGroup:
    kernel: int  # index into CBatch.kernels
    start: int
    count: int


@dataclass(frozen=True)
class CBatch:
    """The bit-parallel variant: value rows, the gate table and its kernel groups, the output rows."""

    words: int  # 64-bit words per row
    num_rows: int
    row_type: str  # uint16_t or uint32_t
    kernels: tuple[WordKernel | FusedKernel, ...]  # the kernels the tables use, in first-use order
    groups: tuple[CGroup, ...]
    table2: CArray  # (destination, x, y) rows per evaluated gate
    table3: CArray  # (destination, x, y, z) rows per fused pair
    count_rows: CArray  # per class, the rows its score counts once (class c from count_start[c])
    count_start: tuple[int, ...]  # num_classes + 1 offsets
    weighted_rows: CArray  # per class, rows counted with weight 2^bit
    weighted_bits: CArray
    weighted_start: tuple[int, ...]
    offsets: tuple[int, ...]  # per class, output bits tied to TRUE
    evaluated: int
    fused: int
    slot_bits: int  # bits per class score in the transposed result words (16 or 32)
    id_bits: int  # bits of a class id


@dataclass(frozen=True)
class CSingle:
    """The single-sample variant: one bit per signal, gates as (a, b, truth nibble)."""

    num_signals: int
    a: CArray
    b: CArray
    nibbles: CArray  # two truth-table nibbles a byte, gate 2i in the low nibble
    outputs: CArray


@dataclass(frozen=True)
class CModel:
    """Everything the templates print for one netlist."""

    prefix: str
    num_inputs: int
    input_words: int
    input_bytes: int
    num_classes: int
    group_size: int
    count_bits: int  # bits of a class score (0..group_size)
    num_gates: int
    depth: int
    sha256: str
    encode: EncodePlan | None
    batch: CBatch | None
    single: CSingle | None

    @property
    def macro(self) -> str:
        return self.prefix.upper()


def single_fits(netlist: Netlist) -> bool:
    """Whether the single-sample variant can hold ``netlist`` (signal ids in 16 bits)."""
    return netlist.num_signals <= SINGLE_MAX_SIGNALS


def resolve_variant(netlist: Netlist, variant: str) -> tuple[bool, bool]:
    """(batch, single) for a variant name; ``auto`` is both, or batch alone when the single-sample
    variant cannot hold the netlist. ConfigError for a variant the netlist is too large for."""
    if variant == "auto":
        return True, single_fits(netlist)
    if variant not in VARIANTS:
        raise ConfigError(f"unknown C variant {variant!r}: choose from auto, {', '.join(VARIANTS)}")
    single = variant in ("both", "single")
    if single and not single_fits(netlist):
        raise ConfigError(
            f"the netlist has {netlist.num_signals:,} signals (inputs + gates); the single-sample C variant "
            f"holds at most {SINGLE_MAX_SIGNALS:,} (16-bit signal ids, for microcontrollers): "
            "export --c-variant batch instead")
    return variant in ("both", "batch"), single


def lower(netlist: Netlist, variant: str = "auto") -> CModel:
    """The C records of ``netlist`` for ``variant`` (auto, both, batch, single)."""
    netlist.validate()
    want_batch, want_single = resolve_variant(netlist, variant)
    encode = None
    if netlist.input_encoding is not None:
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
        encode = plan_encode(encoding)
    k = netlist.group_size
    return CModel(
        prefix=PREFIX, num_inputs=netlist.num_inputs, input_words=-(-netlist.num_inputs // 64),
        input_bytes=-(-netlist.num_inputs // 8), num_classes=netlist.num_classes, group_size=k,
        count_bits=max(1, k.bit_length()), num_gates=netlist.num_gates, depth=netlist.depth(),
        sha256=netlist.sha256(), encode=encode,
        batch=_batch(netlist) if want_batch else None,
        single=_single(netlist) if want_single else None,
    )


def _batch(netlist: Netlist) -> CBatch:
    plan = plan_batch(netlist)
    row_type = "uint16_t" if plan.num_rows <= 0xFFFF else "uint32_t"
    kernels: list[WordKernel | FusedKernel] = []
    groups = []
    for group in plan.groups:
        if group.kernel not in kernels:
            kernels.append(group.kernel)
        groups.append(CGroup(kernels.index(group.kernel), group.start, group.count))
    k = netlist.group_size
    counts = plan.counts
    weighted = [pair for count in counts for pair in count.weighted]
    return CBatch(
        words=BLOCK_WORDS, num_rows=plan.num_rows, row_type=row_type, kernels=tuple(kernels), groups=tuple(groups),
        table2=c_array(row_type, "table2", plan.table2.reshape(-1)),
        table3=c_array(row_type, "table3", plan.table3.reshape(-1)),
        count_rows=c_array(row_type, "count_rows", np.array([r for count in counts for r in count.rows], dtype=np.int64)),
        count_start=_starts(len(count.rows) for count in counts),
        weighted_rows=c_array(row_type, "weighted_rows", np.array([r for r, _ in weighted], dtype=np.int64)),
        weighted_bits=c_array("uint8_t", "weighted_bits", np.array([b for _, b in weighted], dtype=np.int64)),
        weighted_start=_starts(len(count.weighted) for count in counts),
        offsets=tuple(count.offset for count in counts),
        evaluated=plan.num_evaluated, fused=plan.num_fused, slot_bits=16 if k.bit_length() <= 16 else 32,
        id_bits=max(1, (netlist.num_classes - 1).bit_length()),
    )


def _starts(lengths) -> tuple[int, ...]:
    """Offsets of consecutive runs of the given lengths, with the end: (0, l0, l0 + l1, ...)."""
    return tuple(int(v) for v in np.concatenate([[0], np.cumsum(list(lengths), dtype=np.int64)]))


def _single(netlist: Netlist) -> CSingle:
    nibble_of = np.array([truth_nibble(op) for op in range(16)], dtype=np.int64)[netlist.ops]
    if nibble_of.size % 2:
        nibble_of = np.append(nibble_of, 0)
    packed = nibble_of[0::2] | (nibble_of[1::2] << 4)
    return CSingle(
        num_signals=netlist.num_signals,
        a=c_array("uint16_t", "single_a", netlist.a), b=c_array("uint16_t", "single_b", netlist.b),
        nibbles=c_array("uint8_t", "single_nibbles", packed),
        outputs=c_array("uint16_t", "single_outputs", netlist.outputs),
    )


def c_array(ctype: str, name: str, values: np.ndarray) -> CArray:
    """A CArray of integer ``values`` (an empty array gets one 0: C has no empty initializers)."""
    values = np.asarray(values, dtype=np.int64).reshape(-1)
    length = int(values.size)
    if length == 0:
        values = np.zeros(1, dtype=np.int64)
    text = values.astype(str)
    lines = tuple(",".join(text[i:i + _NUMBERS_PER_LINE]) + "," for i in range(0, text.size, _NUMBERS_PER_LINE))
    return CArray(ctype, name, max(length, 1), lines)
