"""The input encoder as records: one comparator per input bit, ``feature > threshold`` on raw features.

The raw-input front end of the top module (``compile --raw-inputs``) and the standalone encoder module
that synthesis counts (lgn2hw.backend.verilog.wrappers) both take their comparators from
``comparator_expr``, so the two cannot drift apart.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import EmitError
from ...ir.build_dir import RAW_PORT
from ...ir.encoder_cost import comparator_support
from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist
from .records import Port, Reg, Section, Wire

RAW_BITS = 8  # default raw feature width: uint8 pixels, as every data set here stores them
MAX_RAW_BITS = 32


def check_raw_inputs(netlist: Netlist, raw_bits) -> int:
    """The raw feature width as an int; EmitError unless the netlist has an input_encoding (the
    comparators' thresholds) and ``raw_bits`` is an integer 1..MAX_RAW_BITS."""
    if isinstance(raw_bits, bool) or not isinstance(raw_bits, (int, np.integer)) or not 1 <= raw_bits <= MAX_RAW_BITS:
        raise EmitError(f"raw feature width must be an integer 1..{MAX_RAW_BITS} bits, got {raw_bits!r}")
    if netlist.input_encoding is None:
        raise EmitError(
            "raw inputs need the netlist's input_encoding (the thresholds that turn raw features into "
            "input bits); this netlist has none: compile a model trained from raw data, or drop --raw-inputs"
        )
    return int(raw_bits)


def raw_input_width(netlist: Netlist, raw_bits: int = RAW_BITS) -> int:
    """Width of the raw-input port ``in_features``: F * raw_bits, F = the encoding's feature count."""
    check_raw_inputs(netlist, raw_bits)
    return ThresholdEncoding.from_json(netlist.input_encoding).num_features * int(raw_bits)


def comparator_expr(feature: int, threshold: float, raw_bits: int, port: str = RAW_PORT) -> tuple[str, bool]:
    """(Verilog expression of ``port[feature] > threshold`` on unsigned ``raw_bits``-bit features,
    whether it reads the feature). For integer raw values ``x > t`` equals ``x > floor(t)``; a
    threshold below 0 gives constant 1, one at or above 2**B - 1 constant 0 (as lgn2hw.ir.encoding
    does for the data's own type).

    A threshold with k trailing one bits, t = m * 2**k + (2**k - 1), compares only the top B - k bits:
    x > t exactly when x >> k > m. The expression names just those bits (``x > 127`` is ``x[7]``,
    ``x > 63`` is ``x[7:6] > 2'd0``), so no tool has to discover that the low bits do not matter:
    synth_ice40 maps a full-width ``>`` to a carry chain that keeps all B bits, and a serial input top
    would have to hold every bit of the pixel (docs/export.md). comparator_support counts those bits."""
    t, top = math.floor(threshold), (1 << raw_bits) - 1
    if t < 0:
        return "1'b1", False
    if t >= top:
        return "1'b0", False
    k = comparator_support(t, raw_bits)  # bits read: the top k of the feature
    lo, hi = feature * raw_bits + raw_bits - k, feature * raw_bits + raw_bits - 1
    rest = t >> (raw_bits - k)
    if k == 1:  # x[top] > 0
        return f"{port}[{hi}]", True
    return f"{port}[{hi}:{lo}] > {k}'d{rest}", True


def raw_front_end(netlist: Netlist, live: np.ndarray, raw_bits: int, pipelined: bool) -> tuple[Section, Port, str]:
    """Comparators of the raw-input front end: (section, the in_features port, name format of input bits).

    One ``wire x<i>`` per input bit i that reaches an output: ``in_features[f*B +: B] > B'd<t>`` with
    f, t the input_encoding's feature and threshold of bit i (B = raw_bits, unsigned; comparator_expr).
    Pipelined builds register every comparator (``x<i>_q``), a stage of its own, and the gate core
    reads the registers.
    """
    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    features, thresholds = encoding.feature.tolist(), encoding.threshold.tolist()
    num_features = encoding.num_features
    bits = np.flatnonzero(live[: netlist.num_inputs]).tolist()
    read = np.zeros(num_features, dtype=bool)
    section = Section(
        f"raw-input front end: {len(bits)} comparators, input bit i = feature f_i > threshold t_i "
        f"(unsigned {raw_bits}-bit features)"
    )
    for i in bits:
        expr, reads = comparator_expr(features[i], thresholds[i], raw_bits)
        read[features[i]] |= reads
        section.wires.append(Wire(f"x{i}", 1, expr))
    if pipelined:
        section.regs = [Reg(f"x{i}_q", 1, f"x{i}") for i in bits]
        section.regs_title = "pipeline register 1: comparator outputs (the front end's own stage)"
    unread = int(num_features - read.sum())
    port = Port(
        "input",
        RAW_PORT,
        num_features * raw_bits,
        f"raw feature f (unsigned) at in_features[f*{raw_bits} +: {raw_bits}]"
        + (f"; {unread} of {num_features} features reach no output" if unread else ""),
        "UNUSEDSIGNAL" if unread else None,
    )
    return section, port, ("x{}_q" if pipelined else "x{}")
