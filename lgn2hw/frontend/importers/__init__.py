"""Importers: networks trained by other tools, turned into lgn2hw netlists (docs/difflogic-import.md)."""

from .difflogic import DifflogicModel, import_difflogic, is_difflogic_state, load_difflogic_file

__all__ = ["DifflogicModel", "import_difflogic", "is_difflogic_state", "load_difflogic_file"]
