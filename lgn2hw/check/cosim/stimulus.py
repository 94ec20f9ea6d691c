"""Stimulus of a verification: the vectors it drives, in blocks (test set, random, corners), and their labels.

A build whose RTL reads encoded bits on ``in_bits`` gets the encoded test set, random bits and the
binary corner vectors (all zeros, all ones, one-hot). A raw-input build (`compile --raw-inputs`: the
input_encoding's comparators sit in front of the gate core, the top reads unsigned ``bits``-bit
features on ``in_features``, feature f at ``in_features[f*B +: B]``) gets raw vectors instead: the data
set's raw test samples, uniformly random raw vectors, and *threshold corner* vectors in which every
feature sits on one of its thresholds t or t +/- 1 (and on 0 and the largest value). Its expected
values come from encoding the raw vectors with lgn2hw.ir.encoding, exactly as a model sees its data.
Everything here is a pure function of its arguments (and the data set files).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import DataError
from ...limits import check_memory
from ...ir.build_dir import RawInputs
from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist

ONE_HOT_LIMIT = 4096  # corner_vectors: every one-hot vector up to this many inputs, then this many spread ones


@dataclass(frozen=True)
class StimulusPart:
    """One consecutive block of a verification run's vectors: its kind (``test_set``, ``random`` or
    ``corners``, the keys of verify.json's stimulus_counts), how many vectors, and how it is described
    to the user."""

    kind: str
    count: int
    text: str


def random_vector_count(random_vectors: int, vectors: int | None, have_test_set: bool) -> int:
    """How many random vectors a verification drives: as asked, else none beside a test set, else
    ``vectors`` (or 1000) so that a run without data still has stimulus."""
    return random_vectors or (0 if have_test_set else (vectors or 1000))


def stimulus_counts(parts: list[StimulusPart]) -> dict[str, int]:
    """Vectors per kind (verify.json's extra["stimulus_counts"])."""
    counts: dict[str, int] = {}
    for part in parts:
        counts[part.kind] = counts.get(part.kind, 0) + part.count
    return counts


# ------------------------------------------------------------------------------------ encoded bits
def corner_vectors(num_inputs: int, limit: int = ONE_HOT_LIMIT) -> np.ndarray:
    """Corner input vectors (V, num_inputs) of 0/1: all zeros, all ones, then one-hot vectors.

    Every one-hot vector when ``num_inputs`` <= ``limit``, else ``limit`` of them with their one spread
    evenly over the inputs (first and last included). Deterministic.
    """
    if num_inputs < 1:
        raise DataError("corner vectors need at least one input")
    if num_inputs <= limit:
        positions = np.arange(num_inputs)
    else:
        positions = np.unique(np.round(np.linspace(0, num_inputs - 1, limit)).astype(np.int64))
    out = np.zeros((2 + positions.size, num_inputs), dtype=np.uint8)
    out[1] = 1
    out[2 + np.arange(positions.size), positions] = 1
    return out


def describe_corner(row: np.ndarray) -> str:
    """'all zeros', 'all ones', 'one-hot bit 17' or 'other' for one corner vector."""
    ones = np.flatnonzero(row)
    if ones.size == 0:
        return "all zeros"
    if ones.size == row.size:
        return "all ones"
    return f"one-hot bit {int(ones[0])}" if ones.size == 1 else "other"


def binary_stimulus(netlist: Netlist, vectors: int | None, random_vectors: int, seed: int, corners: bool,
                    dataset: str | None = None, data_dir=None) -> tuple[np.ndarray, list[StimulusPart]]:
    """Input bits (V, N) for verification and their blocks in order: the first ``vectors`` of the
    encoded ``dataset`` test set (all when None, none when 0), ``random_vectors`` random ones
    (random_vector_count), then with ``corners`` the corner vectors."""
    from ..agreement import encoded_test_set

    parts, described = [], []
    if dataset and netlist.input_encoding is not None and vectors != 0:
        bits = encoded_test_set(netlist, dataset, data_dir)[:vectors]
        parts.append(bits)
        described.append(StimulusPart("test_set", bits.shape[0], f"{bits.shape[0]} {dataset} test vectors"))
    count = random_vector_count(random_vectors, vectors, have_test_set=bool(parts))
    if count:
        rng = np.random.default_rng(seed)
        check_memory(count * 3 * netlist.num_inputs, f"{count:,} random vectors", "use fewer --random vectors")
        parts.append(rng.integers(0, 2, size=(count, netlist.num_inputs), dtype=np.uint8))
        described.append(StimulusPart("random", count, f"{count} random vectors (seed {seed})"))
    if corners:
        corner = corner_vectors(netlist.num_inputs)
        parts.append(corner)
        text = f"{corner.shape[0]} corner vectors (all zeros, all ones, {corner.shape[0] - 2} one-hot)"
        described.append(StimulusPart("corners", corner.shape[0], text))
    return np.concatenate(parts), described


# ------------------------------------------------------------------------------------ raw features
def port_bits(raw: np.ndarray, spec: RawInputs) -> np.ndarray:
    """(V, F) raw values -> (V, F*B) 0/1, bit f*B + b = bit b of feature f (what ``in_features`` holds)."""
    raw = as_raw(raw, spec)
    shifts = np.arange(spec.bits, dtype=np.uint64)
    bits = (raw.astype(np.uint64)[:, :, None] >> shifts) & np.uint64(1)
    return bits.reshape(raw.shape[0], spec.width).astype(np.uint8)


def encode_raw(netlist: Netlist, raw: np.ndarray) -> np.ndarray:
    """The Python reference's input bits for raw vectors: the netlist's own input_encoding."""
    return ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).encode(raw)


def raw_corner_vectors(netlist: Netlist, spec: RawInputs, rng: np.random.Generator) -> np.ndarray:
    """Raw vectors with every feature on a threshold, a threshold +/- 1, 0 or the largest value.

    Feature f's corner values are t - 1, t, t + 1 for every threshold t of a bit that reads f (floored:
    integer features), clipped to 0 .. 2**B - 1, plus 0 and 2**B - 1. Vector j puts feature f on its
    corner value (j + f) mod (its count), so every feature takes every corner value at least once;
    as many vectors again pick corner values at random.
    """
    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    corners: list[set[int]] = [{0, spec.max_value} for _ in range(spec.features)]
    for f, t in zip(encoding.feature.tolist(), encoding.threshold.tolist()):
        t = math.floor(t)
        for value in (t - 1, t, t + 1):
            if 0 <= value <= spec.max_value:
                corners[f].add(value)
    values = [np.array(sorted(c), dtype=np.int64) for c in corners]
    count = max(len(v) for v in values)
    out = np.empty((2 * count, spec.features), dtype=np.int64)
    for f, v in enumerate(values):
        out[:count, f] = v[(np.arange(count) + f) % len(v)]
        out[count:, f] = v[rng.integers(0, len(v), size=count)]
    return out


def raw_stimulus(netlist: Netlist, spec: RawInputs, vectors: int | None, random_vectors: int, seed: int,
                 data_dir=None, dataset: str | None = None) -> tuple[np.ndarray, list[StimulusPart]]:
    """Raw vectors (V, F) for verification and their blocks in order: the ``dataset``'s raw test
    samples (first ``vectors``, when a data set is given and ``vectors`` != 0), then
    ``random_vectors`` uniform random ones (1000, or ``vectors``, when there is no data set), then the
    threshold corner vectors."""
    parts, described = [], []
    if dataset and vectors != 0:
        from ...frontend.data.datasets import load_dataset

        test_x = load_dataset(dataset, data_dir=data_dir, limit_train=1, limit_test=vectors).test_x
        raw = np.asarray(test_x).reshape(len(test_x), -1)[:vectors]
        parts.append(as_raw(raw[:, : spec.features], spec, f"the {dataset} test set"))
        described.append(StimulusPart("test_set", raw.shape[0], f"{raw.shape[0]} raw {dataset} test samples"))
    rng = np.random.default_rng(seed)
    count = random_vector_count(random_vectors, vectors, have_test_set=bool(parts))
    if count:
        parts.append(rng.integers(0, spec.max_value, size=(count, spec.features), endpoint=True, dtype=np.int64))
        described.append(StimulusPart("random", count, f"{count} random raw vectors (seed {seed})"))
    corners = raw_corner_vectors(netlist, spec, rng)
    parts.append(corners)
    described.append(StimulusPart("corners", corners.shape[0], f"{corners.shape[0]} threshold corner vectors"))
    return np.concatenate([p.astype(np.int64) for p in parts]), described


def as_raw(raw: np.ndarray, spec: RawInputs, what: str = "raw vectors") -> np.ndarray:
    """``raw`` checked to be (V, F) integers that fit the raw port (DataError otherwise), as int64."""
    raw = np.asarray(raw)
    if raw.ndim != 2 or raw.shape[1] != spec.features:
        raise DataError(f"{what}: expected shape (vectors, {spec.features}), got {raw.shape}")
    if raw.shape[0] == 0:
        raise DataError(f"{what}: no vectors")
    if not np.issubdtype(raw.dtype, np.integer) and not np.array_equal(raw, np.floor(raw)):
        raise DataError(f"{what}: raw features must be integers for the {spec.bits}-bit port")
    if int(raw.min()) < 0 or int(raw.max()) > spec.max_value:
        raise DataError(
            f"{what}: values {int(raw.min())}..{int(raw.max())} do not fit the {spec.bits}-bit unsigned raw port "
            f"(0..{spec.max_value})"
        )
    return raw.astype(np.int64)


# ------------------------------------------------------------------------------------ labels
class VectorLabels:
    """Where vector i of a run came from, for the mismatch report: "test set #12", "random #3", or for
    the binary corner vectors the corner itself ("corner: one-hot bit 7")."""

    def __init__(self, stimulus: list[StimulusPart], bits: np.ndarray, binary_corners: bool):
        self.stimulus, self.bits, self.binary_corners = stimulus, bits, binary_corners
        self.starts = np.cumsum([0] + [part.count for part in stimulus])

    def __call__(self, i: int) -> str:
        k = int(np.searchsorted(self.starts, i, side="right")) - 1
        if k < 0 or k >= len(self.stimulus):
            return ""
        kind = self.stimulus[k].kind
        if kind == "corners" and self.binary_corners:
            return f"corner: {describe_corner(self.bits[i])}"
        return f"{kind.replace('_', ' ')} #{i - int(self.starts[k])}"
