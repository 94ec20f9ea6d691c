"""``export_build``: a compiled directory becomes a self-contained folder a vendor tool takes as is.

The folder (docs/export.md): ``rtl/`` (the compiled RTL unchanged, the registered-IO wrapper and, where
the package has too few pins, the serial-input top; ``files.f`` lists them in compile order),
``constraints/`` and the build script of the target (targets.py), ``verify/`` (verification.py),
``netlist.json``, ``README.md`` and ``export.json``. Written atomically; deterministic (no timestamps,
no paths of the machine that exported it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ... import __version__
from ...fsutil import check_export_path, output_dir, require_free_space
from ...ir.build_dir import NETLIST_FILE, BuildDir
from ..verilog.print import render
from ..verilog.wrappers import registered_io_verilog, serial_input_verilog
from .fusesoc import core_file_name, core_text
from .plan import DEFAULT_CLOCK_MHZ, DEFAULT_VECTORS, ExportPlan, check_clock, check_vectors, plan_export
from .targets import get_target
from .verification import checks, verification_files



@dataclass
class ExportResult:
    """What export_build wrote."""

    exportdir: str
    target: str
    top: str  # the module the build script synthesizes
    module_name: str  # the compiled module inside it
    part: str
    clock_mhz: float
    latency: int  # cycles of the exported top (compiled latency + 2; the serial top + 1)
    core_latency: int
    num_inputs: int
    io_bits: int  # port bits of the exported top
    package_io: int | None  # iCE40: user IO pins of the package
    fits_io: bool | None  # iCE40: whether io_bits <= package_io
    vectors: int
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        part = f" {self.part}" if self.part else ""
        text = (f"export {self.target}{part}: top {self.top} ({self.num_inputs} input bits, {self.io_bits} port bits, "
                f"LATENCY {self.latency} = {self.core_latency} + {self.latency - self.core_latency} IO register cycles, "
                f"{self.clock_mhz:g} MHz), "
                f"{len(self.files)} files, {self.vectors} verification vectors -> {self.exportdir}")
        if self.fits_io is False:
            text += f"; WARNING: {self.io_bits} port bits > {self.package_io} IO pins of {self.part}"
        return text

    def to_dict(self) -> dict:
        doc = {k: v for k, v in self.__dict__.items() if k != "exportdir"}  # no machine paths in the folder
        doc["format"] = "lgn2hw-export"
        doc["version"] = 1
        doc["lgn2hw"] = __version__
        return doc


def export_build(
    outdir: str | os.PathLike,
    exportdir: str | os.PathLike,
    target: str,
    clock_mhz: float = DEFAULT_CLOCK_MHZ,
    part: str | None = None,
    vectors: int = DEFAULT_VECTORS,
    seed: int = 0,
    force: bool = False,
    fit_check: bool = True,
) -> ExportResult:
    """Write the vendor folder for ``target`` (vivado, quartus, ice40, generic) from the compiled
    directory ``outdir`` into ``exportdir`` (replaced atomically). ``vectors`` random input vectors
    (seeded by ``seed``) and their expected outputs from the Python reference go into verify/.
    ``exportdir`` must be new, empty or an earlier lgn2hw output (``force``: fsutil.output_dir).
    ``fit_check`` (ice40): refuse a design that needs more IO pins or logic cells than the part has.
    Raises ConfigError / Lgn2hwError on bad input; nothing is written then."""
    vendor = get_target(target)
    clock_mhz = check_clock(clock_mhz)
    vectors = check_vectors(vectors)
    part = vendor.check_part(part)
    build = BuildDir.open(outdir)
    check_export_path(outdir, exportdir, force)
    plan = plan_export(build, vendor, part, clock_mhz, fit_check)
    files = _files(build, plan, vectors, seed)
    result = ExportResult(
        exportdir=str(exportdir), target=target, top=plan.top, module_name=plan.module, part=part, clock_mhz=clock_mhz,
        latency=plan.latency, core_latency=plan.core_latency, num_inputs=plan.num_inputs, io_bits=plan.io_bits,
        package_io=plan.package_io, fits_io=plan.fits_io, vectors=vectors, notes=list(plan.notes),
    )
    result.files = sorted(set(files) | {"README.md", "export.json"})
    context = plan.template_context()
    files["README.md"] = render_export(
        "README.md.j2", r=result, checks=checks(plan), serial_bits=plan.serial_bits, wrap=plan.wrap,
        serial=plan.serial_top, wrap_io=plan.wrap_io, serial_io=plan.serial_io, num_classes=plan.num_classes,
        wrap_latency=plan.wrap_latency, **context)
    files["export.json"] = json.dumps(result.to_dict(), indent=1, sort_keys=True) + "\n"
    require_free_space(exportdir, sum(len(d.encode() if isinstance(d, str) else d) for d in files.values()), "the export")
    with output_dir(exportdir, "export", force) as out:
        tmp = out.staging
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp / "verify" / "run_verify.py", 0o755)
    return result


def render_export(name: str, **context) -> str:
    """Render a template of templates/export/ (build scripts, constraints, README, runner)."""
    return render(f"export/{name}", **context)


def _files(build: BuildDir, plan: ExportPlan, vectors: int, seed: int) -> dict[str, bytes | str]:
    netlist = build.netlist
    header = [f"Generated by lgn2hw {__version__} (lgn2hw.backend.export). Do not edit; regenerate instead.",
              f"netlist sha256: {netlist.sha256()}"]
    files: dict[str, bytes | str] = {f"rtl/{plan.module}.v": build.rtl_path.read_bytes()}
    files[f"rtl/{plan.wrap}.v"] = registered_io_verilog(
        netlist, build.options, plan.wrap, plan.core_latency,
        header + [f"{plan.wrap}: {plan.module} with registered inputs and outputs (LATENCY {plan.wrap_latency} = "
                  f"{plan.core_latency} + 2 cycles)"])
    if plan.serial:
        files[f"rtl/{plan.serial_top}.v"] = serial_input_verilog(
            netlist, build.options, plan.serial_top, plan.serial_bits, plan.core_latency,
            header + [f"{plan.serial_top}: {plan.input_port} loaded {plan.serial_bits} bits per cycle into a shift register that "
                      f"{plan.module} reads, outputs registered (LATENCY {plan.latency} = {plan.core_latency} + 1 cycles)"])
    files["files.f"] = "".join(f"{f}\n" for f in plan.rtl_files)
    files["netlist.json"] = build.file(NETLIST_FILE).read_bytes()
    files.update(get_target(plan.target).build_files(render_export, plan))
    files[core_file_name(plan)] = core_text(plan, render_export)
    files.update(verification_files(netlist, plan, vectors, seed, render_export))
    return files
