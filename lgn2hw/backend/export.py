"""Vendor export: a compiled directory becomes a self-contained folder a vendor tool takes as is.

``export_build(outdir, exportdir, target)`` reads a directory written by ``lgn2hw compile``
(netlist.json + <module>.v) and writes, atomically, a folder with (docs/export.md):

- ``rtl/``: the compiled RTL unchanged, ``<module>_wrap.v`` (registered inputs and outputs around it,
  for timing analysis: LATENCY = compiled latency + 2) and, for iCE40 packages that cannot take every
  port bit as a pin, ``<module>_serial.v`` (a shift register that loads the input vector S bits a
  cycle in front of the wrapper); ``files.f`` lists them in compile order.
- ``constraints/``: Vivado XDC / Quartus SDC (create_clock with the requested period) / iCE40 PCF.
- the build script: Vivado non-project TCL (out of context), Quartus TCL (project + compile flow with
  virtual pins), or a Makefile (ice40: yosys synth_ice40 + nextpnr-ice40 --freq + icepack; generic:
  yosys synth -lut 6 + stat).
- ``verify/``: the cocotb testbenches of hw_tests/, input vectors and the Python reference's expected
  scores and classes (the lgn2hw.check.cosim.verify file layout) and ``run_verify.py``, which re-verifies the
  exported RTL with Icarus without lgn2hw installed.
- ``README.md`` and ``export.json`` (what was exported, latency, IO pin counts).

The output is deterministic: identical inputs give byte-identical folders (no timestamps, no paths of
the machine that exported it).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from .. import __version__
from ..errors import ConfigError, EmitError, Lgn2hwError
from ..fsutil import atomic_dir
from ..ir.netlist import Netlist
from ..ir.simulate import expected_outputs
from ..ir.vectors import low_switching_order
from ..resources import hw_tests_dir, templates_dir

TARGETS = ("vivado", "quartus", "ice40", "generic")
DEFAULT_CLOCK_MHZ = 100.0
MAX_CLOCK_MHZ = 2000.0
DEFAULT_VECTORS = 256
DEFAULT_PARTS = {"vivado": "xc7a35tcpg236-1", "quartus": "5CSEMA5F31C6", "ice40": "hx8k-ct256", "generic": ""}
# User IO pins per iCE40 device-package (Lattice iCE40 LP/HX and UltraPlus data sheets).
ICE40_PACKAGE_IO = {
    "hx1k-tq144": 95,
    "hx8k-bg121": 93,
    "hx8k-cb132": 95,
    "hx8k-ct256": 206,
    "up5k-sg48": 39,
}
SERIAL_BITS = 8  # in_data width of the serial-input iCE40 top
# Quartus DEVICE prefixes -> FAMILY (the project needs both); other parts get no FAMILY line.
QUARTUS_FAMILIES = (
    ("5CS", "Cyclone V"), ("5CE", "Cyclone V"), ("5CG", "Cyclone V"), ("10CL", "Cyclone 10 LP"),
    ("EP4CE", "Cyclone IV E"), ("EP4CGX", "Cyclone IV GX"), ("10M", "MAX 10"), ("5AG", "Arria V"),
    ("5SG", "Stratix V"),
)
TESTBENCHES = ("tb_lgn_top.py", "tb_lgn_top_pipelined.py", "tb_lgn_serial.py")
_PART = re.compile(r"[A-Za-z0-9_\-]+\Z")


@dataclass
class ExportResult:
    """What export_build wrote."""

    exportdir: str
    target: str
    top: str  # the module the build script synthesizes
    module_name: str  # the compiled module inside it
    part: str
    clock_mhz: float
    latency: int  # cycles of the exported top (compiled latency + 2)
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
        text = (f"export {self.target}{part}: top {self.top} ({self.num_inputs} inputs, {self.io_bits} port bits, "
                f"LATENCY {self.latency} = {self.core_latency} + 2 IO register cycles, {self.clock_mhz:g} MHz), "
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
) -> ExportResult:
    """Write the vendor folder for ``target`` (vivado, quartus, ice40, generic) from the compiled
    directory ``outdir`` into ``exportdir`` (replaced atomically). ``vectors`` random input vectors
    (seeded by ``seed``) and their expected outputs from the Python reference go into verify/.
    Raises ConfigError / Lgn2hwError on bad input; nothing is written then."""
    if target not in TARGETS:
        raise ConfigError(f"unknown export target {target!r}: choose from {', '.join(TARGETS)}")
    clock_mhz = _check_clock(clock_mhz)
    if isinstance(vectors, bool) or not isinstance(vectors, (int, np.integer)) or vectors < 1:
        raise ConfigError(f"vectors must be an integer >= 1, got {vectors!r}")
    part = _check_part(target, part)

    outdir, exportdir = Path(outdir), Path(exportdir)
    if not outdir.is_dir():
        raise Lgn2hwError(f"{outdir}: no such directory (run lgn2hw compile first)")
    netlist_path = outdir / "netlist.json"
    if not netlist_path.is_file():
        raise Lgn2hwError(f"{netlist_path}: missing (not a compiled directory; run lgn2hw compile first)")
    src, dst = outdir.resolve(), exportdir.resolve()
    if dst == src or dst in src.parents:
        raise ConfigError(f"export directory {exportdir} would replace the compiled directory {outdir}: "
                          "choose another -o")
    netlist = Netlist.load(netlist_path)
    if netlist.metadata.get("raw_inputs"):
        raise ConfigError(f"{outdir} is a --raw-inputs build (raw feature port): export supports builds with "
                          "the in_bits port only so far; compile without --raw-inputs to export")
    module = netlist.metadata.get("module_name", "lgn_top")
    rtl_path = outdir / f"{module}.v"
    if not rtl_path.is_file():
        raise Lgn2hwError(f"{rtl_path}: RTL file missing from the compiled directory")

    from .verilog.emit import class_id_width, pipeline_latency, score_width

    try:
        core_latency = pipeline_latency(netlist, netlist.metadata.get("pipeline", 0))
    except EmitError as exc:
        raise ConfigError(f"{netlist_path} metadata: {exc}") from None
    n, c = netlist.num_inputs, netlist.num_classes
    width, id_width = score_width(netlist), class_id_width(netlist)
    latency = core_latency + 2
    wrap, serial = f"{module}_wrap", f"{module}_serial"
    out_bits = 1 + c * width + id_width
    wrap_io = 3 + n + out_bits
    serial_bits = min(SERIAL_BITS, n)
    serial_io = 4 + serial_bits + out_bits

    top, package_io, fits_io, notes = wrap, None, None, []
    rtl_files = [f"rtl/{module}.v", f"rtl/{wrap}.v"]
    if target == "ice40":
        package_io = ICE40_PACKAGE_IO[part]
        if wrap_io > package_io:
            top = serial
            rtl_files.append(f"rtl/{serial}.v")
            notes.append(f"{wrap} needs {wrap_io} IO pins (in_bits alone is {n} bits), the {part} package has "
                         f"{package_io}: the build uses {serial}, which loads in_bits {serial_bits} bits per cycle "
                         f"({-(-n // serial_bits)} cycles per vector) and needs {serial_io} pins")
        fits_io = (serial_io if top == serial else wrap_io) <= package_io
        if not fits_io:
            notes.append(f"{serial} still needs {serial_io} IO pins (scores alone are {c * width} bits), more than "
                         f"the {package_io} of {part}: nextpnr will not place it; use a larger package or "
                         "synthesize for LUT counts only (lgn2hw synth / target generic)")
    io_bits = serial_io if top == serial else wrap_io

    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(int(vectors), n), dtype=np.uint8)
    scores, classes = expected_outputs(netlist, bits)
    order = low_switching_order(bits)

    env = _environment()
    ranges = {"in_range": _range(n), "scores_range": _range(c * width), "id_range": _range(id_width),
              "width": width, "latency": latency, "core_latency": core_latency}
    header = [f"Generated by lgn2hw {__version__} (lgn2hw.backend.export). Do not edit; regenerate instead.",
              f"netlist sha256: {netlist.sha256()}"]
    period = f"{1000.0 / clock_mhz:.3f}"
    clock_text = f"{clock_mhz:g}"
    context = {"top": top, "module": module, "part": part, "period": period, "clock_mhz_text": clock_text,
               "io_bits": io_bits, "rtl_files": rtl_files, "target": target}

    with atomic_dir(exportdir) as tmp:
        written: dict[str, bytes] = {}

        def put(rel: str, data: str | bytes) -> None:
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode() if isinstance(data, str) else data)
            written[rel] = b""

        put(f"rtl/{module}.v", rtl_path.read_bytes())
        put(f"rtl/{wrap}.v", env.get_template("wrap.v.j2").render(
            header_lines=header + [f"{wrap}: {module} with registered inputs and outputs (LATENCY {latency} = "
                                   f"{core_latency} + 2 cycles)"], wrap=wrap, core=module, **ranges))
        if top == serial:
            chunks = -(-n // serial_bits)
            put(f"rtl/{serial}.v", env.get_template("serial.v.j2").render(
                header_lines=header + [f"{serial}: in_bits loaded {serial_bits} bits per cycle into {wrap}"],
                serial=serial, wrap=wrap, data_range=_range(serial_bits), bits=serial_bits, chunks=chunks,
                buffer_bits=chunks * serial_bits, pad=chunks * serial_bits - n, num_inputs=n, **ranges))
        put("files.f", "".join(f"{f}\n" for f in rtl_files))
        put("netlist.json", netlist_path.read_bytes())

        if target == "vivado":
            put(f"constraints/{top}.xdc", env.get_template("vivado.xdc.j2").render(**context))
            put("build.tcl", env.get_template("vivado.tcl.j2").render(**context))
        elif target == "quartus":
            virtual = ["rst", "in_valid", "in_bits[*]", "out_valid", "scores[*]", "class_id[*]" if id_width > 1 else "class_id"]
            if n == 1:
                virtual[2] = "in_bits"
            if c * width == 1:
                virtual[4] = "scores"
            put(f"constraints/{top}.sdc", env.get_template("quartus.sdc.j2").render(**context))
            put("build.tcl", env.get_template("quartus.tcl.j2").render(
                family=_quartus_family(part), virtual_ports=virtual, **context))
        else:
            device, _, package = part.partition("-")
            if target == "ice40":
                ports = _port_list(top, n, serial_bits, c * width, id_width)
                put(f"constraints/{top}.pcf", env.get_template("ice40.pcf.j2").render(
                    ports=ports, package=package, package_io=package_io, **context))
            put("Makefile", env.get_template("Makefile.j2").render(device=device, package=package, **context))

        # verification: the lgn2hw.check.cosim.verify file layout, the hw_tests testbenches, a standalone runner
        put("verify/vectors.npy", _npy(np.packbits(bits[order], axis=1, bitorder="little")))
        put("verify/expected_scores.npy", _npy(scores[order].astype(np.int64)))
        put("verify/expected_class.npy", _npy(classes[order].astype(np.int64)))
        put("verify/vector_index.npy", _npy(order.astype(np.int64)))
        for name in TESTBENCHES:
            put(f"verify/{name}", (hw_tests_dir() / name).read_bytes())
        checks = [
            {"name": "core", "sources": [f"rtl/{module}.v"], "toplevel": module, "num_inputs": n,
             "test_module": "tb_lgn_top_pipelined" if core_latency else "tb_lgn_top", "latency": core_latency},
            {"name": "wrap", "sources": rtl_files[:2], "toplevel": wrap, "num_inputs": n,
             "test_module": "tb_lgn_top_pipelined", "latency": latency},
        ]
        if top == serial:
            checks.append({"name": "serial", "sources": rtl_files, "toplevel": serial, "num_inputs": n,
                           "test_module": "tb_lgn_serial", "latency": latency,
                           "env": {"LGN2HW_TB_SERIAL_BITS": serial_bits}})
        put("verify/checks.json", json.dumps({"checks": checks, "seed": seed, "vectors": int(vectors)},
                                             indent=1, sort_keys=True) + "\n")
        put("verify/run_verify.py", env.get_template("run_verify.py.j2").render())
        os.chmod(tmp / "verify" / "run_verify.py", 0o755)

        result = ExportResult(
            exportdir=str(exportdir), target=target, top=top, module_name=module, part=part, clock_mhz=clock_mhz,
            latency=latency, core_latency=core_latency, num_inputs=n, io_bits=io_bits, package_io=package_io,
            fits_io=fits_io, vectors=int(vectors), notes=notes,
        )
        result.files = sorted(set(written) | {"README.md", "export.json"})
        put("README.md", env.get_template("README.md.j2").render(
            r=result, checks=checks, serial_bits=serial_bits, wrap=wrap, serial=serial, wrap_io=wrap_io,
            serial_io=serial_io, num_classes=c, **context))
        put("export.json", json.dumps(result.to_dict(), indent=1, sort_keys=True) + "\n")
    return result


# ----------------------------------------------------------------------------------------- internals
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "export")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _check_clock(clock_mhz) -> float:
    try:
        value = float(clock_mhz)
    except (TypeError, ValueError):
        raise ConfigError(f"clock must be a number of MHz, got {clock_mhz!r}") from None
    if isinstance(clock_mhz, bool) or not math.isfinite(value) or value <= 0 or value > MAX_CLOCK_MHZ:
        raise ConfigError(f"clock must be a frequency in MHz in (0, {MAX_CLOCK_MHZ:g}], got {clock_mhz!r}")
    return value


def _check_part(target: str, part: str | None) -> str:
    if part is None or part == "":
        return DEFAULT_PARTS[target]
    if target == "generic":
        raise ConfigError("--part does not apply to the generic target (a device-independent LUT6 count)")
    if not isinstance(part, str) or not _PART.match(part):
        raise ConfigError(f"invalid part {part!r}: letters, digits, '-' and '_' only")
    if target == "ice40":
        part = part.lower()
        if part not in ICE40_PACKAGE_IO:
            raise ConfigError(f"unknown iCE40 part {part!r}: choose from {', '.join(ICE40_PACKAGE_IO)} "
                              "(device-package, as nextpnr-ice40 --DEVICE --package PACKAGE)")
    return part


def _quartus_family(part: str) -> str:
    for prefix, family in QUARTUS_FAMILIES:
        if part.upper().startswith(prefix):
            return family
    return ""


def _range(width: int) -> str:
    return f"[{width - 1}:0] " if width > 1 else ""


def _port_list(top: str, n: int, serial_bits: int, score_bits: int, id_width: int) -> list[str]:
    if top.endswith("_serial"):
        inputs = ["clk", "rst", f"in_data[{serial_bits - 1}:0]" if serial_bits > 1 else "in_data", "in_shift", "in_valid"]
    else:
        inputs = ["clk", "rst", "in_valid", f"in_bits[{n - 1}:0]" if n > 1 else "in_bits"]
    outputs = ["out_valid", f"scores[{score_bits - 1}:0]" if score_bits > 1 else "scores",
               f"class_id[{id_width - 1}:0]" if id_width > 1 else "class_id"]
    return [f"input  {p}" for p in inputs] + [f"output {p}" for p in outputs]


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
