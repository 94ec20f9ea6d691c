"""Imports point down the stack (../shared/docs/architecture.md): a module never imports a stage above it.

    base (errors, fsutil, limits, resources)  <-  toolchain, ir  <-  frontend, passes, backend  <-  check
      <-  flows  <-  cli

Within a layer, the stages of the middle row do not import each other (a pass needs no training code,
a back end no pass), with one documented exception: none yet. Every ``import`` and ``from ... import``
of every module under lgn2hw/ is read from its syntax tree, including imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lgn2hw

PACKAGE = Path(lgn2hw.__file__).parent
BASE = {"errors", "fsutil", "limits", "resources", "__init__"}
# stage -> the stages it may import (besides itself and the base modules)
ALLOWED = {
    "toolchain": set(),
    "ir": set(),
    "frontend": {"ir"},
    "passes": {"ir"},
    "backend": {"ir", "toolchain"},
    "check": {"ir", "toolchain", "frontend", "passes", "backend"},
    "flows": {"ir", "toolchain", "frontend", "passes", "backend", "check"},
    "cli": {"ir", "toolchain", "frontend", "passes", "backend", "check", "flows"},
    "__main__": {"cli"},  # python -m lgn2hw
}


def _stage(module: str) -> str:
    """'lgn2hw.check.cosim.run' -> 'check'; base modules -> 'base'."""
    parts = module.split(".")
    if len(parts) < 2:
        return "base"
    return "base" if parts[1] in BASE else parts[1]


def _module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _imports(path: Path) -> list[tuple[int, str]]:
    module, is_package = _module_name(path)
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "lgn2hw" or target.startswith("lgn2hw."):
                # "from lgn2hw import frontend" / "from .. import flows" name a stage too
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    found.append((node.lineno, full if _stage(full) in ALLOWED else target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("lgn2hw")]
    return found


def layering_violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module, _ = _module_name(path)
        stage = _stage(module)
        for line, target in _imports(path):
            other = _stage(target)
            if other in ("base", stage):
                continue
            if stage == "base" or other not in ALLOWED.get(stage, set()):
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {stage} imports {target} ({other})")
    return problems


def test_every_stage_is_known():
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    stages |= {p.stem for p in PACKAGE.glob("*.py")} - BASE
    assert stages <= set(ALLOWED), f"add the new stage to ALLOWED: {sorted(stages - set(ALLOWED))}"


def test_imports_point_down_the_stack():
    assert layering_violations() == []


def test_a_violation_is_found(tmp_path, monkeypatch):
    """The check itself: an import against the arrow in a module of the middle row is reported."""
    fake = tmp_path / "lgn2hw"
    (fake / "ir").mkdir(parents=True)
    (fake / "flows").mkdir()
    for d in (fake, fake / "ir", fake / "flows"):
        (d / "__init__.py").write_text("")
    (fake / "ir" / "bad.py").write_text("from ..flows import compile\nfrom . import gates\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    assert layering_violations() == ["lgn2hw/ir/bad.py:1: ir imports lgn2hw.flows.compile (flows)"]
