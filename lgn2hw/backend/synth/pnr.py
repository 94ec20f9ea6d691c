"""Place and route of a synthesized design with nextpnr: does it fit, and how fast is it.

iCE40 (HX8K): the compiled design as synthesized, combinational, pin to pin; a raw-input build (whose
in_features port alone exceeds every iCE40 package) instead places the export's serial-input top, so
that the figure includes the encoder, with the Fmax of its clock. ECP5 (LFE5U-85F): a registered top
around the compiled module (the export's registered-IO wrapper, or its serial-input top when the ports
exceed the package's pins), so that the Fmax is that of a clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...errors import ToolError
from ...ir.build_dir import BuildDir, BuildOptions
from ...ir.netlist import Netlist
from ...toolchain.nextpnr import Nextpnr, find_nextpnr, missing_hint
from ...toolchain.process import Deadline
from ...toolchain.yosys import Yosys
from ..verilog import class_id_width, pipeline_latency, score_width
from ..verilog.wrappers import registered_io_verilog, serial_input_verilog
from .flows import SYNTH_COMMANDS, ff_count
from .report import FlowResult, PnrResult

# iCE40 devices tried in order: (nextpnr flag, package, logic cells); user IO pins of that package
ICE40_DEVICES = (("hx8k", "ct256", 7680),)
ICE40_PACKAGE_IO = 206  # hx8k-ct256, as the export's ICE40_PACKAGE_IO


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
        detail = _failure_detail(done)
        io_full = "$sb_io" in detail and "placement location" in detail
        if io_full:
            detail = (f"{io_bits:,} IO pins needed (every port bit is a pin): more than the {flag.upper()} "
                      f"{package} package offers ({detail}); a wider design needs serialized inputs")
        return PnrResult("does not fit" if io_full or _no_fit(detail) else "failed", f"{flag}-{package}", detail[-500:],
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


def place_and_route_ice40_registered(build: BuildDir, yosys: Yosys, nextpnr: Nextpnr, deadline: Deadline,
                                     work: Path, tell: Callable[[str], None] = lambda what: None) -> PnrResult:
    """A raw-input build on the HX8K (ct256): its registered top (registered_top, the serial-input top
    for any in_features wider than the pins) synthesized with ``synth_ice40`` and placed and routed,
    so the logic cells include the encoder's comparators and the input shift register; the Fmax is
    nextpnr's achieved Fmax of clk (aimed at ICE40_TARGET_MHZ)."""
    flag, package, lcs = ICE40_DEVICES[0]
    device = f"{flag}-{package}"
    top = registered_top(build.netlist, build.options, ICE40_PACKAGE_IO, "lgn2hw synth --flow ice40")
    if isinstance(top, str):
        return PnrResult("does not fit", device, top, io_available=ICE40_PACKAGE_IO, tool=nextpnr.name)
    script, synth_seconds = _synthesize_top(yosys, build, top, work, deadline, tell, "ice40",
                                            f"; tee -q -o {top.module}.stat.json stat -json")
    cells = json.loads((work / f"{top.module}.stat.json").read_text())["design"]["num_cells_by_type"]
    luts, ffs = int(cells.get("SB_LUT4", 0)), ff_count(cells)
    args = [f"--{flag}", "--package", package, "--json", f"{top.module}.json", "--pcf-allow-unconstrained",
            "--freq", f"{ICE40_TARGET_MHZ:g}", "--timing-allow-fail", "--seed", "1", "--report", "pnr_report.json", "-q"]
    command = " ".join([nextpnr.name, *args])
    common = dict(top=f"{top.module} ({top.kind})", io_used=top.io_bits, io_available=ICE40_PACKAGE_IO,
                  latency_cycles=top.latency, load_cycles=top.load_cycles, clock_mhz=ICE40_TARGET_MHZ, ffs_used=ffs,
                  tool=f"{nextpnr.name} {nextpnr.version}".strip(), yosys_script=script, command=command,
                  synth_seconds=round(synth_seconds, 3), logic_cells_available=lcs)
    if max(luts, ffs) > lcs:
        return PnrResult("does not fit", device, f"{luts:,} SB_LUT4 and {ffs:,} flip-flops for {lcs:,} logic cells",
                         logic_cells_used=max(luts, ffs), **common)
    tell(f"{nextpnr.name} place and route")
    done = nextpnr.run(args, cwd=work, deadline=deadline)
    if done.returncode != 0:
        return _failed(done, device, common)
    rep = json.loads((work / "pnr_report.json").read_text())
    fmax = [v.get("achieved") for v in rep.get("fmax", {}).values() if v.get("achieved")]
    achieved = min(fmax) if fmax else None
    return PnrResult(
        "routed", device, f"{luts:,} SB_LUT4" + ("" if achieved else "; no register-to-register path: no Fmax"),
        logic_cells_used=rep.get("utilization", {}).get("ICESTORM_LC", {}).get("used"),
        critical_path_ns=round(1000.0 / achieved, 3) if achieved else None,
        fmax_mhz=round(achieved, 2) if achieved else None,
        latency_ns=round(top.latency * 1000.0 / achieved, 2) if achieved else None,
        seconds=round(done.seconds, 3), **common,
    )


# ECP5: (nextpnr flag, package, user IO pins the pin plan allows, LUT4/carry slots, slices); the target
# clock nextpnr's timing-driven placement aims at (the achieved Fmax is reported whatever it is)
ECP5_DEVICE = ("85k", "CABGA381", 197, 83_640, 41_820)
ECP5_TARGET_MHZ = 100.0
ICE40_TARGET_MHZ = 25.0  # the raw-input iCE40 top's --freq (an HX8K design of this size runs at tens of MHz)
SERIAL_BITS = 8  # in_data width of the serial-input top, as the iCE40 export (backend/export/plan.py)


@dataclass(frozen=True)
class RegisteredTop:
    """The registered top that nextpnr places: the registered-IO wrapper, or the serial-input top when
    the wrapper's ports exceed the package's pins. Either input port: in_bits, or a raw-input build's
    in_features (the encoder's comparators are then inside the placed design)."""

    module: str
    kind: str  # "registered-IO wrapper" or "serial-input top"
    verilog: str
    io_bits: int
    latency: int  # cycles from in_valid to out_valid
    load_cycles: int  # cycles of in_shift before in_valid (serial top), else 0


def registered_top(netlist: Netlist, options: BuildOptions, package_io: int,
                   tool: str = "lgn2hw synth --flow ecp5") -> RegisteredTop | str:
    """The top for place and route (RegisteredTop), or why there is none (a string): outputs alone
    wider than the package's pins."""
    module, n = options.module_name, options.input_width(netlist)
    core_latency = pipeline_latency(netlist, options.pipeline, raw_inputs=options.raw_inputs is not None)
    out_bits = 1 + netlist.num_classes * score_width(netlist) + class_id_width(netlist)
    header = [f"Generated by {tool} for place and route (a temporary file)."]
    wrap_io = 3 + n + out_bits  # clk, rst, in_valid + the input port + outputs
    if wrap_io <= package_io:
        return RegisteredTop(f"{module}_wrap", "registered-IO wrapper",
                             registered_io_verilog(netlist, options, f"{module}_wrap", core_latency, header),
                             wrap_io, core_latency + 2, 0)
    bits = min(SERIAL_BITS, n)
    serial_io = 4 + bits + out_bits  # clk, rst, in_shift, in_valid + in_data + outputs
    if serial_io > package_io:
        return (f"{serial_io} IO pins even with serialized inputs (outputs alone are {out_bits} bits), more "
                f"than the {package_io} of the package")
    return RegisteredTop(f"{module}_serial", "serial-input top",
                         serial_input_verilog(netlist, options, f"{module}_serial", bits, core_latency, header),
                         serial_io, core_latency + 1, -(-n // bits))


def ecp5_top(netlist: Netlist, options: BuildOptions, package_io: int = ECP5_DEVICE[2]) -> RegisteredTop | str:
    """registered_top for the ECP5 package (LFE5U-85F CABGA381)."""
    return registered_top(netlist, options, package_io)


def place_and_route_ecp5(build: BuildDir, yosys: Yosys, nextpnr: Nextpnr, deadline: Deadline, work: Path,
                         tell: Callable[[str], None] = lambda what: None) -> PnrResult:
    """Synthesize the registered top (ecp5_top) with ``synth_ecp5`` and place and route it with
    nextpnr-ecp5 on an LFE5U-85F (CABGA381): post-route LUT4/FF/slice use, the achieved Fmax of clk
    and the latency in cycles and ns. The compiled RTL is read unchanged (the file the checks verified)."""
    flag, package, package_io, combs, slices = ECP5_DEVICE
    device = f"LFE5U-{flag.upper()[:-1]}F-{package}"
    top = ecp5_top(build.netlist, build.options, package_io)
    if isinstance(top, str):
        return PnrResult("does not fit", device, top, flow="ecp5", io_available=package_io,
                         tool=f"{nextpnr.name} {nextpnr.version}".strip())
    script, synth_seconds = _synthesize_top(yosys, build, top, work, deadline, tell, "ecp5")
    args = [f"--{flag}", "--package", package, "--json", f"{top.module}.json", "--write", "placed.json",
            "--report", "ecp5_report.json", "--freq", f"{ECP5_TARGET_MHZ:g}", "--timing-allow-fail", "--seed", "1", "-q"]
    command = " ".join([nextpnr.name, *args])
    common = dict(flow="ecp5", top=f"{top.module} ({top.kind})", io_used=top.io_bits, io_available=package_io,
                  latency_cycles=top.latency, load_cycles=top.load_cycles, clock_mhz=ECP5_TARGET_MHZ,
                  tool=f"{nextpnr.name} {nextpnr.version}".strip(), yosys_script=script, command=command,
                  synth_seconds=round(synth_seconds, 3))
    tell(f"{nextpnr.name} place and route")
    done = nextpnr.run(args, cwd=work, deadline=deadline)
    if done.returncode != 0:
        return _failed(done, device, common)
    rep = json.loads((work / "ecp5_report.json").read_text())
    util = rep.get("utilization", {})
    fmax = [v.get("achieved") for v in rep.get("fmax", {}).values() if v.get("achieved")]
    achieved = min(fmax) if fmax else None
    return PnrResult(
        "routed", device, "" if achieved else "no register-to-register path: no Fmax",
        logic_cells_used=util.get("TRELLIS_COMB", {}).get("used"),
        logic_cells_available=util.get("TRELLIS_COMB", {}).get("available", combs),
        ffs_used=util.get("TRELLIS_FF", {}).get("used"), ffs_available=util.get("TRELLIS_FF", {}).get("available"),
        slices_used=_slices(work / "placed.json"), slices_available=slices,
        critical_path_ns=round(1000.0 / achieved, 3) if achieved else None,
        fmax_mhz=round(achieved, 2) if achieved else None,
        latency_ns=round(top.latency * 1000.0 / achieved, 2) if achieved else None,
        seconds=round(done.seconds, 3), **common,
    )


def _failure_detail(done) -> str:
    """Why nextpnr failed, in one line: its first ERROR line, else the last line it printed."""
    errors = [line for line in done.output.splitlines() if line.startswith("ERROR")]
    return errors[0] if errors else (done.output.strip().splitlines() or [f"exit {done.returncode}"])[-1]


def _failed(done, device: str, common: dict) -> PnrResult:
    """The report of a place-and-route top that nextpnr could not place and route."""
    detail = _failure_detail(done)
    return PnrResult("does not fit" if _no_fit(detail) else "failed", device, detail[-500:],
                     seconds=round(done.seconds, 3), **common)


def _no_fit(detail: str) -> bool:
    """Whether nextpnr's failure means the design is too large for the part (rather than a tool error)."""
    return re.search(r"Unable to find a placement|Unable to place|too many|does not fit|[Ff]ailed to place", detail) is not None


def _slices(placed: Path) -> int | None:
    """Distinct SLICEs that hold a placed LUT4/carry half, flip-flop or RAM write port (bel names
    ``X<x>/Y<y>/SLICE<A-D>.<site>`` in nextpnr's placed netlist)."""
    if not placed.is_file():
        return None
    used = set()
    for mod in json.loads(placed.read_text()).get("modules", {}).values():
        for cell in mod.get("cells", {}).values():
            bel = cell.get("attributes", {}).get("NEXTPNR_BEL", "")
            if "/SLICE" in bel:
                used.add(bel.split(".")[0])
    return len(used)


def _synthesize_top(yosys: Yosys, build: BuildDir, top: RegisteredTop, work: Path, deadline: Deadline,
                    tell: Callable[[str], None], family: str, extra: str = "") -> tuple[str, float]:
    """Write the place-and-route top beside the compiled RTL and run the flow's synthesis command
    (flows.SYNTH_COMMANDS: the same as for its LUT counts) on both into
    TOP.json; returns the Yosys script (recorded in the report) and its seconds. ToolError when Yosys
    fails."""
    (work / f"{top.module}.v").write_text(top.verilog)
    synth = SYNTH_COMMANDS[family].format(top=top.module)
    script = f"read_verilog {build.rtl_path.name} {top.module}.v; {synth} -json {top.module}.json{extra}"
    tell(f"yosys {family} ({top.kind})")
    what = f"yosys {family} (place-and-route top)"
    done = yosys.run_commands(script, cwd=work, deadline=deadline, what=what)
    if done.returncode != 0:
        raise ToolError(f"{what} failed (exit {done.returncode}): {done.output[-1500:].strip()}")
    return script, done.seconds
