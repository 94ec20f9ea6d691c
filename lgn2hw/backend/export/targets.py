"""One Target per vendor flow: its default part, how a part is checked, and the build files it writes.

A target turns an export plan (what is exported: top module, RTL files, clock, IO) into the
vendor-specific files: constraints and a build script (Vivado TCL + XDC, Quartus TCL + SDC, a
yosys/nextpnr Makefile + PCF, or a generic yosys Makefile), rendered from templates/export/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import ConfigError

# User IO pins per iCE40 device-package (Lattice iCE40 LP/HX and UltraPlus data sheets).
ICE40_PACKAGE_IO = {
    "hx1k-tq144": 95,
    "hx8k-bg121": 93,
    "hx8k-cb132": 95,
    "hx8k-ct256": 206,
    "up5k-sg48": 39,
}
# Logic cells (a LUT4 and a flip-flop each) per iCE40 device, by the device part of the --part name.
ICE40_LOGIC_CELLS = {"hx1k": 1_280, "hx8k": 7_680, "up5k": 5_280}
# Quartus DEVICE prefixes -> FAMILY (the project needs both); other parts get no FAMILY line.
QUARTUS_FAMILIES = (
    ("5CS", "Cyclone V"), ("5CE", "Cyclone V"), ("5CG", "Cyclone V"), ("10CL", "Cyclone 10 LP"),
    ("EP4CE", "Cyclone IV E"), ("EP4CGX", "Cyclone IV GX"), ("10M", "MAX 10"), ("5AG", "Arria V"),
    ("5SG", "Stratix V"),
)
_PART = re.compile(r"[A-Za-z0-9_\-]+\Z")


@dataclass(frozen=True)
class Target:
    """A vendor flow: ``name`` (the --target value), ``default_part``, and whether a part applies."""

    name: str
    default_part: str
    takes_part: bool = True
    package_io: dict | None = None  # part -> user IO pins, where the pin budget is known (iCE40)
    logic_cells: dict | None = None  # device (the part before '-') -> logic cells, where known (iCE40)
    family: str = ""  # the device family as vendors write it, for messages

    @property
    def label(self) -> str:
        return self.family or self.name

    def check_part(self, part: str | None) -> str:
        """The part to build for: the default, or ``part`` checked (ConfigError when it cannot be)."""
        if part is None or part == "":
            return self.default_part
        if not self.takes_part:
            raise ConfigError(f"--part does not apply to the {self.name} target (a device-independent LUT6 count)")
        if not isinstance(part, str) or not _PART.match(part):
            raise ConfigError(f"invalid part {part!r}: letters, digits, '-' and '_' only")
        if self.package_io is not None:
            part = part.lower()
            if part not in self.package_io:
                raise ConfigError(f"unknown {self.label} part {part!r}: choose from {', '.join(self.package_io)} "
                                  "(device-package, as nextpnr-ice40 --DEVICE --package PACKAGE)")
        return part

    def build_files(self, render, plan) -> dict[str, str]:
        """{relative path: text} of the constraints and build script for ``plan`` (an ExportPlan)."""
        context = plan.template_context()
        top = plan.top
        if self.name == "vivado":
            return {f"constraints/{top}.xdc": render("vivado.xdc.j2", **context),
                    "build.tcl": render("vivado.tcl.j2", **context)}
        if self.name == "quartus":
            return {f"constraints/{top}.sdc": render("quartus.sdc.j2", **context),
                    "build.tcl": render("quartus.tcl.j2", family=quartus_family(plan.part),
                                        virtual_ports=_quartus_virtual_ports(plan), **context)}
        device, _, package = plan.part.partition("-")
        files = {}
        if self.name == "ice40":
            files[f"constraints/{top}.pcf"] = render("ice40.pcf.j2", ports=_port_list(plan), package=package,
                                                     package_io=plan.package_io, **context)
        files["Makefile"] = render("Makefile.j2", device=device, package=package, **context)
        return files


TARGETS_BY_NAME = {
    "vivado": Target("vivado", "xc7a35tcpg236-1"),
    "quartus": Target("quartus", "5CSEMA5F31C6"),
    "ice40": Target("ice40", "hx8k-ct256", package_io=ICE40_PACKAGE_IO, logic_cells=ICE40_LOGIC_CELLS, family="iCE40"),
    "generic": Target("generic", "", takes_part=False),
}
TARGETS = tuple(TARGETS_BY_NAME)
DEFAULT_PARTS = {name: t.default_part for name, t in TARGETS_BY_NAME.items()}


def get_target(name: str) -> Target:
    if name not in TARGETS_BY_NAME:
        raise ConfigError(f"unknown export target {name!r}: choose from {', '.join(TARGETS)}")
    return TARGETS_BY_NAME[name]


def quartus_family(part: str) -> str:
    for prefix, family in QUARTUS_FAMILIES:
        if part.upper().startswith(prefix):
            return family
    return ""


def _quartus_virtual_ports(plan) -> list[str]:
    n, port, score_bits, id_width = plan.num_inputs, plan.input_port, plan.score_bits, plan.id_width
    return ["rst", "in_valid", f"{port}[*]" if n > 1 else port, "out_valid",
            "scores[*]" if score_bits > 1 else "scores", "class_id[*]" if id_width > 1 else "class_id"]


def _port_list(plan) -> list[str]:
    n, serial_bits, score_bits, id_width = plan.num_inputs, plan.serial_bits, plan.score_bits, plan.id_width
    if plan.serial:
        inputs = ["clk", "rst", f"in_data[{serial_bits - 1}:0]" if serial_bits > 1 else "in_data", "in_shift", "in_valid"]
    else:
        inputs = ["clk", "rst", "in_valid", f"{plan.input_port}[{n - 1}:0]" if n > 1 else plan.input_port]
    outputs = ["out_valid", f"scores[{score_bits - 1}:0]" if score_bits > 1 else "scores",
               f"class_id[{id_width - 1}:0]" if id_width > 1 else "class_id"]
    return [f"input  {p}" for p in inputs] + [f"output {p}" for p in outputs]
