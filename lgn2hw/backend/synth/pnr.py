"""Place and route of a synthesized design with nextpnr: does it fit, and how fast is it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...toolchain.nextpnr import find_nextpnr, missing_hint
from ...toolchain.process import Deadline
from .report import FlowResult, PnrResult

# iCE40 devices tried in order: (nextpnr flag, package, logic cells)
ICE40_DEVICES = (("hx8k", "ct256", 7680),)


def place_and_route_ice40(design_json: Path, ice: FlowResult | None, deadline: Deadline, work: Path) -> PnrResult:
    """nextpnr-ice40 on an HX8K (ct256) when the LUT + IO count can fit; the design is combinational,
    so the figure of merit is the longest pin-to-pin path (reported as delay and 1/delay)."""
    nextpnr = find_nextpnr("ice40")
    if nextpnr is None:
        return PnrResult("missing", detail=missing_hint("ice40"))
    flag, package, lcs = ICE40_DEVICES[0]
    luts = ice.luts if ice else 0
    if luts > lcs:
        return PnrResult("does not fit", f"{flag}-{package}",
                         f"{luts:,} SB_LUT4 > {lcs:,} logic cells of the iCE40 {flag.upper()} (UP5K has 5,280)",
                         logic_cells_used=luts, logic_cells_available=lcs)
    design = json.loads(design_json.read_text())
    io_bits = sum(len(port["bits"]) for mod in design.get("modules", {}).values()
                  if mod.get("attributes", {}).get("top") for port in mod.get("ports", {}).values())
    args = [f"--{flag}", "--package", package, "--json", design_json.name, "--pcf-allow-unconstrained",
            "--report", "pnr_report.json", "-q"]
    done = nextpnr.run(args, cwd=work, deadline=deadline)
    seconds = round(done.seconds, 3)
    command = " ".join([nextpnr.name, *args])
    if done.returncode != 0:
        out = done.output
        errors = [line for line in out.splitlines() if line.startswith("ERROR")]
        detail = errors[0] if errors else (out.strip().splitlines() or [f"exit {done.returncode}"])[-1]
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
