"""Icarus Verilog (iverilog + vvp) for cocotb: finding it, and the options its runs take."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .process import require_tools

WAVE_SUFFIX = ".fst"


@dataclass(frozen=True)
class Icarus:
    """The Icarus Verilog on PATH: the compiler and the simulator cocotb's runner starts."""

    iverilog: str
    vvp: str
    name = "icarus"
    wave_suffix = WAVE_SUFFIX

    def child_env(self, env: dict) -> dict:
        """``env`` as it is: cocotb finds iverilog and vvp on PATH."""
        return dict(env)

    def wave_options(self, path: Path) -> dict:
        """The cocotb runner.test() arguments that write the waveform (FST) to ``path``."""
        return {"plusargs": [f"+dumpfile_path={path}"]}


def find_icarus() -> Icarus:
    """iverilog and vvp from PATH; ToolError naming the Debian package when either is missing."""
    iverilog, vvp = require_tools(("iverilog", "vvp"), package="iverilog")
    return Icarus(iverilog, vvp)
