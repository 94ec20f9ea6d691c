"""Verilog back end: a netlist becomes a synthesizable Verilog-2005 top module (docs/verilog-interface.md).

Lower, then print: lower.py turns the netlist into records (records.py) — the gate core cut into
register stages (stages.py), the popcount head and argmax (heads.py), the raw-input comparators
(encoder.py) — and print.py renders them through the Jinja templates in templates/. Every other
Verilog the tool writes (gate core alone, scores-only and encoder views for synthesis, registered-IO
and serial tops for vendor tools, proof miters) is built from the same records in wrappers.py and
miters.py. Gate expressions come from the gate table (lgn2hw.ir.gates), never from here. The output
is deterministic: the same netlist, module name and header give byte-identical text, no timestamps.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import EmitError
from ...ir.netlist import Netlist
from .encoder import MAX_RAW_BITS, RAW_BITS, check_raw_inputs, raw_input_width
from .heads import POPCOUNT_KINDS, bits_for, class_id_width, score_width
from .lower import lower_top
from .names import VERILOG_KEYWORDS, check_module_name
from .print import print_top, write_files
from .stages import check_pipeline, core_stages, pipeline_latency

__all__ = [
    "MAX_RAW_BITS", "POPCOUNT_KINDS", "RAW_BITS", "VERILOG_KEYWORDS", "bits_for", "check_module_name", "check_pipeline",
    "check_raw_inputs", "class_id_width", "core_stages", "emit_verilog", "pipeline_latency", "raw_input_width",
    "score_width", "write_rtl",
]


def emit_verilog(
    netlist: Netlist,
    module_name: str = "lgn_top",
    header: dict | None = None,
    pipeline: int = 0,
    *,
    raw_inputs: bool = False,
    raw_bits: int = RAW_BITS,
    popcount: str = "compressor",
) -> dict[str, str]:
    """Render ``netlist`` as Verilog-2005: returns {file name: text}, e.g. {"lgn_top.v": "..."}.

    ``header`` holds provenance (checkpoint hash, options, ...) written as comments at the top; keys are
    sorted so that the text depends only on the contents. Raises EmitError for a bad module name.
    ``pipeline`` = 0 gives the combinational module; N > 0 puts registers after every N logic levels of
    the gate core, after the popcount and after the argmax (latency: pipeline_latency()).
    ``raw_inputs``: the module takes raw unsigned features of ``raw_bits`` bits (port ``in_features``)
    and compares them with the input_encoding's thresholds itself (EmitError without an encoding).
    ``popcount``: "compressor" (counter tree, fewest LUT6; the default), "lut4" (full-adder tree, fewest
    LUT4 on ECP5), "adder" (the earlier
    4-input adder tree, kept for comparison in benchmarks/head_luts.py), "carry4" (counters on the
    Xilinx 7-series carry chain, LUT6_2 + CARRY4 primitives: fewest LUTs on Xilinx, carry_head.py) or
    "ccu2c" (adders and counters on the ECP5 carry chain, CCU2C primitives: fewest LUT4 sites on ECP5,
    ccu2c_head.py); simulating those two needs the primitives' models (primitives.py).
    """
    check_module_name(module_name)
    pipeline = check_pipeline(pipeline)
    if popcount not in POPCOUNT_KINDS:
        raise EmitError(f"popcount must be one of {', '.join(POPCOUNT_KINDS)}, got {popcount!r}")
    netlist.validate()
    raw = check_raw_inputs(netlist, raw_bits) if raw_inputs else 0
    module = lower_top(netlist, module_name, header or {}, pipeline, raw, popcount)
    return {f"{module_name}.v": print_top(module)}


def write_rtl(
    netlist: Netlist,
    outdir: str | os.PathLike,
    module_name: str = "lgn_top",
    header: dict | None = None,
    pipeline: int = 0,
    **options,
) -> list[Path]:
    """Emit the RTL and write each file atomically into ``outdir``; returns the written paths, sorted.

    ``options`` go to emit_verilog (raw_inputs, raw_bits, popcount)."""
    files = emit_verilog(netlist, module_name=module_name, header=header, pipeline=pipeline, **options)
    return write_files(files, outdir)
