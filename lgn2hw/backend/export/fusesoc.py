"""A FuseSoC core description (CAPI2 ``.core``) of an export, so edalize-based flows can take it.

The export's own build scripts (targets.py) stay the primary way to build: they have no dependency and
are checked in the tests. The .core names the same RTL in the same order, the same top module and
constraints, and maps the target to an edalize tool (vivado, quartus, icestorm) with the same part,
plus a Verilator lint target for every export. docs/export.md compares the two ways.
"""

from __future__ import annotations

import re

from ... import __version__
from .plan import ExportPlan
from .targets import quartus_family

# target -> (edalize tool, constraints file type); FLOWS: the targets edalize has a flow for (its newer
# interface; edalize 0.6 has none for Quartus, which keeps the tool interface)
EDALIZE_TOOLS = {"vivado": ("vivado", "xdc"), "quartus": ("quartus", "SDC"), "ice40": ("icestorm", "PCF")}
FLOWS = {"vivado": "vivado", "ice40": "icestorm"}
CONSTRAINT_SUFFIX = {"vivado": "xdc", "quartus": "sdc", "ice40": "pcf"}


def core_file_name(plan: ExportPlan) -> str:
    return f"{plan.top}.core"


def core_text(plan: ExportPlan, render) -> str:
    """The CAPI2 text for ``plan``: filesets rtl (+ constraints), targets default, lint and synth."""
    tool, file_type = EDALIZE_TOOLS.get(plan.target, (None, None))
    constraints = None
    if tool is not None:
        constraints = {"file": f"constraints/{plan.top}.{CONSTRAINT_SUFFIX[plan.target]}", "file_type": file_type}
    return render("core.j2", vlnv=vlnv(plan), top=plan.top, target=plan.target, rtl_files=list(plan.rtl_files),
                  sim_models=list(plan.sim_models),
                  description=_yaml_string(f"Logic Gate Network {plan.module} ({plan.num_inputs} input bits, "
                                           f"{plan.num_classes} classes), registered IO, LATENCY {plan.latency}; "
                                           f"lgn2hw {__version__}"),
                  constraints=constraints, tool=tool, synth_target="synth" if tool else None, flow=FLOWS.get(plan.target),
                  tool_options=_tool_options(plan, tool))


def vlnv(plan: ExportPlan) -> str:
    """vendor:library:name:version; a FuseSoC name must be letters, digits, '_' and '-'."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", plan.top)
    return f"lgn2hw:lgn:{name}:{__version__}"


def _tool_options(plan: ExportPlan, tool: str | None) -> list[tuple[str, str]]:
    if tool == "vivado":
        return [("part", plan.part)]
    if tool == "quartus":
        family = quartus_family(plan.part)
        return ([("family", _yaml_string(family))] if family else []) + [("device", plan.part)]
    if tool == "icestorm":
        device, _, package = plan.part.partition("-")
        # as the Makefile: pins are board specific (unconstrained ones are placed freely), and a design that
        # misses the clock still routes and reports its Fmax
        options = f"[--{device}, --package, {package}, --freq, {plan.clock_mhz:g}, --pcf-allow-unconstrained, --timing-allow-fail]"
        return [("pnr", "next"), ("nextpnr_options", options)]
    return []


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
