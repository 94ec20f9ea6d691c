"""Synthesis report: LUT counts, LUT depth and (iCE40) place-and-route of a compiled directory's RTL.

``synthesize(outdir)`` runs Yosys on ``OUTDIR/<module>.v`` (module name from netlist.json) with one or
more flows and writes ``OUTDIR/synth.json`` and ``OUTDIR/synth.md`` atomically (docs/synthesis.md):

- generic: ``synth -top M -lut 6``; LUTs = ``$lut`` cells (any LUT up to 6 inputs).
- xilinx: ``synth_xilinx -flatten -nowidelut -noiopad -top M``; LUTs = LUT1..LUT6 (no IO buffers, no
  MUXF7/F8); carry cells (CARRY4) are listed separately.
- ice40: ``synth_ice40 -top M``; LUTs = SB_LUT4, carries = SB_CARRY; then, when ``nextpnr-ice40`` is on
  PATH and the design fits an HX8K, place-and-route with the critical path delay.

Per-block split (BLOCKS, in data-flow order): every flow also synthesizes
- ``core``: the *gate core alone* (a module written here from netlist.json: the same live gates,
  their output bits wired straight to ports, no popcount / argmax);
- ``scores``: the full RTL with class_id left unconnected (a wrapper that exposes only the scores),
  so Yosys removes the argmax and keeps gate core + popcount;
- ``encoder`` (raw-input builds only, netlist metadata "raw_inputs"): the threshold comparators alone.
Block LUTs: core = core; popcount = scores - core (- encoder); argmax = full - scores; encoder =
encoder. ABC optimizes across block boundaries in the bigger variants, so popcount and argmax are the
marginal cost of adding that block, not an isolated synthesis of it. Block depth is cumulative: the
longest path of the variant that ends with that block (core / scores / full).
FFs: flip-flop cells of the full design (pipelined builds; 0 for the combinational RTL).

Depth: ``ltp -noff`` after synthesis = longest topological path in cells (LUTs, plus carry cells where
the flow makes them), from inputs to outputs. Every number is stored with the Yosys version and the
exact script that produced it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Lgn2hwError, ToolError
from ..fsutil import atomic_file
from ..ir.gates import GATES
from ..ir.netlist import Netlist

SYNTH_JSON = "synth.json"
SYNTH_MD = "synth.md"
DEFAULT_TIMEOUT_S = 600.0
FLOWS = ("generic", "xilinx", "ice40")
BLOCKS = ("encoder", "core", "popcount", "argmax")  # data-flow order; encoder only in raw-input builds
# iCE40 devices tried in order: (nextpnr flag, package, logic cells)
ICE40_DEVICES = (("hx8k", "ct256", 7680),)

_SYNTH = {
    "generic": "synth -top {top} -lut 6",
    "xilinx": "synth_xilinx -flatten -nowidelut -noiopad -top {top}",
    "ice40": "synth_ice40 -top {top}",
}


def _lut_count(flow: str, cells: dict) -> int:
    if flow == "generic":
        return int(cells.get("$lut", 0))
    if flow == "xilinx":
        return sum(int(cells.get(f"LUT{i}", 0)) for i in range(1, 7))
    return int(cells.get("SB_LUT4", 0))


def _ff_count(cells: dict) -> int:
    """Flip-flop cells: Yosys's internal $_DFF*/$_SDFF*/$_DFFE* (generic), FD[RSCP]E (xilinx), SB_DFF* (ice40)."""
    return sum(int(v) for k, v in cells.items() if "DFF" in k or re.fullmatch(r"FD[RSCP]E", k))


def _carry_count(flow: str, cells: dict) -> int:
    if flow == "xilinx":
        return int(cells.get("CARRY4", 0)) + int(cells.get("CARRY8", 0))
    if flow == "ice40":
        return int(cells.get("SB_CARRY", 0))
    return 0


# ------------------------------------------------------------------------------------------ results
@dataclass
class FlowResult:
    """One Yosys run: a flow on one variant (full design or gate core)."""

    flow: str
    variant: str  # "full", "scores" (no argmax), "core" (gates alone) or "encoder" (comparators alone)
    luts: int
    carries: int
    depth: int | None  # ltp -noff; None when it failed
    cells: dict
    seconds: float
    script: str
    depth_note: str = ""
    ffs: int = 0


@dataclass
class PnrResult:
    """nextpnr-ice40 outcome: placed and routed, does not fit, or tool missing."""

    status: str  # "routed", "does not fit", "missing", "failed"
    device: str = ""
    detail: str = ""
    logic_cells_used: int | None = None
    logic_cells_available: int | None = None
    io_used: int | None = None
    io_available: int | None = None
    critical_path_ns: float | None = None
    fmax_mhz: float | None = None  # 1 / critical path (the design is combinational: input pin to output pin)
    seconds: float = 0.0
    command: str = ""


@dataclass
class SynthReport:
    outdir: str
    module_name: str
    yosys_version: str
    gates: int
    runs: list[FlowResult] = field(default_factory=list)
    pnr: PnrResult | None = None
    seconds: float = 0.0

    def get(self, flow: str, variant: str = "full") -> FlowResult | None:
        for r in self.runs:
            if r.flow == flow and r.variant == variant:
                return r
        return None

    def blocks(self, flow: str) -> dict:
        """Per block of ``flow``: {"luts": marginal LUTs, "depth": depth of the variant ending with it}.
        Empty when the split was not run; encoder only for raw-input builds."""
        full, scores, core = self.get(flow, "full"), self.get(flow, "scores"), self.get(flow, "core")
        encoder = self.get(flow, "encoder")
        if full is None or scores is None or core is None:
            return {}
        enc = encoder.luts if encoder else 0
        out = {}
        if encoder is not None:
            out["encoder"] = {"luts": encoder.luts, "depth": encoder.depth}
        out["core"] = {"luts": core.luts, "depth": core.depth}
        out["popcount"] = {"luts": scores.luts - core.luts - enc, "depth": scores.depth}
        out["argmax"] = {"luts": full.luts - scores.luts, "depth": full.depth}
        return out

    def table(self) -> list[dict]:
        """One row per flow: full LUTs, FFs, carries, depth, and per-block LUTs (core/popcount/argmax,
        encoder when the RTL has one; head = everything after the core)."""
        rows = []
        for flow in FLOWS:
            full, core = self.get(flow, "full"), self.get(flow, "core")
            if full is None:
                continue
            blocks = self.blocks(flow)
            row = {
                "flow": flow, "luts": full.luts, "ffs": full.ffs, "carries": full.carries, "depth": full.depth,
                "core_luts": core.luts if core else None, "core_depth": core.depth if core else None,
                "head_luts": full.luts - core.luts - blocks.get("encoder", {}).get("luts", 0) if core else None,
                "blocks": blocks,
                "seconds": round(sum(r.seconds for r in self.runs if r.flow == flow), 2),
            }
            for name in BLOCKS:
                row[f"{name}_luts"] = blocks[name]["luts"] if name in blocks else None
            rows.append(row)
        return rows

    def summary(self) -> str:
        parts = []
        for row in self.table():
            unit = "SB_LUT4" if row["flow"] == "ice40" else "LUT6" if row["flow"] == "generic" else "LUT"
            extra = [f"{name} {row['blocks'][name]['luts']:,}" for name in BLOCKS if name in row["blocks"]]
            extra += [f"depth {row['depth']}"] if row["depth"] is not None else []
            parts.append(f"{row['flow']} {row['luts']:,} {unit}, {row['ffs']:,} FF" + (f" ({', '.join(extra)})" if extra else ""))
        text = f"synth {self.module_name} ({self.gates:,} gates, {self.yosys_version}): " + "; ".join(parts)
        if self.pnr is not None:
            p = self.pnr
            if p.status == "routed":
                text += f"; {p.device}: {p.logic_cells_used}/{p.logic_cells_available} LCs, {p.critical_path_ns:.1f} ns ({p.fmax_mhz:.0f} MHz)"
            elif p.status == "does not fit":
                why = f"{p.io_used:,} IO pins" if p.io_used else f"{p.logic_cells_used:,} LUTs > {p.logic_cells_available:,} LCs"
                text += f"; {p.device}: does not fit ({why})"
            else:
                text += f"; nextpnr-ice40: {p.status}"
        return text

    def _block_names(self) -> list[str]:
        has_encoder = any(r.variant == "encoder" for r in self.runs)
        return [b for b in BLOCKS if b != "encoder" or has_encoder]

    def to_dict(self) -> dict:
        return {
            "outdir": self.outdir, "module_name": self.module_name, "yosys_version": self.yosys_version,
            "gates": self.gates, "seconds": round(self.seconds, 3), "table": self.table(),
            "runs": [asdict(r) for r in self.runs], "pnr": asdict(self.pnr) if self.pnr else None,
            "split": ("core = the netlist's live gates alone (outputs wired to ports); popcount = scores - core "
                      "(scores: full RTL without class_id); argmax = full - scores; encoder (raw-input builds) = "
                      "the comparators alone; head = full - core - encoder; block depth = depth of the variant "
                      "ending with the block"),
        }

    def markdown(self) -> str:
        lines = [
            f"# Synthesis of `{self.module_name}` ({self.gates:,} gates)", "",
            f"{self.yosys_version}. Blocks: core = the gates alone (outputs straight to ports); popcount = "
            "(full RTL without class_id) - core; argmax = full - (full without class_id)"
            + ("; encoder = the threshold comparators alone" if any(r.variant == "encoder" for r in self.runs) else "")
            + ". Depth in cells; per block, the depth of the design up to and including that block.", "",
            "| flow | LUTs | FFs | " + " | ".join(f"{b} LUTs" for b in self._block_names()) + " | carries | depth "
            + " / ".join(self._block_names()) + " | seconds |",
            "| --- | ---: | ---: | " + " | ".join("---:" for _ in self._block_names()) + " | ---: | --- | ---: |",
        ]
        for r in self.table():
            names = self._block_names()
            luts = [str(r["blocks"][b]["luts"]) if b in r["blocks"] else "n/a" for b in names]
            depth = " / ".join(_na(r["blocks"][b]["depth"]) if b in r["blocks"] else "n/a" for b in names)
            if not r["blocks"]:
                depth = f"full {_na(r['depth'])}"
            lines.append(f"| {r['flow']} | {r['luts']} | {r['ffs']} | {' | '.join(luts)} | {r['carries']} | {depth} | {r['seconds']} |")
        if self.pnr is not None:
            p = self.pnr
            lines += ["", f"nextpnr-ice40: **{p.status}**" + (f" on {p.device}" if p.device else "")
                      + (f": {p.logic_cells_used}/{p.logic_cells_available} logic cells, {p.io_used}/{p.io_available} IO, "
                         f"critical path {p.critical_path_ns:.2f} ns ({p.fmax_mhz:.1f} MHz)" if p.status == "routed" else "")
                      + (f". {p.detail}" if p.detail else "")]
        lines += ["", "Scripts:", ""]
        for r in self.runs:
            lines.append(f"- {r.flow}/{r.variant}: `{r.script}`")
        return "\n".join(lines) + "\n"


def _na(value) -> str:
    return "n/a" if value is None else str(value)


# ---------------------------------------------------------------------------------------- public API
def require_yosys() -> str:
    """Path of ``yosys``; ToolError naming the Debian package when it is missing."""
    path = shutil.which("yosys")
    if path is None:
        raise ToolError("yosys not found on PATH: synthesis needs Yosys; install the Debian package `yosys` "
                        "(apt-get install -y yosys)")
    return path


def core_verilog(netlist: Netlist, module_name: str) -> str:
    """The gate core alone as a Verilog module: the live gates of the emitted RTL, with every
    non-constant output bit wired to a port ``out_bits`` (no popcount, no argmax)."""
    from .verilog.emit import live_signals

    n = netlist.num_inputs
    outs = []
    for s in netlist.outputs.tolist():
        if s >= n and GATES[int(netlist.ops[s - n])].is_constant:
            continue
        outs.append(s)
    live = live_signals(netlist, np.array(outs, dtype=np.int64))

    def name(s: int) -> str:
        return f"in_bits[{s}]" if s < n else f"g{s - n}"

    lines = [f"module {module_name}(input [{n - 1}:0] in_bits, output [{max(1, len(outs)) - 1}:0] out_bits);"]
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for i in np.flatnonzero(live[n:]).tolist():
        lines.append(f"  wire g{i} = {GATES[ops[i]].verilog_expr(name(a[i]), name(b[i]))};")
    for j, s in enumerate(outs):
        lines.append(f"  assign out_bits[{j}] = {name(s)};")
    if not outs:
        lines.append("  assign out_bits = 1'b0;")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def scores_verilog(netlist: Netlist, module_name: str, wrapper_name: str) -> str:
    """A wrapper around the full top module that exposes only ``scores`` (class_id and out_valid left
    unconnected): synthesized flat, it is the full design without the argmax."""
    from .verilog.emit import class_id_width, score_width

    port, width = _input_port(netlist)
    sw, iw = netlist.num_classes * score_width(netlist), class_id_width(netlist)
    return "\n".join([
        f"module {wrapper_name}(input clk, input rst, input in_valid, input [{width - 1}:0] {port}, "
        f"output [{sw - 1}:0] scores);",
        "  wire unused_valid;",
        f"  wire [{iw - 1}:0] unused_class_id;",
        f"  {module_name} u_full(.clk(clk), .rst(rst), .in_valid(in_valid), .{port}({port}), "
        ".out_valid(unused_valid), .scores(scores), .class_id(unused_class_id));",
        "endmodule",
    ]) + "\n"


def encoder_verilog(netlist: Netlist, module_name: str) -> str | None:
    """The input encoder of a raw-input build alone (bit i = feature f_i > threshold t_i, the netlist's
    input_encoding), or None when the RTL has no encoder (netlist metadata without "raw_inputs")."""
    raw = netlist.metadata.get("raw_inputs")
    if not raw or not netlist.input_encoding:
        return None
    port, width = _input_port(netlist)
    bits = int(raw["bits"])
    lines = [f"module {module_name}(input [{width - 1}:0] {port}, output [{netlist.num_inputs - 1}:0] in_bits);"]
    enc = netlist.input_encoding
    for i, (f, t) in enumerate(zip(enc["feature"], enc["threshold"])):
        t = int(np.floor(float(t)))
        if t < 0:
            expr = "1'b1"
        elif t >= (1 << bits) - 1:
            expr = "1'b0"
        else:
            expr = f"{port}[{int(f) * bits} +: {bits}] > {bits}'d{t}"
        lines.append(f"  assign in_bits[{i}] = {expr};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def _input_port(netlist: Netlist) -> tuple[str, int]:
    """(name, width) of the top module's input port: in_bits, or the raw-feature port of a raw build."""
    raw = netlist.metadata.get("raw_inputs")
    if raw:
        return str(raw.get("port", "in_features")), int(raw["bits"]) * int(raw["features"])
    return "in_bits", netlist.num_inputs


def synthesize(
    outdir: str | os.PathLike,
    flows: tuple[str, ...] | list[str] = FLOWS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    split: bool = True,
    pnr: bool = True,
) -> SynthReport:
    """Synthesize a compiled directory's RTL with each flow (and its gate core when ``split``); write
    synth.json and synth.md. Raises ToolError when Yosys is missing, fails or runs past ``timeout_s``
    (nothing is written then)."""
    t_start = time.perf_counter()
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise Lgn2hwError(f"{outdir}: no such directory (run lgn2hw compile first)")
    netlist_path = outdir / "netlist.json"
    if not netlist_path.is_file():
        raise Lgn2hwError(f"{netlist_path}: missing (not a compiled directory; run lgn2hw compile first)")
    unknown = [f for f in flows if f not in FLOWS]
    if unknown or not flows:
        raise Lgn2hwError(f"unknown synthesis flow {unknown}: choose from {', '.join(FLOWS)}")
    netlist = Netlist.load(netlist_path)
    top = netlist.metadata.get("module_name", "lgn_top")
    rtl = outdir / f"{top}.v"
    if not rtl.is_file():
        raise Lgn2hwError(f"{rtl}: RTL file missing from the compiled directory")
    yosys = require_yosys()
    deadline = time.monotonic() + timeout_s
    version = _run([yosys, "-V"], deadline, "yosys -V", cwd=None)[1].strip().split(" (")[0]
    report = SynthReport(str(outdir), top, version, netlist.num_gates)

    with tempfile.TemporaryDirectory(prefix="lgn2hw-synth-") as tmp:
        work = Path(tmp)
        shutil.copy(rtl, work / rtl.name)
        variants = [("full", [rtl.name], top)]
        if split:
            (work / "scores.v").write_text(scores_verilog(netlist, top, f"{top}_scores"))
            (work / "core.v").write_text(core_verilog(netlist, f"{top}_core"))
            variants += [("scores", [rtl.name, "scores.v"], f"{top}_scores"), ("core", ["core.v"], f"{top}_core")]
            encoder = encoder_verilog(netlist, f"{top}_encoder")
            if encoder is not None:
                (work / "encoder.v").write_text(encoder)
                variants.append(("encoder", ["encoder.v"], f"{top}_encoder"))
        ice_json = None
        for flow in flows:
            for variant, files, module in variants:
                tag = f"{flow}_{variant}"
                synth_cmd = _SYNTH[flow].format(top=module)
                if flow == "generic" and len(files) > 1:  # a wrapper around the top: synthesize it flat
                    synth_cmd = synth_cmd.replace("synth -top", "synth -flatten -top")
                script = f"read_verilog {' '.join(files)}; {synth_cmd}; tee -q -o {tag}.stat.json stat -json; tee -q -o {tag}.ltp.txt ltp -noff"
                if flow == "ice40" and variant == "full" and pnr:
                    script += f"; write_json {tag}.json"
                t0 = time.perf_counter()
                rc, out = _run([yosys, "-q", "-p", script], deadline, f"yosys {flow} ({variant})", cwd=work)
                seconds = time.perf_counter() - t0
                if rc != 0:
                    raise ToolError(f"yosys {flow} ({variant}) failed (exit {rc}): {out[-1500:].strip()}")
                stats = json.loads((work / f"{tag}.stat.json").read_text())
                cells = {k: int(v) for k, v in stats["design"]["num_cells_by_type"].items()}
                depth, note = _ltp(work / f"{tag}.ltp.txt")
                report.runs.append(FlowResult(flow, variant, _lut_count(flow, cells), _carry_count(flow, cells),
                                              depth, cells, round(seconds, 3), script, note, ffs=_ff_count(cells)))
                if flow == "ice40" and variant == "full" and pnr:
                    ice_json = work / f"{tag}.json"
        if ice_json is not None:
            report.pnr = _place_and_route(ice_json, report.get("ice40"), deadline, work)

    report.seconds = time.perf_counter() - t_start
    with atomic_file(outdir / SYNTH_JSON) as handle:
        handle.write(json.dumps(report.to_dict(), indent=1, sort_keys=True) + "\n")
    with atomic_file(outdir / SYNTH_MD) as handle:
        handle.write(report.markdown())
    return report


# ----------------------------------------------------------------------------------------- internals
def _ltp(path: Path) -> tuple[int | None, str]:
    if not path.is_file():
        return None, "ltp wrote nothing"
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", path.read_text(errors="replace"))
    if not m:
        return None, "ltp found no path (loop or empty design)"
    return int(m.group(1)), ""


def _place_and_route(design_json: Path, ice: FlowResult | None, deadline: float, work: Path) -> PnrResult:
    """nextpnr-ice40 on an HX8K (ct256) when the LUT + IO count can fit; the design is combinational,
    so the figure of merit is the longest pin-to-pin path (reported as delay and 1/delay)."""
    nextpnr = shutil.which("nextpnr-ice40")
    if nextpnr is None:
        return PnrResult("missing", detail="nextpnr-ice40 not on PATH: install the Debian packages "
                         "`nextpnr-ice40 fpga-icestorm` for place-and-route")
    flag, package, lcs = ICE40_DEVICES[0]
    luts = ice.luts if ice else 0
    if luts > lcs:
        return PnrResult("does not fit", f"{flag}-{package}",
                         f"{luts:,} SB_LUT4 > {lcs:,} logic cells of the iCE40 {flag.upper()} (UP5K has 5,280)",
                         logic_cells_used=luts, logic_cells_available=lcs)
    design = json.loads(design_json.read_text())
    io_bits = sum(len(port["bits"]) for mod in design.get("modules", {}).values()
                  if mod.get("attributes", {}).get("top") for port in mod.get("ports", {}).values())
    argv = [nextpnr, f"--{flag}", "--package", package, "--json", design_json.name, "--pcf-allow-unconstrained",
            "--report", "pnr_report.json", "-q"]
    t0 = time.perf_counter()
    rc, out = _run(argv, deadline, "nextpnr-ice40", cwd=work)
    seconds = round(time.perf_counter() - t0, 3)
    command = " ".join(a if a != nextpnr else "nextpnr-ice40" for a in argv)
    if rc != 0:
        errors = [line for line in out.splitlines() if line.startswith("ERROR")]
        detail = errors[0] if errors else (out.strip().splitlines() or [f"exit {rc}"])[-1]
        io_full = "$sb_io" in detail and "placement location" in detail
        if io_full:
            detail = (f"{io_bits:,} IO pins needed (every port bit is a pin): more than the {flag.upper()} "
                      f"{package} package offers ({detail}); a wider design needs serialized inputs")
        fit = io_full or re.search(r"Unable to find a placement|Unable to place|too many|does not fit", detail)
        return PnrResult("does not fit" if fit else "failed", f"{flag}-{package}", detail[-500:],
                         logic_cells_used=luts, logic_cells_available=lcs, io_used=io_bits,
                         seconds=seconds, command=command)
    rep = json.loads((work / "pnr_report.json").read_text())
    util = rep.get("utilization", {})
    delays = [sum(step.get("delay", 0.0) for step in p.get("path", [])) for p in rep.get("critical_paths", [])]
    delay = max(delays) if delays else None
    return PnrResult(
        "routed", f"{flag}-{package}",
        logic_cells_used=util.get("ICESTORM_LC", {}).get("used"), logic_cells_available=util.get("ICESTORM_LC", {}).get("available"),
        io_used=util.get("SB_IO", {}).get("used"), io_available=util.get("SB_IO", {}).get("available"),
        critical_path_ns=round(delay, 3) if delay else None, fmax_mhz=round(1000.0 / delay, 2) if delay else None,
        seconds=seconds, command=command,
    )


def _run(argv: list[str], deadline: float, what: str, cwd) -> tuple[int, str]:
    """Run a tool in its own process group; past the deadline the whole group is killed -> ToolError."""
    timeout = deadline - time.monotonic()
    if timeout <= 0:
        raise ToolError(f"synthesis time limit reached before {what}; no report written (raise --timeout)")
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    except OSError as exc:
        raise ToolError(f"cannot run {argv[0]}: {exc}") from None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ToolError(f"{what} still running when the synthesis time limit was reached; "
                        "no report written (raise --timeout)") from None
    return proc.returncode, out
