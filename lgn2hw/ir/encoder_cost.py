"""What an input encoder costs in hardware: the comparators ``raw > t`` of a ThresholdEncoding.

A comparator of an unsigned B-bit feature x against an integer constant t (``x > t``) is computed
from the least significant bit up: ``gt = 0``, then for bit i ``gt = x[i] | gt`` where t's bit i is
0 and ``gt = x[i] & gt`` where it is 1. The trailing one bits of t meet ``gt = 0`` and drop out (an
AND with 0), so the comparator depends on exactly the B - k bits above t's k trailing ones:

    support(t) = B - trailing_ones(t)     (0 <= t < 2**B - 1; other t give a constant)
    gates(t)   = support - 1              two-input gates, a chain (the first bit is a wire)
    lut6(t)    = ceil((support - 1) / 5)  a chain of LUT6, each taking the previous result and 5 bits

Both counts are exact minima for one comparator (a circuit of two-input gates or LUT6 that reads n
signals needs at least n - 1 gates, or ceil((n - 1) / 5) LUT6; tests/test_encoder_cost.py checks the
support by brute force and the chain by simulation). So ``x > 127`` is the wire x[7], ``x > 63`` is
x[7] | x[6], ``x > 191`` is x[7] & x[6], and any t with t + 1 = m * 2**k costs B - k - 1 gates, one
LUT6 when B - k <= 6; an arbitrary 8-bit threshold costs 7 gates and 2 LUT6.

``encoder_cost`` sums them over an encoding's input bits (only the live ones when given). Against
Yosys 0.23 ``synth -lut 6`` of the plain ``x > t`` Verilog: exact for comparators of <= 6 bits (all
cheap thresholds for T <= 63); wider ones get 2 or 3 LUT6 from ABC where 2 suffice (549 vs 446 over
all 255 thresholds), so for those it is the reachable minimum, not Yosys's count. Synthesis may also
share logic between the thresholds of one feature (docs/architectures.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .encoding import ThresholdEncoding

RAW_BITS = 8  # uint8 pixels: every data set lgn2hw reads


def comparator_support(threshold: float, raw_bits: int = RAW_BITS) -> int:
    """How many bits of an unsigned ``raw_bits``-bit x the comparator ``x > threshold`` depends on."""
    t = math.floor(threshold)
    if t < 0 or t >= (1 << raw_bits) - 1:
        return 0  # constant 1 / constant 0
    trailing_ones = ((t ^ (t + 1)).bit_length() - 1)
    return raw_bits - trailing_ones


def comparator_gates(threshold: float, raw_bits: int = RAW_BITS) -> int:
    """Two-input gates of ``x > threshold`` (0 for a wire or a constant)."""
    return max(0, comparator_support(threshold, raw_bits) - 1)


def comparator_lut6(threshold: float, raw_bits: int = RAW_BITS) -> int:
    """LUT6 of ``x > threshold`` alone (0 for a wire or a constant)."""
    return -(-comparator_gates(threshold, raw_bits) // 5)


@dataclass(frozen=True)
class EncoderCost:
    """Cost of an encoder's comparators, each counted alone (no sharing between them)."""

    comparators: int  # input bits counted
    wires: int  # of those, a bare feature bit or a constant: no logic
    gates: int  # two-input gates
    lut6: int  # LUT6 estimate

    def to_json(self) -> dict:
        return {"comparators": self.comparators, "wires": self.wires, "gates": self.gates, "lut6": self.lut6}


def encoder_cost(encoding: ThresholdEncoding | dict, raw_bits: int = RAW_BITS, live=None) -> EncoderCost:
    """Gates and LUT6 of the comparators of ``encoding`` (a ThresholdEncoding or its JSON form).

    ``live``: a boolean mask (or 0/1 array) over the input bits; only bits set in it are counted
    (pass the inputs a compiled netlist still reads: the others need no comparator).
    """
    if isinstance(encoding, dict):
        encoding = ThresholdEncoding.from_json(encoding)
    thresholds = encoding.threshold
    if live is not None:
        live = np.asarray(live).astype(bool)
        if live.shape != thresholds.shape:
            raise ValueError(f"live mask has {live.shape[0] if live.ndim else 0} entries, the encoding {thresholds.shape[0]} bits")
        thresholds = thresholds[live]
    # Thresholds repeat (every feature against the same levels): count each distinct value once.
    values, counts = np.unique(np.floor(thresholds.astype(np.float64)), return_counts=True)
    gates = lut6 = wires = 0
    for t, n in zip(values.tolist(), counts.tolist()):
        g = comparator_gates(t, raw_bits)
        gates += g * n
        lut6 += comparator_lut6(t, raw_bits) * n
        wires += n if g == 0 else 0
    return EncoderCost(int(thresholds.shape[0]), wires, gates, lut6)
