"""Locate the files that ship beside the code: Jinja templates and cocotb testbenches.

Both live at the top of the repository (templates/, hw_tests/) and are installed as the packages
lgn2hw.templates and lgn2hw.hw_tests; this finds them either way.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

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


@functools.cache
def hw_tests_contract() -> ModuleType:
    """hw_tests/contract.py, loaded from its file: the environment variables and file names that the
    testbenches read (they import it as the top-level module ``contract`` inside the simulator)."""
    path = hw_tests_dir() / "contract.py"
    spec = importlib.util.spec_from_file_location("lgn2hw_hw_tests_contract", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
