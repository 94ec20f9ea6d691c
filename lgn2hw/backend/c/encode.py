"""Raw uint8 features -> packed input bits in C: the netlist's input_encoding as compare pieces.

The generated ``encode`` writes one sample's input bits as 64-bit words (bit i of the sample is bit
i % 64 of word i / 64). Bit i is ``raw[feature[i]] > threshold[i]`` (lgn2hw.ir.encoding); on uint8
features that is ``raw >= ge`` with ``ge = floor(threshold) + 1`` clipped to 0..256 (0: always 1,
256: never). Within one word, bits whose features are consecutive and whose ``ge`` is equal form a
*piece*, compared 64 features at a time (one SIMD compare where the compiler has one) and shifted
into place; short pieces compare feature by feature. A thermometer encoding (threshold-major) gives
one or two pieces per word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir.encoding import ThresholdEncoding

NEVER = 256  # ge of a bit that is never set (threshold >= 255 on uint8 features)
WIDE_PIECE = 4  # pieces this long or longer use the 64-feature compare


@dataclass(frozen=True)
class Piece:
    """Bits [shift, shift + length) of one word: features [feature, feature + length) >= ge."""

    word: int
    shift: int  # bit position in the word
    length: int
    feature: int
    ge: int  # 0..255 (256 pieces are dropped: their bits stay 0)

    @property
    def wide(self) -> bool:
        return self.length >= WIDE_PIECE


@dataclass(frozen=True)
class WidePiece:
    """A piece as the 64-feature compare reads it: the 64 features from ``load`` on, >= ge, shifted
    right by ``skip`` (so that feature ``feature`` is bit 0), masked to ``length`` bits, shifted left
    to ``shift``. ``load + 64`` never passes the last feature (the sample buffer is padded when the
    sample has fewer than 64 features)."""

    word: int
    shift: int
    mask: str  # C literal
    load: int
    skip: int
    ge: int


@dataclass(frozen=True)
class EncodePlan:
    """The C encoder of one encoding: its pieces by word, and per-bit tables for the compact code."""

    num_features: int
    num_bits: int
    words: int
    wide: tuple[tuple[WidePiece, ...], ...]  # per word
    narrow: tuple[tuple[Piece, ...], ...]  # per word: compared bit by bit
    pad_features: int  # features of the padded sample buffer (0: read the caller's buffer directly)
    bit_feature: np.ndarray  # (num_bits,) int64: feature of every bit
    bit_ge: np.ndarray  # (num_bits,) int64: ge of every bit (0..256)


def ge_thresholds(encoding: ThresholdEncoding) -> np.ndarray:
    """Per bit, the smallest uint8 value that sets it (0..255), or 256 when none does."""
    t = encoding.threshold
    floor = np.floor(t).astype(np.int64) if t.dtype.kind == "f" else t.astype(np.int64)
    return np.clip(floor, -1, 255) + 1


def plan_encode(encoding: ThresholdEncoding) -> EncodePlan:
    """The pieces of ``encoding`` (see the module doc)."""
    feature, ge = encoding.feature, ge_thresholds(encoding)
    bits, num_features = encoding.num_bits, encoding.num_features
    words = -(-bits // 64)
    pieces = _pieces(feature, ge)
    pad = 64 if num_features < 64 else 0
    span = max(num_features, pad)
    wide: list[list[WidePiece]] = [[] for _ in range(words)]
    narrow: list[list[Piece]] = [[] for _ in range(words)]
    for piece in pieces:
        if piece.ge >= NEVER:
            continue
        if not piece.wide:
            narrow[piece.word].append(piece)
            continue
        load = min(piece.feature, span - 64)
        mask = "UINT64_C(0xFFFFFFFFFFFFFFFF)" if piece.length == 64 else f"UINT64_C({(1 << piece.length) - 1:#x})"
        wide[piece.word].append(WidePiece(piece.word, piece.shift, mask, load, piece.feature - load, piece.ge))
    return EncodePlan(num_features, bits, words, tuple(tuple(w) for w in wide), tuple(tuple(w) for w in narrow),
                      pad, feature.astype(np.int64), ge.astype(np.int64))


def _pieces(feature: np.ndarray, ge: np.ndarray) -> list[Piece]:
    """Maximal runs within each 64-bit word of consecutive features with equal ge."""
    bits = feature.shape[0]
    index = np.arange(bits)
    breaks = np.ones(bits, dtype=bool)
    breaks[1:] = (index[1:] % 64 == 0) | (feature[1:] != feature[:-1] + 1) | (ge[1:] != ge[:-1])
    starts = np.flatnonzero(breaks)
    ends = np.append(starts[1:], bits)
    return [Piece(int(s) // 64, int(s) % 64, int(e - s), int(feature[s]), int(ge[s])) for s, e in zip(starts, ends)]
