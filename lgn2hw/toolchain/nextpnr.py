"""nextpnr (place and route): finding the binary for an architecture and running it with a deadline."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from .process import Deadline, ToolRun, run

INSTALL_HINTS = {
    "ice40": "install the Debian packages `nextpnr-ice40 fpga-icestorm` for place-and-route",
}


@dataclass(frozen=True)
class Nextpnr:
    arch: str  # "ice40", ...
    path: str
    name: str  # the command name, for reports ("nextpnr-ice40")

    def run(self, args: list[str], *, cwd, deadline: Deadline | None = None) -> ToolRun:
        return run([self.path, *args], what=self.name, deadline=deadline, cwd=cwd)


def find_nextpnr(arch: str) -> Nextpnr | None:
    """The nextpnr for ``arch`` on PATH, or None (place and route is optional: reports say why)."""
    name = f"nextpnr-{arch}"
    path = shutil.which(name)
    return Nextpnr(arch, path, name) if path else None


def missing_hint(arch: str) -> str:
    return f"nextpnr-{arch} not on PATH: " + INSTALL_HINTS.get(arch, f"install nextpnr-{arch} for place-and-route")
