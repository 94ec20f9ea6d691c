"""What an export contains, decided before anything is written: a pure ExportPlan from a compiled build.

The plan names the exported top (the registered-IO wrapper, or the serial-input top when the
package has too few pins for in_bits), the RTL files in compile order, latencies, IO pin counts and
the notes the README and the summary show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...errors import ConfigError, EmitError
from ...ir.build_dir import BuildDir
from ...ir.encoder_cost import comparator_support
from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist
from ..verilog import class_id_width, pipeline_latency, score_width
from ..verilog.primitives import models_name
from .targets import Target

DEFAULT_CLOCK_MHZ = 100.0
MAX_CLOCK_MHZ = 2000.0
DEFAULT_VECTORS = 256
# export targets whose tools know a vendor's primitives (compile --popcount carry4: Xilinx LUT6_2/CARRY4;
# ccu2c: ECP5 CCU2C, which no export target builds: lgn2hw synth --flow ecp5 places and routes it)
PRIMITIVE_TARGETS = {"xilinx": ("vivado",), "ecp5": ()}
SERIAL_BITS = 8  # in_data width of the serial-input iCE40 top


@dataclass(frozen=True)
class ExportPlan:
    target: str
    part: str
    clock_mhz: float
    module: str  # the compiled top module
    top: str  # the module the build script synthesizes
    wrap: str
    serial_top: str
    rtl_files: tuple[str, ...]
    core_latency: int
    num_inputs: int  # bits of the input port: in_bits, or in_features (F x B) of a raw-input build
    num_classes: int
    width: int  # bits per class score
    id_width: int
    serial_bits: int
    wrap_io: int  # port bits of the registered-IO wrapper
    serial_io: int  # port bits of the serial-input top
    package_io: int | None
    notes: tuple[str, ...] = field(default=())
    input_port: str = "in_bits"  # or "in_features": a raw-input build (compile --raw-inputs)
    raw_bits: int | None = None  # B, the bits of one raw feature (raw-input builds)
    primitive_family: str | None = None  # whose primitives the RTL instantiates (compile --popcount carry4)

    @property
    def sim_models(self) -> tuple[str, ...]:
        """The simulation models of the RTL's vendor primitives (verify/ only)."""
        return (f"verify/{models_name(self.primitive_family)}",) if self.primitive_family else ()

    @property
    def raw(self) -> bool:
        return self.input_port != "in_bits"

    @property
    def wrap_latency(self) -> int:
        """Cycles through the registered-IO wrapper: input registers + the compiled module + output registers."""
        return self.core_latency + 2

    @property
    def latency(self) -> int:
        """Cycles through the exported top: the serial top's shift buffer is its input register (+1)."""
        return self.core_latency + 1 if self.serial else self.wrap_latency

    @property
    def serial(self) -> bool:
        return self.top == self.serial_top

    @property
    def io_bits(self) -> int:
        return self.serial_io if self.serial else self.wrap_io

    @property
    def fits_io(self) -> bool | None:
        return None if self.package_io is None else self.io_bits <= self.package_io

    @property
    def score_bits(self) -> int:
        return self.num_classes * self.width

    def template_context(self) -> dict:
        return {"top": self.top, "module": self.module, "part": self.part, "period": f"{1000.0 / self.clock_mhz:.3f}",
                "clock_mhz_text": f"{self.clock_mhz:g}", "io_bits": self.io_bits, "rtl_files": list(self.rtl_files),
                "target": self.target, "port": self.input_port, "raw_bits": self.raw_bits}


def check_clock(clock_mhz) -> float:
    try:
        value = float(clock_mhz)
    except (TypeError, ValueError):
        raise ConfigError(f"clock must be a number of MHz, got {clock_mhz!r}") from None
    if isinstance(clock_mhz, bool) or not math.isfinite(value) or value <= 0 or value > MAX_CLOCK_MHZ:
        raise ConfigError(f"clock must be a frequency in MHz in (0, {MAX_CLOCK_MHZ:g}], got {clock_mhz!r}")
    return value


def check_vectors(vectors) -> int:
    if isinstance(vectors, bool) or not isinstance(vectors, (int, np.integer)) or vectors < 1:
        raise ConfigError(f"vectors must be an integer >= 1, got {vectors!r}")
    return int(vectors)


def plan_export(build: BuildDir, target: Target, part: str, clock_mhz: float, fit_check: bool = True) -> ExportPlan:
    """The plan for exporting ``build`` to ``target`` (ConfigError for a build export cannot take, and,
    with ``fit_check``, for a design that cannot fit the part: more IO pins than its package has, even
    serialized, or more logic than its cells; see _check_cells)."""
    netlist, options = build.netlist, build.options
    raw = options.raw_inputs
    family = options.primitive_family
    if family is not None and target.name not in PRIMITIVE_TARGETS[family]:
        takers = PRIMITIVE_TARGETS[family]
        where = f"export it to {' or '.join(takers)}" if takers else f"no export target builds them (lgn2hw synth --flow {family} does)"
        raise ConfigError(f"{build.path} was compiled with --popcount {options.popcount}, whose RTL instantiates "
                          f"{family} primitives: {where}, or compile with another --popcount for {target.name}")
    try:
        core_latency = pipeline_latency(netlist, options.pipeline, raw_inputs=raw is not None)
    except EmitError as exc:
        raise ConfigError(f"{build.path} metadata: {exc}") from None
    module, port = options.module_name, options.input_port
    n, c = options.input_width(netlist), netlist.num_classes
    width, id_width = score_width(netlist), class_id_width(netlist)
    wrap, serial = f"{module}_wrap", f"{module}_serial"
    out_bits = 1 + c * width + id_width
    wrap_io = 3 + n + out_bits
    serial_bits = min(SERIAL_BITS, n)
    serial_io = 4 + serial_bits + out_bits
    top, package_io, notes = wrap, None, []
    rtl_files = [f"rtl/{module}.v", f"rtl/{wrap}.v"]
    if target.package_io is not None:
        package_io = target.package_io[part]
        if wrap_io > package_io:
            top = serial
            rtl_files.append(f"rtl/{serial}.v")
            notes.append(f"{wrap} needs {wrap_io} IO pins ({port} alone is {n} bits), the {part} package has "
                         f"{package_io}: the build uses {serial}, which loads {port} {serial_bits} bits per cycle "
                         f"({-(-n // serial_bits)} cycles per vector) and needs {serial_io} pins")
        if (serial_io if top == serial else wrap_io) > package_io:
            text = (f"{serial} still needs {serial_io} IO pins (scores alone are {c * width} bits), more than "
                    f"the {package_io} of {part}: nextpnr will not place it; use a larger package or "
                    "synthesize for LUT counts only (lgn2hw synth / target generic)")
            if fit_check:
                raise ConfigError(f"{build.path} does not fit {part}: {text} (--no-fit-check writes the folder anyway)")
            notes.append(text)
    if target.logic_cells is not None:
        notes.append(_check_cells(build, target, part, out_bits, fit_check, serial_bits if top == serial else None))
    return ExportPlan(target.name, part, clock_mhz, module, top, wrap, serial, tuple(rtl_files), core_latency, n, c,
                      width, id_width, serial_bits, wrap_io, serial_io, package_io, tuple(notes), port,
                      raw.bits if raw is not None else None, family)


def _check_cells(build: BuildDir, target: Target, part: str, out_bits: int, fit_check: bool,
                 serial_bits: int | None = None) -> str:
    """The logic-cell budget of ``part`` against what the design needs at least: its LUT6 estimate (a
    LUT4 device needs at least as many LUTs; a raw-input build's includes the comparators of its encoder)
    plus one cell per input flip-flop (the registered or shifted-in bits of the input port that the
    design reads, live_port_mask; in the serial top's shift register every stage such a bit passes
    through, shift_register_bits): an iCE40 flip-flop takes its D from its own cell's LUT, so a register
    fed by a pin or another register uses a cell whose LUT is a wire. The output registers (D from the
    logic) can share cells. ConfigError when that exceeds the part's cells and ``fit_check``; else the
    note for the README. Passing is necessary, not sufficient: nextpnr may still find no placement near
    the limit (docs/export.md)."""
    from ..synth.estimate import estimate_luts

    netlist, raw = build.netlist, build.options.raw_inputs
    cells = target.logic_cells[part.partition("-")[0]]
    luts = estimate_luts(netlist, raw.bits if raw is not None else None).total
    live = live_port_mask(netlist, raw.bits if raw is not None else None)
    inputs = int(live.sum()) if serial_bits is None else shift_register_bits(live, serial_bits)
    need = luts + inputs
    text = (f"about {luts:,} LUTs (lgn2hw's estimate, lgn2hw.backend.synth.estimate) and {inputs:,} input flip-flops "
            f"({'shift register stages' if serial_bits else 'registered input bits'} the design reads; a logic cell each) "
            f"+ {out_bits:,} output flip-flops: at least {need:,} of the {cells:,} logic cells of {part}")
    if need > cells and fit_check:
        raise ConfigError(f"{build.path} does not fit {part}: {text}; train a smaller network (lgn2hw explore), choose "
                          "a larger part, or pass --no-fit-check to write the folder anyway")
    return text + ("" if need <= cells else " (does not fit: exported with --no-fit-check)")


def live_port_bits(netlist: Netlist, raw_bits: int | None = None) -> int:
    """How many bits of the input port reach an output (live_port_mask)."""
    return int(live_port_mask(netlist, raw_bits).sum())


def live_port_mask(netlist: Netlist, raw_bits: int | None = None) -> np.ndarray:
    """Which bits of the input port the design reads: the live input bits, or in a raw-input build
    (``raw_bits`` B) the top comparator_support bits of each feature that a live, non-constant
    comparator reads (the RTL's comparator names exactly those: backend.verilog.encoder.comparator_expr)."""
    live = netlist.live_signals()[: netlist.num_inputs]
    if raw_bits is None:
        return live.astype(bool)
    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    mask = np.zeros(encoding.num_features * raw_bits, dtype=bool)
    for i in np.flatnonzero(live).tolist():
        k = comparator_support(float(encoding.threshold[i]), raw_bits)
        if k:  # the comparator names the top k bits of its feature (comparator_expr)
            f = int(encoding.feature[i])
            mask[(f + 1) * raw_bits - k: (f + 1) * raw_bits] = True
    return mask


def shift_register_bits(live: np.ndarray, serial_bits: int) -> int:
    """Flip-flops the serial top's shift register keeps for the live port bits ``live``: data enters at
    the top and moves down ``serial_bits`` per cycle, so a live bit p needs every stage p, p + S, ... up
    to the top of the buffer (ceil(n / S) * S bits)."""
    chunks = -(-len(live) // serial_bits)
    total = 0
    for lane in range(serial_bits):
        positions = np.flatnonzero(live[lane::serial_bits])
        if positions.size:
            total += chunks - int(positions[0])
    return total
