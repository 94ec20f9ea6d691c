"""The HDL simulators cocotb drives for lgn2hw: their names, and finding the one asked for."""

from __future__ import annotations

from ..errors import ConfigError
from . import icarus, verilator
from .icarus import Icarus, find_icarus
from .verilator import VerilatorInstall, find_verilator

SIMULATORS = ("icarus", "verilator")
WAVE_SUFFIX = {"icarus": icarus.WAVE_SUFFIX, "verilator": verilator.WAVE_SUFFIX}  # waveform file per simulator


def require_simulator(simulator: str) -> Icarus | VerilatorInstall:
    """The installation of ``simulator``, checked to be usable: ConfigError for a simulator lgn2hw
    does not support, ToolError (one line saying what to install) when its tools are missing."""
    if simulator not in SIMULATORS:
        raise ConfigError(f"simulator {simulator!r} is not supported; use one of {', '.join(SIMULATORS)}")
    return find_verilator() if simulator == "verilator" else find_icarus()
