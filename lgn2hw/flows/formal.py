"""``lgn2hw verify --formal``: prove a compiled directory's RTL equivalent to its unoptimized netlist's RTL."""

from __future__ import annotations

import os

from ..backend.verilog import emit_verilog
from ..backend.verilog.primitives import primitive_models
from ..check.formal import DEFAULT_TIMEOUT_S, FormalResult, prove_equivalent
from ..fsutil import atomic_file, record_outputs
from ..ir.build_dir import FORMAL_FILE, NETLIST_FILE, BuildDir


def prove_build(
    outdir: str | os.PathLike, timeout_s: float = DEFAULT_TIMEOUT_S, work_dir: str | os.PathLike | None = None
) -> FormalResult:
    """Prove a compiled directory's RTL equivalent to the RTL of its unoptimized (-O0) netlist.

    Reads ``netlist.json``, ``raw_netlist.json`` and ``<module>.v`` from ``outdir`` (what ``lgn2hw
    compile`` writes), proves the shipped RTL file against ``emit_verilog(raw)`` and writes the result
    to ``outdir/formal.json``. A pipelined build has registers, so the combinational RTL of the same
    optimized netlist (with the build's popcount) is proved instead (the result says so); simulation
    covers the registers. A carry4 or ccu2c build is proved with Yosys's models of its vendor primitives.
    """
    build = BuildDir.open(outdir)
    raw = build.raw_netlist()
    pipelined = build.options.pipeline > 0
    module = build.module_name
    rtl_b = None if pipelined else build.rtl_path.read_text()
    family = build.options.primitive_family
    if family:  # compile --popcount carry4/ccu2c: the primitives' models join the RTL
        if pipelined:
            rtl_b = emit_verilog(build.netlist, module, popcount=build.options.popcount)[f"{module}.v"]
        rtl_b += "\n" + primitive_models(family)
    result = prove_equivalent(
        raw, build.netlist, timeout_s=timeout_s, work_dir=work_dir, labels=("raw (-O0)", "optimized"),
        rtl_b=rtl_b, module_b=None if rtl_b is None else module,
    )
    result.subject = (
        f"combinational RTL of {NETLIST_FILE} (the build is pipelined: registers are checked by simulation)"
        if pipelined else f"{module}.v as compiled"
    )
    with atomic_file(build.file(FORMAL_FILE)) as handle:
        handle.write(result.to_json())
    record_outputs(build.path, [FORMAL_FILE], "formal")
    return result
