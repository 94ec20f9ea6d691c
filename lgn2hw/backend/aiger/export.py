"""``lgn2hw export --target aiger``: a compiled directory becomes a folder with the classifier as
binary AIGER (``model.aig``), a README (ABC and Yosys commands) and ``aiger.json`` (docs/aiger.md).

``plan_aiger`` does everything that can fail on bad input (the compiled directory, the output path,
the lowering) before anything is written, so a caller can check the AIG in between (lgn2hw.check.aiger)
and ``write_aiger_export`` writes the folder through fsutil.output_dir: new, empty or an earlier lgn2hw
output; a failure leaves the previous contents; files lgn2hw did not write are never replaced. The
files are byte-identical for identical inputs (no timestamps, no machine paths).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache

import jinja2

from ... import __version__
from ...errors import ConfigError
from ...fsutil import check_export_path, output_dir, require_free_space
from ...ir.build_dir import BuildDir
from ...resources import templates_dir
from .lower import OUTPUT_KINDS, AigModel, lower
from .write import aiger_bytes

AIG_FILE = "model.aig"
INFO_FILE = "aiger.json"


@dataclass
class AigerExport:
    """A planned AIGER export: the compiled build, the model, the bytes, and where they go."""

    build: BuildDir
    exportdir: str
    model: AigModel
    data: bytes
    force: bool = False
    files: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> str:
        return "all" if any(name.startswith("class_id") for name in self.model.output_names) else "scores"

    def info(self) -> dict:
        m, netlist = self.model, self.build.netlist
        return {
            "format": "lgn2hw-aiger", "version": 1, "lgn2hw": __version__, "file": AIG_FILE,
            "netlist_sha256": netlist.sha256(), "module_name": self.build.module_name,
            "pipeline": self.build.options.pipeline, "raw_bits": m.raw_bits,
            "inputs": m.num_inputs, "outputs": len(m.outputs), "ands": len(m.ands), "latches": 0,
            "num_classes": m.num_classes, "score_width": m.score_width,
            "class_id_width": m.id_width if self.outputs == "all" else 0, "aiger_outputs": self.outputs,
        }

    def summary(self) -> str:
        m = self.model
        what = "scores and class_id" if self.outputs == "all" else "scores only"
        port = "in_features" if m.raw_bits else "in_bits"
        text = (f"export aiger: {len(m.ands):,} ANDs, {m.num_inputs} inputs ({port}), {len(m.outputs)} outputs "
                f"({what}), {len(self.files)} files -> {self.exportdir}")
        if self.build.options.pipeline:
            text += " (combinational: the build's pipeline latency is not represented)"
        return text


def plan_aiger(outdir: str | os.PathLike, exportdir: str | os.PathLike, outputs: str = "all",
               force: bool = False) -> AigerExport:
    """Open the compiled directory ``outdir``, check ``exportdir`` (writable, room for the files) and lower
    the classifier (``outputs``: "all" = scores and class_id, or "scores"); raises a typed error
    (lgn2hw.errors) on bad input."""
    if outputs not in OUTPUT_KINDS:
        raise ConfigError(f"--aiger-outputs must be one of {', '.join(OUTPUT_KINDS)}, got {outputs!r}")
    build = BuildDir.open(outdir, need_rtl=False)
    check_export_path(outdir, exportdir, force)
    raw = build.options.raw_inputs
    model = lower(build.netlist, raw.bits if raw else 0, outputs, build.options.pipeline)
    export = AigerExport(build, str(exportdir), model, aiger_bytes(model), force)
    require_free_space(exportdir, sum(len(data) for data in export_files(export).values()), "the AIGER export")
    return export


def export_files(export: AigerExport) -> dict[str, bytes]:
    """{name: bytes} of the folder."""
    info = export.info()
    readme = _environment().get_template("README.md.j2").render(
        i=info, m=export.model, port="in_features" if export.model.raw_bits else "in_bits", aig=AIG_FILE)
    return {AIG_FILE: export.data, "README.md": readme.encode(),
            INFO_FILE: (json.dumps(info, indent=1, sort_keys=True) + "\n").encode()}


def write_aiger_export(export: AigerExport) -> AigerExport:
    """Write the folder of ``export``; returns it with ``files`` filled in."""
    files = export_files(export)
    with output_dir(export.exportdir, "export", export.force) as out:
        for name, data in files.items():
            (out.staging / name).write_bytes(data)
    export.files = sorted(files)
    return export


def export_aiger(outdir: str | os.PathLike, exportdir: str | os.PathLike, outputs: str = "all",
                 force: bool = False) -> AigerExport:
    """plan_aiger, then write_aiger_export (no check in between)."""
    return write_aiger_export(plan_aiger(outdir, exportdir, outputs, force))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "aiger")),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                              lstrip_blocks=True, autoescape=False)
