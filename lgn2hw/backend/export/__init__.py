"""Vendor export: a compiled directory becomes a self-contained folder for Vivado, Quartus, iCE40 or yosys.

``export_build`` (export.py) plans the folder (plan.py), lets the target write its constraints and
build script (targets.py: one Target per vendor), and adds the verification folder (verification.py).
docs/export.md describes the folder.
"""

from .export import ExportResult, export_build
from .plan import DEFAULT_CLOCK_MHZ, DEFAULT_VECTORS, MAX_CLOCK_MHZ, SERIAL_BITS, ExportPlan, plan_export
from .targets import DEFAULT_PARTS, ICE40_PACKAGE_IO, TARGETS, Target, get_target

__all__ = ["DEFAULT_CLOCK_MHZ", "DEFAULT_PARTS", "DEFAULT_VECTORS", "ICE40_PACKAGE_IO", "MAX_CLOCK_MHZ", "SERIAL_BITS",
           "TARGETS", "ExportPlan", "ExportResult", "Target", "export_build", "get_target", "plan_export"]
