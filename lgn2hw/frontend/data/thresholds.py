"""Choosing the thermometer thresholds of an encoding: evenly spread, or evenly spread and cheap.

``uniform`` is difflogic's thermometer (lgn2hw.ir.encoding): threshold j of T is
floor((j + 1) * 255 / (T + 1)). ``cheap`` keeps the spread but only uses thresholds whose comparator
is a few gates (lgn2hw.ir.encoder_cost): t = m * 2**k - 1, which depends on the top B - k bits of a
B-bit feature only. For T thresholds it takes the largest k whose grid m * 2**k - 1 (m = 1 ..
2**(B-k) - 1) still has T values,

    k   = B - ceil(log2(T + 1))
    t_j = m_j * 2**k - 1,   m_j = round((j + 1) * 2**B / (T + 1) / 2**k)   (halves round up)

so each comparator reads ceil(log2(T + 1)) bits: B - k - 1 gates, one LUT6 for T <= 63 (B = 8). The
grid is at least as fine as the spacing 2**B / (T + 1) of the targets, so the m_j are distinct. For
T = 1, 3, 7, 15, 31 (T + 1 a power of two) both kinds give the same thresholds; they differ for other
T, e.g. T = 5: uniform 42, 85, 127, 170, 212 (6-7 gates and 2 LUT6 each, except the wire 127) and cheap
31, 95, 127, 159, 223 (2 gates, 1 LUT6 each, 127 a wire).
"""

from __future__ import annotations

from ...errors import ConfigError
from ...ir.encoding import ThresholdEncoding

THRESHOLD_KINDS = ("uniform", "cheap")
RAW_BITS = 8


def cheap_levels(num_thresholds: int, raw_bits: int = RAW_BITS) -> list[int]:
    """The ``cheap`` thresholds for T = ``num_thresholds`` levels of an unsigned ``raw_bits``-bit feature."""
    t = num_thresholds
    if t < 1 or t > (1 << raw_bits) - 1:
        raise ConfigError(f"thresholds must be 1..{(1 << raw_bits) - 1} for {raw_bits}-bit features, got {t}")
    read = t.bit_length()  # = ceil(log2(T + 1)): the bits each comparator reads
    k = raw_bits - read
    # round((j + 1) * 2**read / (T + 1)), halves up, in integers
    return [((2 * (j + 1) << read) + t + 1) // (2 * (t + 1)) * (1 << k) - 1 for j in range(t)]


def threshold_encoding(num_features: int, num_thresholds: int, kind: str = "uniform") -> ThresholdEncoding:
    """T thresholds per feature of uint8 data, threshold-major, of the given kind (THRESHOLD_KINDS)."""
    if kind not in THRESHOLD_KINDS:
        raise ConfigError(f"unknown threshold kind {kind!r} (choose from {', '.join(THRESHOLD_KINDS)})")
    if num_thresholds < 1:
        raise ConfigError(f"thresholds must be >= 1, got {num_thresholds}")
    if kind == "uniform":
        return ThresholdEncoding.thermometer(num_features, num_thresholds)
    return ThresholdEncoding.from_levels(num_features, cheap_levels(num_thresholds))
