"""Raw features -> input bits: the ``input_encoding`` contract of netlist.json.

A ``ThresholdEncoding`` is two arrays of equal length, one entry per input bit::

    bit[i] = raw[feature[i]] > threshold[i]

with ``raw`` a sample in the data set's native units (uint8 pixels for every data set here,
flattened in C, H, W order). Its JSON form is exactly the netlist contract::

    {"kind": "threshold", "feature": [f_0, f_1, ...], "threshold": [t_0, t_1, ...]}

``thermometer(F, T, max_value)`` is the standard encoding (difflogic's): T thresholds per feature,

    threshold_j = floor((j + 1) * max_value / (T + 1))     for j = 0 .. T-1   (integer max_value)

so bit j of a pixel x is ``x / max_value > (j + 1) / (T + 1)``: exactly difflogic's rule on
x / 255 in [0, 1], stored as an integer threshold (for integer x, ``x > r`` is ``x > floor(r)``).
With max_value 255: T = 1 gives 127 (pixel > 127, i.e. > 0.5 of the range: MNIST's binarisation);
T = 3 gives 63, 127, 191; T = 31 gives 7, 15, ..., 247 (8(j+1) - 1). A non-integer max_value (e.g.
1.0 for data already in [0, 1]) gives the real-valued thresholds (j + 1) * max_value / (T + 1).

Bit layout is threshold-major: bit ``j * F + f`` is feature f against threshold j. So the first F
bits are the coarsest level of every feature, and T = 1 gives bit f = pixel f. For CIFAR-10
(F = 3072 = 3 x 32 x 32, C,H,W), bit j*3072 + c*1024 + y*32 + x is channel c at (y, x) against
threshold j: "T thresholds per channel".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, DataError

KIND = "threshold"
# Rows per encode step: keeps the working set in cache and the temporaries small.
_CHUNK_BITS = 1 << 23


@dataclass(eq=False)
class ThresholdEncoding:
    """One input bit per entry: ``bit[i] = raw[:, feature[i]] > threshold[i]``."""

    feature: np.ndarray
    threshold: np.ndarray

    def __post_init__(self) -> None:
        feature = np.asarray(self.feature)
        threshold = np.asarray(self.threshold)
        if feature.ndim != 1 or threshold.ndim != 1 or feature.shape != threshold.shape:
            raise DataError(
                f"feature and threshold must be 1-D arrays of equal length, got shapes {feature.shape} and {threshold.shape}"
            )
        if feature.shape[0] == 0:
            raise DataError("an encoding needs at least one input bit")
        if feature.dtype == bool or not np.issubdtype(feature.dtype, np.integer):
            raise DataError(f"feature indices must be integers, got dtype {feature.dtype}")
        if int(feature.min()) < 0:
            raise DataError(f"feature indices must be >= 0, got {int(feature.min())}")
        if threshold.dtype == bool or not (
            np.issubdtype(threshold.dtype, np.integer) or np.issubdtype(threshold.dtype, np.floating)
        ):
            raise DataError(f"thresholds must be numbers, got dtype {threshold.dtype}")
        if np.issubdtype(threshold.dtype, np.floating):
            if not np.isfinite(threshold).all():
                raise DataError("thresholds must be finite numbers")
            threshold = threshold.astype(np.float64)
        else:
            if threshold.dtype == np.uint64 and int(threshold.max()) > np.iinfo(np.int64).max:
                raise DataError("integer thresholds must fit in 64-bit signed integers")
            threshold = threshold.astype(np.int64)
        if feature.dtype == np.uint64 and int(feature.max()) > np.iinfo(np.int64).max:
            raise DataError("feature indices must fit in 64-bit signed integers")
        self.feature = np.ascontiguousarray(feature, dtype=np.int64)
        self.threshold = np.ascontiguousarray(threshold)
        self._block: int | None = None  # cached by _block_size()

    # ------------------------------------------------------------ building
    @classmethod
    def thermometer(cls, num_features: int, num_thresholds: int, max_value: int | float = 255) -> ThresholdEncoding:
        """T thresholds per feature, threshold-major (bit j*F + f); thresholds as in the module doc."""
        for name, value in (("num_features", num_features), ("num_thresholds", num_thresholds)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(max_value, bool) or not isinstance(max_value, (int, float, np.integer, np.floating)) or not (
            math.isfinite(max_value) and max_value > 0
        ):
            raise ConfigError(f"max_value must be a positive number, got {max_value!r}")
        f, t = int(num_features), int(num_thresholds)
        levels = np.arange(1, t + 1, dtype=np.int64)
        if isinstance(max_value, (int, np.integer)):
            if t > int(max_value):
                raise ConfigError(
                    f"{t} thresholds over integer values 0..{int(max_value)} would repeat thresholds; use at most {int(max_value)}"
                )
            per_level = levels * int(max_value) // (t + 1)
        else:
            per_level = levels * float(max_value) / (t + 1)
        return cls.from_levels(f, per_level)

    @classmethod
    def from_levels(cls, num_features: int, per_level) -> ThresholdEncoding:
        """Every feature against the same thresholds ``per_level``, threshold-major (bit j*F + f is
        feature f against per_level[j]): the thermometer layout for any choice of thresholds."""
        per_level = np.asarray(per_level)
        if per_level.ndim != 1 or per_level.shape[0] == 0:
            raise ConfigError(f"per-level thresholds must be a non-empty list, got shape {per_level.shape}")
        feature = np.tile(np.arange(int(num_features), dtype=np.int64), per_level.shape[0])
        return cls(feature, np.repeat(per_level, int(num_features)))

    # ---------------------------------------------------------------- shape
    @property
    def num_bits(self) -> int:
        return int(self.feature.shape[0])

    @property
    def num_features(self) -> int:
        """The fewest raw features a sample must have (largest feature index + 1)."""
        return int(self.feature.max()) + 1

    def __len__(self) -> int:
        return self.num_bits

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ThresholdEncoding):
            return NotImplemented
        return np.array_equal(self.feature, other.feature) and np.array_equal(self.threshold, other.threshold)

    def __repr__(self) -> str:
        return f"ThresholdEncoding(num_bits={self.num_bits}, num_features={self.num_features})"

    # ------------------------------------------------------------- encoding
    def encode(self, raw: np.ndarray) -> np.ndarray:
        """Bits (n, num_bits) uint8 of raw samples (n, F) (or (n, C, H, W), flattened; or one sample (F,))."""
        raw = np.asarray(raw)
        single = raw.ndim == 1
        if single:
            raw = raw[None, :]
        elif raw.ndim > 2:
            raw = raw.reshape(raw.shape[0], -1)
        if raw.ndim != 2:
            raise DataError(f"raw data must be (samples, features), got shape {raw.shape}")
        if raw.dtype == bool:
            raw = raw.view(np.uint8)
        if not (np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)):
            raise DataError(f"raw data must be numeric, got dtype {raw.dtype}")
        if raw.shape[1] < self.num_features:
            raise DataError(
                f"raw data has {raw.shape[1]} features per sample, the encoding reads feature {self.num_features - 1}"
            )
        thresholds, always_on = self._thresholds_for(raw.dtype)
        n, bits = raw.shape[0], self.num_bits
        out = np.empty((n, bits), dtype=bool)
        block = self._block_size()
        step = max(1, _CHUNK_BITS // bits)
        for lo in range(0, n, step):
            chunk = raw[lo : lo + step]
            dest = out[lo : lo + step]
            if block:
                used = chunk[:, :block]
                for j in range(0, bits, block):
                    np.greater(used, thresholds[j : j + block], out=dest[:, j : j + block])
            else:
                np.greater(np.take(chunk, self.feature, axis=1), thresholds, out=dest)
        if always_on is not None:
            out[:, always_on] = True
        bits_u8 = out.view(np.uint8)
        return bits_u8[0] if single else bits_u8

    def _block_size(self) -> int:
        """F when the layout is threshold-major (feature = tile(arange(F), T)), else 0; cached."""
        if self._block is None:
            width = self.num_features
            ok = self.num_bits % width == 0 and np.array_equal(
                self.feature.reshape(-1, width), np.broadcast_to(np.arange(width), (self.num_bits // width, width))
            )
            self._block = width if ok else 0
        return self._block

    def _thresholds_for(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None]:
        """Thresholds in ``dtype`` giving the same comparisons, plus the bits that are always 1.

        For integer data ``x > t`` equals ``x > floor(t)``; thresholds below the type's range are
        always exceeded (returned separately), those above it never (clipping to the max does that).
        Comparing in the data's own small type avoids widening every sample to int64 / float64.
        """
        if not np.issubdtype(dtype, np.integer) or np.dtype(dtype).itemsize >= 8:
            return self.threshold, None  # numpy compares mixed 64-bit / float operands by value
        info = np.iinfo(dtype)
        t = np.floor(self.threshold) if self.threshold.dtype.kind == "f" else self.threshold
        below = t < info.min
        clipped = np.clip(t, info.min, info.max).astype(dtype)
        return clipped, (np.flatnonzero(below) if below.any() else None)

    # ----------------------------------------------------------------- JSON
    def to_json(self) -> dict:
        """The netlist ``input_encoding`` dict, plain Python ints (floats only where not integral)."""
        if self.threshold.dtype.kind == "f":
            thresholds = [int(t) if t.is_integer() else t for t in self.threshold.tolist()]
        else:
            thresholds = self.threshold.tolist()
        return {"kind": KIND, "feature": self.feature.tolist(), "threshold": thresholds}

    @classmethod
    def from_json(cls, doc: dict, num_inputs: int | None = None) -> ThresholdEncoding:
        """Parse an ``input_encoding`` dict; DataError on anything off-contract.

        ``num_inputs`` (the netlist's) must equal the number of bits when given.
        """
        if not isinstance(doc, dict):
            raise DataError(f"input_encoding must be a JSON object, got {type(doc).__name__}")
        if doc.get("kind") != KIND:
            raise DataError(f'input_encoding kind must be "{KIND}", got {doc.get("kind")!r}')
        features, thresholds = doc.get("feature"), doc.get("threshold")
        if not isinstance(features, list) or not isinstance(thresholds, list):
            raise DataError("input_encoding.feature and input_encoding.threshold must be lists")
        if len(features) != len(thresholds):
            raise DataError(
                f"input_encoding has {len(features)} features but {len(thresholds)} thresholds; they must pair up"
            )
        for i, f in enumerate(features):
            if isinstance(f, bool) or not isinstance(f, int) or f < 0:
                raise DataError(f"input_encoding.feature[{i}] = {f!r} is not a non-negative integer")
        for i, t in enumerate(thresholds):
            if isinstance(t, bool) or not isinstance(t, (int, float)) or (isinstance(t, float) and not math.isfinite(t)):
                raise DataError(f"input_encoding.threshold[{i}] = {t!r} is not a finite number")
        if num_inputs is not None and len(features) != num_inputs:
            raise DataError(f"input_encoding has {len(features)} bits, the netlist has num_inputs={num_inputs}")
        if any(isinstance(t, float) for t in thresholds):
            threshold = np.asarray(thresholds, dtype=np.float64)
        else:
            try:
                threshold = np.asarray(thresholds, dtype=np.int64)
            except OverflowError:
                raise DataError("input_encoding.threshold holds an integer beyond 64 bits") from None
        try:
            feature = np.asarray(features, dtype=np.int64)
        except OverflowError:
            raise DataError("input_encoding.feature holds an index beyond 64 bits") from None
        return cls(feature, threshold)


def thermometer(num_features: int, num_thresholds: int, max_value: int | float = 255) -> ThresholdEncoding:
    """Shorthand for ``ThresholdEncoding.thermometer``."""
    return ThresholdEncoding.thermometer(num_features, num_thresholds, max_value)
