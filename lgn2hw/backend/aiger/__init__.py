"""AIGER back end: a netlist's whole classifier as a binary AIGER and-inverter graph (docs/aiger.md).

Lower, then print: graph.py (the AIG under construction: structural hashing, constant folding),
lower.py (gates from the gate table, comparators of raw-input builds, popcounts, argmax -> AigModel),
write.py (the binary AIGER bytes), export.py (the folder ``lgn2hw export --target aiger`` writes).
lgn2hw.ir.aiger reads and simulates the file; lgn2hw.check.aiger proves it equal to the Verilog.
"""

from .export import AIG_FILE, AigerExport, export_aiger, export_files, plan_aiger, write_aiger_export
from .lower import OUTPUT_KINDS, AigModel, lower
from .write import aiger_bytes

__all__ = ["AIG_FILE", "OUTPUT_KINDS", "AigModel", "AigerExport", "aiger_bytes", "export_aiger", "export_files",
           "lower", "plan_aiger", "write_aiger_export"]
