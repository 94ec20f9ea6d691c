"""Locate the files that ship beside the code: Jinja templates and cocotb testbenches.

Both live at the top of the repository (templates/, hw_tests/) and are installed as the packages
lgn2hw.templates and lgn2hw.hw_tests; this finds them either way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_dir(package: str, checkout_name: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return _CHECKOUT / checkout_name


def templates_dir() -> Path:
    """Directory holding the Jinja Verilog templates."""
    return _package_dir("lgn2hw.templates", "templates")


def hw_tests_dir() -> Path:
    """Directory holding the cocotb testbench modules."""
    return _package_dir("lgn2hw.hw_tests", "hw_tests")
