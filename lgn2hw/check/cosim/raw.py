"""Raw-input builds (`lgn2hw compile --raw-inputs`): stimulus and verification of RTL that takes raw features.

The emitter (lgn2hw.backend.verilog, ``raw_inputs=True``) puts the input_encoding's comparators in front
of the gate core, so the top module reads unsigned ``raw_bits``-bit features on ``in_features``
(feature f at ``in_features[f*B +: B]``) instead of encoded bits. Verifying such a module drives raw
features and takes the expected values from the Python reference: the raw samples are encoded with
lgn2hw.ir.encoding and then simulated (lgn2hw.ir.simulate), exactly as a model sees its data.

Stimulus (``raw_stimulus``): the data set's raw test samples when the model names one, uniformly random
raw vectors, and *corner* vectors in which every feature sits on one of its thresholds t or t +/- 1
(and on 0 and the largest value): deterministic ones that put every feature on every one of its corner
values at least once, plus as many random picks among the corner values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import DataError
from ...ir.netlist import Netlist
from .verify import StimulusPart, random_vector_count

METADATA_KEY = "raw_inputs"  # netlist.json metadata: {"bits": B, "features": F, "port": "in_features"}
PORT = "in_features"


@dataclass(frozen=True)
class RawSpec:
    """The raw port of a raw-input build: ``features`` unsigned values of ``bits`` bits each."""

    bits: int
    features: int

    @property
    def width(self) -> int:
        return self.bits * self.features

    @property
    def max_value(self) -> int:
        return (1 << self.bits) - 1

    def to_metadata(self) -> dict:
        return {"bits": self.bits, "features": self.features, "port": PORT}


def raw_spec(netlist: Netlist, bits: int | None = None) -> RawSpec:
    """The raw port of ``netlist``: from its metadata (a compiled raw-input build) or, with ``bits``,
    for a new build. DataError when the netlist has no input_encoding."""
    from ...ir.encoding import ThresholdEncoding

    if netlist.input_encoding is None:
        raise DataError("raw inputs need the netlist's input_encoding; this netlist has none")
    features = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).num_features
    if bits is None:
        meta = netlist.metadata.get(METADATA_KEY)
        if not isinstance(meta, dict) or not isinstance(meta.get("bits"), int):
            raise DataError(f"netlist metadata has no {METADATA_KEY!r} entry: not a raw-input build")
        bits = meta["bits"]
    return RawSpec(int(bits), features)


def is_raw_build(netlist: Netlist) -> bool:
    """True when the netlist's metadata says its RTL takes raw features (compile --raw-inputs)."""
    return isinstance(netlist.metadata.get(METADATA_KEY), dict)


def port_bits(raw: np.ndarray, spec: RawSpec) -> np.ndarray:
    """(V, F) raw values -> (V, F*B) 0/1, bit f*B + b = bit b of feature f (what ``in_features`` holds)."""
    raw = _as_raw(raw, spec)
    shifts = np.arange(spec.bits, dtype=np.uint64)
    bits = (raw.astype(np.uint64)[:, :, None] >> shifts) & np.uint64(1)
    return bits.reshape(raw.shape[0], spec.width).astype(np.uint8)


def corner_vectors(netlist: Netlist, spec: RawSpec, rng: np.random.Generator) -> np.ndarray:
    """Raw vectors with every feature on a threshold, a threshold +/- 1, 0 or the largest value.

    Feature f's corner values are t - 1, t, t + 1 for every threshold t of a bit that reads f (floored:
    integer features), clipped to 0 .. 2**B - 1, plus 0 and 2**B - 1. Vector j puts feature f on its
    corner value (j + f) mod (its count), so every feature takes every corner value at least once;
    as many vectors again pick corner values at random.
    """
    from ...ir.encoding import ThresholdEncoding

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


def raw_stimulus(
    netlist: Netlist, spec: RawSpec, vectors: int | None, random_vectors: int, seed: int, data_dir=None
) -> tuple[np.ndarray, list[StimulusPart]]:
    """Raw vectors (V, F) for verification and their blocks in order: the data set's raw test samples
    (first ``vectors``, when the netlist names a readable data set and ``vectors`` != 0), then
    ``random_vectors`` uniform random ones (1000, or ``vectors``, when there is no data set), then the
    corner vectors."""
    parts, described = [], []
    dataset = netlist.metadata.get("dataset")
    if dataset and vectors != 0:
        from ...frontend.data.datasets import load_dataset

        test_x = load_dataset(dataset, data_dir=data_dir, limit_train=1, limit_test=vectors).test_x
        raw = np.asarray(test_x).reshape(len(test_x), -1)[:vectors]
        parts.append(_as_raw(raw[:, : spec.features], spec, f"the {dataset} test set"))
        described.append(StimulusPart("test_set", raw.shape[0], f"{raw.shape[0]} raw {dataset} test samples"))
    rng = np.random.default_rng(seed)
    count = random_vector_count(random_vectors, vectors, have_test_set=bool(parts))
    if count:
        parts.append(rng.integers(0, spec.max_value, size=(count, spec.features), endpoint=True, dtype=np.int64))
        described.append(StimulusPart("random", count, f"{count} random raw vectors (seed {seed})"))
    corners = corner_vectors(netlist, spec, rng)
    parts.append(corners)
    described.append(StimulusPart("corners", corners.shape[0], f"{corners.shape[0]} threshold corner vectors"))
    return np.concatenate([p.astype(np.int64) for p in parts]), described


def encode(netlist: Netlist, raw: np.ndarray) -> np.ndarray:
    """The Python reference's input bits for raw vectors: the netlist's own input_encoding."""
    from ...ir.encoding import ThresholdEncoding

    return ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).encode(raw)


def verify_raw_rtl(netlist: Netlist, rtl_files, raw: np.ndarray, *, work_dir, spec: RawSpec | None = None, **kw):
    """verify_rtl for a raw-input build: drives ``raw`` (V, F) on ``in_features``; expected values from
    encode() + the netlist simulator. The latency comes from the metadata's pipeline depth (+1 for the
    comparator stage) unless ``latency=`` is given."""
    from ...backend.verilog import pipeline_latency
    from .verify import verify_rtl

    spec = spec or raw_spec(netlist)
    raw = _as_raw(raw, spec)
    if "latency" not in kw or kw["latency"] is None:
        kw["latency"] = pipeline_latency(netlist, netlist.metadata.get("pipeline", 0), raw_inputs=True)
    return verify_rtl(
        netlist, rtl_files, encode(netlist, raw), work_dir=work_dir, input_port=PORT, port_bits=port_bits(raw, spec), **kw
    )


def _as_raw(raw: np.ndarray, spec: RawSpec, what: str = "raw vectors") -> np.ndarray:
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
