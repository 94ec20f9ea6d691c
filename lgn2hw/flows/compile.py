"""Compile: checkpoint or netlist.json -> frozen netlist -> optimized netlist -> RTL, with checks.

The output directory holds ``netlist.json`` (the optimized netlist, contract format), the RTL
(``<module>.v``) and ``compile_report.json`` (gate counts, per-pass report, stage times, agreement
checks). It is written atomically: on any error nothing is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..backend.verilog import RAW_BITS, check_module_name, check_pipeline, check_raw_inputs, pipeline_latency, write_rtl
from ..check.agreement import check_agreement
from ..errors import CheckpointError, ConfigError
from ..fsutil import atomic_file, check_output_path, output_dir, require_free_space
from ..ir.build_dir import (BUILD_METADATA_KEYS, DEFAULT_POPCOUNT, NETLIST_FILE, POPCOUNT_CHOICES, RAW_NETLIST_FILE,
                            REPORT_FILE, RawInputs)
from ..ir.netlist import Netlist
from ..passes.manager import OptimizeReport, optimize


@dataclass
class Source:
    """What compile starts from: a netlist, and the trained model when there is one."""

    netlist: Netlist
    model: object | None
    path: Path
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_source(path: str | os.PathLike, num_classes: int | None = None, num_inputs: int | None = None) -> Source:
    """Load an lgn2hw checkpoint (.pt), a difflogic checkpoint (state dict + saved wiring,
    docs/difflogic-import.md) or a netlist.json; the format is told by content, not by name.

    ``num_classes`` / ``num_inputs`` supply what a difflogic state dict lacks; for other sources they
    must match the file (ConfigError otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    sha = file_sha256(path)
    if head.startswith(b"{"):
        return _given_match(Source(Netlist.load(path), None, path, sha), num_classes, num_inputs)
    # torch is needed only from here on (a netlist.json compiles without it: pip install lgn2hw)
    from ..frontend.checkpoint import Checkpoint, load_weights_only
    from ..frontend.freeze import freeze
    from ..frontend.importers.difflogic import import_difflogic, is_difflogic_state

    doc = load_weights_only(path)  # read once: told apart by content below
    if is_difflogic_state(doc):
        netlist, model = import_difflogic(doc, num_classes=num_classes, num_inputs=num_inputs, source=str(path))
        return Source(netlist, model, path, sha)
    checkpoint = Checkpoint.from_doc(doc, path)
    metadata = {"dataset": checkpoint.dataset} if checkpoint.dataset else {}
    netlist = freeze(checkpoint.model, checkpoint.input_encoding, metadata)
    return _given_match(Source(netlist, checkpoint.model, path, sha), num_classes, num_inputs)


def _given_match(source: Source, num_classes: int | None, num_inputs: int | None) -> Source:
    for name, given in (("num_classes", num_classes), ("num_inputs", num_inputs)):
        actual = getattr(source.netlist, name)
        if given is not None and given != actual:
            raise ConfigError(
                f"{source.path}: --{name.replace('_', '-')} {given} does not match the file ({actual}); "
                "the option is needed only for difflogic checkpoints"
            )
    return source


@dataclass
class CompileResult:
    outdir: Path
    raw: Netlist
    netlist: Netlist
    report: OptimizeReport
    files: list[Path]
    seconds: dict[str, float]
    checks: dict = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # an earlier build's own files that no longer apply

    def summary(self) -> str:
        r = self.report
        return (
            f"compiled {self.raw.num_gates:,} -> {self.netlist.num_gates:,} gates "
            f"(-O{r.level}, {100.0 * self.netlist.num_gates / max(1, self.raw.num_gates):.1f}% kept, "
            f"depth {r.depth_before} -> {r.depth_after}) into {self.outdir}"
        )


# Bytes a compile writes per gate, a little below what the demo models take (raw_netlist.json 22,
# netlist.json 24-31, the Verilog 77-112 bytes a gate): the free-space check must not refuse a build that
# would have fit.
RAW_NETLIST_BYTES_PER_GATE = 20
NETLIST_BYTES_PER_GATE = 20
RTL_BYTES_PER_GATE = 60


def output_bytes_estimate(raw: Netlist, optimized: Netlist) -> int:
    """What ``compile_source`` will write, estimated from the gate counts (a lower bound in practice)."""
    return (RAW_NETLIST_BYTES_PER_GATE * raw.num_gates
            + (NETLIST_BYTES_PER_GATE + RTL_BYTES_PER_GATE) * optimized.num_gates)


def compile_source(
    source_path: str | os.PathLike,
    outdir: str | os.PathLike,
    opt_level: int = 2,
    module_name: str = "lgn_top",
    check_vectors: int | None = 10000,
    data_dir=None,
    progress=None,
    pipeline: int = 0,
    num_classes: int | None = None,
    num_inputs: int | None = None,
    raw_inputs: bool = False,
    raw_bits: int = RAW_BITS,
    force: bool = False,
    on_stage=None,
    popcount: str = DEFAULT_POPCOUNT,
) -> CompileResult:
    """Freeze (if a checkpoint), optimize, check and emit into ``outdir`` (atomically).

    Checks before anything is written: Python hard inference (when a model is given), the raw netlist
    and the optimized netlist must give identical class scores on ``check_vectors`` vectors.
    ``raw_inputs``: the RTL takes ``raw_bits``-bit raw features and compares them with the
    input_encoding itself (EmitError, nothing written, when the model has no encoding); stored as
    "raw_inputs" in netlist.json's metadata so that verify drives raw features.
    ``popcount``: how the head sums each class (POPCOUNT_CHOICES; stored as "popcount" in the metadata
    when not the default, so that verify, formal, synth and export know the RTL's primitives).
    ``outdir`` must be new, empty or an earlier lgn2hw output (fsutil.output_dir; ``force`` writes into
    another directory without touching files lgn2hw did not write); checked before any work.
    ``on_stage(text)`` hears which stage runs (for a status line); ``progress(PassRun)`` every pass.
    """
    stage = on_stage or (lambda text: None)
    check_module_name(module_name)
    check_output_path(outdir, "compile", force)
    pipeline = check_pipeline(pipeline)  # EmitError "pipeline depth must be >= 0" before any work
    if popcount not in POPCOUNT_CHOICES:
        raise ConfigError(f"--popcount must be one of {', '.join(POPCOUNT_CHOICES)}, got {popcount!r}")
    seconds = {}
    t0 = time.perf_counter()
    stage(f"loading {Path(source_path).name}")
    source = load_source(source_path, num_classes=num_classes, num_inputs=num_inputs)
    raw = source.netlist
    # what a compiled build records about itself (pipeline, latency, raw-input port, ...) is made anew
    # for this build, never copied from a netlist.json given as the source
    raw.metadata = {k: v for k, v in raw.metadata.items() if k not in BUILD_METADATA_KEYS}
    if raw_inputs:
        raw_bits = check_raw_inputs(raw, raw_bits)
    seconds["load_freeze"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    stage(f"optimizing {raw.num_gates:,} gates (-O{opt_level})")
    report = optimize(raw, level=opt_level, progress=progress)
    optimized = report.netlist
    optimized.metadata.update(
        {
            "source": source.path.name,
            "source_sha256": source.sha256,
            "opt_level": opt_level,
            "raw_gates": raw.num_gates,
            "module_name": module_name,
            "lgn2hw_version": __version__,
        }
    )
    if pipeline:  # only pipelined builds carry it, so combinational outputs stay as they were
        optimized.metadata["pipeline"] = pipeline
        optimized.metadata["latency"] = pipeline_latency(optimized, pipeline, raw_inputs=raw_inputs)
    if raw_inputs:
        optimized.metadata["raw_inputs"] = RawInputs.for_netlist(optimized, raw_bits).to_metadata()
    if popcount != DEFAULT_POPCOUNT:  # only such builds carry it, so default outputs stay as they were
        optimized.metadata["popcount"] = popcount
    seconds["optimize"] = time.perf_counter() - t0
    # before the agreement check and the emitter, the long part: is there room for what they write?
    require_free_space(outdir, output_bytes_estimate(raw, optimized), "the compiled netlists and RTL")

    checks = {}
    if check_vectors:
        t0 = time.perf_counter()
        stage(f"checking Python == netlist == optimized netlist on {check_vectors:,} vectors")
        checks = check_agreement(source.model, raw, optimized, check_vectors, data_dir)
        seconds["check"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    header = {
        "source": source.path.name,
        "source_sha256": source.sha256,
        "opt_level": f"-O{opt_level}",
        "gates": f"{raw.num_gates} raw, {optimized.num_gates} optimized",
        "generator": f"lgn2hw {__version__}",
    }
    if pipeline:
        header["pipeline"] = pipeline
    rtl_options = {"raw_inputs": True, "raw_bits": raw_bits} if raw_inputs else {}
    if raw_inputs:
        header["raw_inputs"] = f"{raw_bits}-bit features"
    if popcount != DEFAULT_POPCOUNT:
        header["popcount"] = f"{popcount}: {POPCOUNT_CHOICES[popcount]}"
        rtl_options["popcount"] = popcount
    outdir = Path(outdir)
    stage(f"writing netlist.json and {module_name}.v")
    with output_dir(outdir, "compile", force) as out:
        tmp = out.staging
        optimized.save(tmp / NETLIST_FILE)
        raw.save(tmp / RAW_NETLIST_FILE)
        files = write_rtl(optimized, tmp, module_name=module_name, header=header, pipeline=pipeline, **rtl_options)
        seconds["emit"] = time.perf_counter() - t0
        doc = {
            "source": str(source.path),
            "source_sha256": source.sha256,
            "opt_level": opt_level,
            "module_name": module_name,
            "num_inputs": raw.num_inputs,
            "num_classes": raw.num_classes,
            "gates_raw": raw.num_gates,
            "gates_optimized": optimized.num_gates,
            "optimize": report.to_dict(),
            "checks": checks,
            "seconds": {k: round(v, 4) for k, v in seconds.items()},
        }
        with atomic_file(tmp / REPORT_FILE) as handle:
            handle.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    files = [outdir / f.name for f in files]
    return CompileResult(outdir, raw, optimized, report, files, seconds, checks, removed=out.removed)
