"""The printer: records in, Verilog text out, through the Jinja templates in templates/. Nothing else.

Every Verilog text lgn2hw writes is rendered here: the top module (TopModule ->
templates/lgn_top.v.j2), structural modules (StructuralModule -> templates/structural.v.j2) and the
vendor wrappers (templates/export/*.v.j2). The records decide every name, width and expression.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import jinja2

from ...fsutil import atomic_file
from ...resources import templates_dir
from .records import StructuralModule, TopModule

TOP_TEMPLATE = "lgn_top.v.j2"
STRUCTURAL_TEMPLATE = "structural.v.j2"


@cache
def _environment(directory: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(template: str, **context) -> str:
    """Render one of the Verilog templates (a path under templates/) with ``context``."""
    return _environment(str(templates_dir())).get_template(template).render(**context)


def print_top(module: TopModule) -> str:
    return render(TOP_TEMPLATE, **module.context())


def print_structural(module: StructuralModule) -> str:
    return render(STRUCTURAL_TEMPLATE, m=module)


def write_files(files: dict[str, str], outdir: str | os.PathLike) -> list[Path]:
    """Write {file name: text} atomically into ``outdir``; the written paths, sorted by name."""
    outdir = Path(outdir)
    paths = []
    for name in sorted(files):
        path = outdir / name
        with atomic_file(path) as handle:
            handle.write(files[name])
        paths.append(path)
    return paths
