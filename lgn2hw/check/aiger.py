"""Checks of an AIGER export (``lgn2hw export --target aiger --check``), run before the folder is written.

1. Simulation: the AIG is read back from its bytes (lgn2hw.ir.aiger) and simulated on random vectors
   (random raw features for a raw-input build); every score bit and class_id bit must equal
   lgn2hw.ir.simulate's.
2. Formal: Yosys proves the AIG equal to the Verilog top for every input. The reference is the compiled
   directory's own RTL for a combinational build, and the combinational Verilog of the same netlist
   (emit_verilog, pipeline 0) for a pipelined one. A wrapper gives the top one 1-bit port per AIG symbol
   (Verilog escaped names ``\\in_bits[3] ``; Yosys 0.23's read_aiger keeps the symbols as 1-bit ports),
   then ``miter -equiv -flatten`` (ports paired by name), the miter mapped to an AIG and written out, and
   ABC's ``&cec -m`` (SAT sweeping) proves its one output constant 0. Suited to small and medium networks
   (the popcounts of the two sides are built differently, which SAT finds hard as they grow): past the
   time limit the check fails as "not proven", never as a pass.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backend.aiger import AigerExport
from ..backend.verilog import emit_verilog
from ..errors import ToolError, VerificationError
from ..ir.aiger import read_aiger
from ..ir.encoding import ThresholdEncoding
from ..ir.simulate import expected_outputs
from ..toolchain.process import Deadline, ToolTimeout
from ..toolchain.yosys import find_yosys

DEFAULT_VECTORS = 4096
DEFAULT_SECONDS = 300.0
GOLD, GATE, MITER = "lgn2hw_aiger_gold", "lgn2hw_aiger_gate", "lgn2hw_aiger_miter"
# Yosys pairs the ports by name and writes the single-output miter (trigger = any output differs) as an
# AIG; ABC's &cec -m (SAT sweeping) proves it constant 0, as lgn2hw.check.formal's engines do.
MITER_SCRIPT = "\n".join([
    "read_verilog top.v gold.v", f"hierarchy -check -top {GOLD}", "proc",
    f"read_aiger -module_name {GATE} model.aig",
    f"miter -equiv -flatten {GOLD} {GATE} {MITER}", f"hierarchy -top {MITER}", "flatten", "opt -fast",
    "techmap", "opt -fast", "aigmap", "opt_clean", "write_aiger miter.aig", ""])


@dataclass(frozen=True)
class AigerCheck:
    vectors: int
    reference: str  # the Verilog the AIG was proven equal to
    tool: str
    seconds: float  # the proof's

    def summary(self) -> str:
        return (f"check: {self.vectors:,} random vectors bit-exact with the simulator; proven equivalent to "
                f"{self.reference} ({self.tool}, {self.seconds:.1f} s)")


def simulate_aiger(export: AigerExport, vectors: int = DEFAULT_VECTORS, seed: int = 0) -> int:
    """Compare the AIG with the netlist simulator on ``vectors`` random inputs; VerificationError on
    the first differing output bit. Returns the number of vectors."""
    model, netlist = export.model, export.build.netlist
    aig = read_aiger(export.data)
    rng = np.random.default_rng(seed)
    if model.raw_bits:
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
        features = rng.integers(0, 1 << model.raw_bits, size=(vectors, encoding.num_features), dtype=np.int64)
        bits = encoding.encode(features)
        inputs = ((features[:, :, None] >> np.arange(model.raw_bits)) & 1).reshape(vectors, -1)
    else:
        bits = inputs = rng.integers(0, 2, size=(vectors, netlist.num_inputs), dtype=np.uint8)
    scores, classes = expected_outputs(netlist, bits)
    want = [((scores[:, c : c + 1] >> np.arange(model.score_width)) & 1) for c in range(model.num_classes)]
    if export.outputs == "all":
        want.append((classes[:, None] >> np.arange(model.id_width)) & 1)
    want = np.concatenate(want, axis=1)
    got = aig.simulate(inputs)
    bad = np.argwhere(got != want)
    if bad.size:
        v, o = bad[0].tolist()
        raise VerificationError(f"AIG output {model.output_names[o]} is {int(got[v, o])} on random vector {v} "
                                f"(seed {seed}), the simulator gives {int(want[v, o])}")
    return vectors


def reference_wrapper(export: AigerExport) -> str:
    """Verilog module GOLD: the compiled top with one 1-bit port per AIG symbol, clocks tied off."""
    model, build = export.model, export.build
    port = "in_features" if model.raw_bits else "in_bits"
    ins, outs = model.input_names, model.output_names
    c, w, k = model.num_classes, model.score_width, model.id_width
    esc = [f"\\{name} " for name in (*ins, *outs)]
    lines = [f"module {GOLD} (" + ", ".join(esc) + ");"]
    lines += [f"  input {e};" for e in esc[: len(ins)]] + [f"  output {e};" for e in esc[len(ins):]]
    lines += [f"  wire [{len(ins) - 1}:0] x;", f"  wire [{c * w - 1}:0] s;", f"  wire [{k - 1}:0] id;", "  wire v;"]
    lines += [f"  assign x[{i}] = {e};" for i, e in enumerate(esc[: len(ins)])]
    lines.append(f"  {build.module_name} dut (.clk(1'b0), .rst(1'b0), .in_valid(1'b1), .{port}(x), .out_valid(v), "
                 ".scores(s), .class_id(id));")
    for e, name in zip(esc[len(ins):], outs):
        bit = name[name.index("[") + 1 : -1]
        lines.append(f"  assign {e} = {'s' if name.startswith('scores') else 'id'}[{bit}];")
    return "\n".join(lines + ["endmodule", ""])


def prove_aiger(export: AigerExport, seconds: float | None = DEFAULT_SECONDS) -> tuple[str, str, float]:
    """Prove the AIG equal to the Verilog; returns (reference, tool, seconds). VerificationError when
    they differ, ToolError when Yosys is missing, fails or runs past ``seconds``."""
    yosys = find_yosys("the AIGER equivalence check", need_abc=True)
    build = export.build
    raw = build.options.raw_inputs
    if build.options.pipeline == 0 and build.rtl_path.is_file():
        rtl, reference = build.rtl_path.read_text(), f"{build.rtl_path.name} of the compiled directory"
    else:
        rtl = emit_verilog(build.netlist, build.module_name, raw_inputs=raw is not None,
                           **({"raw_bits": raw.bits} if raw else {}))[f"{build.module_name}.v"]
        reference = f"the combinational Verilog of {build.module_name} (pipeline 0)"
    deadline = Deadline.after(seconds)
    with tempfile.TemporaryDirectory(prefix="lgn2hw-aiger-") as work:
        for name, text in (("top.v", rtl), ("gold.v", reference_wrapper(export)), ("miter.ys", MITER_SCRIPT)):
            (Path(work) / name).write_text(text)
        (Path(work) / "model.aig").write_bytes(export.data)
        t0 = time.monotonic()
        try:
            run = yosys.run_script("miter.ys", cwd=work, deadline=deadline, what="yosys (AIGER check miter)")
            if run.returncode:
                lines = [ln for ln in run.output.splitlines() if ln.strip()]
                raise ToolError(f"AIGER check: Yosys failed: {lines[-1] if lines else f'exit status {run.returncode}'}")
            run = yosys.run_abc("read_aiger miter.aig; &get; &cec -m", cwd=work, deadline=deadline,
                                what="yosys-abc (AIGER check)")
        except ToolTimeout:
            raise ToolError(f"AIGER check: not proven within {seconds:g} s (the proof suits small networks); "
                            "export without --check, or raise --check-seconds") from None
        elapsed = time.monotonic() - t0
    if "Networks are NOT EQUIVALENT" in run.output:
        raise VerificationError(f"AIGER check: the AIG is NOT equivalent to {reference} (ABC &cec found a difference)")
    if run.returncode or "Networks are equivalent" not in run.output:
        lines = [ln for ln in run.output.splitlines() if ln.strip()]
        raise ToolError(f"AIGER check: not proven: ABC &cec: {lines[-1] if lines else f'exit status {run.returncode}'}")
    return reference, f"{yosys.version} miter + ABC &cec", elapsed


def check_aiger(export: AigerExport, vectors: int = DEFAULT_VECTORS, seconds: float | None = DEFAULT_SECONDS) -> AigerCheck:
    """Simulation, then the proof."""
    count = simulate_aiger(export, vectors)
    reference, tool, elapsed = prove_aiger(export, seconds)
    return AigerCheck(count, reference, tool, elapsed)
