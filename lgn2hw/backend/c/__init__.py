"""The C back end: a netlist as a self-contained C99 classifier library (docs/c-backend.md).

kernels.py (gate expressions from the gate table) -> schedule.py (the batch variant's evaluation plan)
and encode.py (raw features -> input bits) -> lower.py (the records) -> print.py (Jinja templates in
templates/c/) -> export.py (the folder ``lgn2hw export --target c`` writes); library.py loads a built
library with ctypes. Building it (the compiler, the cache) is lgn2hw.flows.predict's job.
"""

from .export import CExportResult, export_c
from .library import CLibrary
from .lower import VARIANTS, lower
from .print import render_sources

__all__ = ["CExportResult", "CLibrary", "VARIANTS", "export_c", "lower", "render_sources"]
