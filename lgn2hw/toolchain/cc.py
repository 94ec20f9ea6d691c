"""The system C compiler: finding it (``$CC``, else cc / gcc / clang on PATH), its version, and
compiling with a deadline through lgn2hw.toolchain.process.

``lgn2hw predict`` builds the generated C library with it (lgn2hw.flows.predict); the export folder's
Makefile uses whatever ``make`` finds, so nothing else here is needed by an export.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ToolError
from .process import Deadline, ToolRun, command_output, run

CANDIDATES = ("cc", "gcc", "clang")
INSTALL_HINT = "install a C compiler (apt-get install -y gcc) or set CC"
_ERROR_LINES = 8  # compiler output lines quoted in an error


@dataclass(frozen=True)
class CCompiler:
    """One C compiler: the command that runs it (``$CC`` may hold a launcher and flags) and its version."""

    argv: tuple[str, ...]
    version: str  # first line of ``--version``

    @property
    def name(self) -> str:
        return Path(self.argv[0]).name

    def compile(self, args: list[str], *, cwd, deadline: Deadline | None = None, what: str = "the C compiler") -> ToolRun:
        """Run the compiler with ``args``; ToolError quoting its first error lines when it fails."""
        result = run([*self.argv, *args], what=what, deadline=deadline, cwd=cwd)
        if result.returncode != 0:
            lines = [line for line in result.output.splitlines() if line.strip()]
            errors = [line for line in lines if "error" in line.lower()] or lines
            head = f"{self.name} failed (exit {result.returncode}) compiling {what}"
            if not errors:
                raise ToolError(f"{head} (no output)")
            raise ToolError(f"{head}:\n" + "\n".join(errors[:_ERROR_LINES]), summary=f"{head}: {errors[0]}")
        return result

    def accepts(self, flags: tuple[str, ...]) -> bool:
        """Whether the compiler builds an empty translation unit with ``flags`` (e.g. -march=native)."""
        return _accepts(self.argv, flags)


def find_cc(purpose: str = "building the C library") -> CCompiler:
    """The C compiler to use: ``$CC`` when set (it must run), else the first of cc, gcc, clang on
    PATH; ToolError (one line) when there is none."""
    configured = os.environ.get("CC", "").strip()
    if configured:
        argv = shlex.split(configured)
        if shutil.which(argv[0]) is None:
            raise ToolError(f"CC={configured!r} names no program on PATH: {purpose} needs a C compiler; {INSTALL_HINT}")
        return _describe(tuple(argv))
    for name in CANDIDATES:
        path = shutil.which(name)
        if path is not None:
            return _describe((path,))
    raise ToolError(f"no C compiler found ({', '.join(CANDIDATES)} not on PATH): {purpose} needs one; {INSTALL_HINT}")


@cache
def _describe(argv: tuple[str, ...]) -> CCompiler:
    lines = command_output([*argv, "--version"], timeout=30).strip().splitlines()
    return CCompiler(argv, lines[0] if lines else argv[0])


@cache
def _accepts(argv: tuple[str, ...], flags: tuple[str, ...]) -> bool:
    with tempfile.TemporaryDirectory(prefix="lgn2hw-cc-") as tmp:
        source = Path(tmp) / "probe.c"
        source.write_text("int lgn2hw_probe;\n")
        try:
            result = run([*argv, *flags, "-c", "-o", str(Path(tmp) / "probe.o"), str(source)],
                         what="a compiler probe", deadline=Deadline.after(60))
        except ToolError:
            return False
        return result.returncode == 0
