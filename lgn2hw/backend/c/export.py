"""``lgn2hw export --target c``: a compiled directory becomes a folder with the C library, a Makefile,
an example program that checks itself, and a README (docs/c-backend.md).

The folder is written through fsutil.output_dir (new, empty or an earlier lgn2hw output; a failure
leaves the previous contents; files lgn2hw did not write are never replaced) and its files are
byte-identical for identical inputs: the example's samples come from a seeded generator and their
expected scores from lgn2hw's netlist simulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ...errors import ConfigError
from ...fsutil import check_export_path, output_dir, require_free_space
from ...ir.build_dir import BuildDir
from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist
from ...ir.simulate import Simulator
from .lower import CModel, lower
from .print import ExampleVectors, render_library

EXAMPLE_SAMPLES = 16


@dataclass
class CExportResult:
    """What export_c wrote."""

    exportdir: str
    variants: list[str]  # "batch", "single"
    entry_points: list[str]
    num_gates: int
    evaluated_gates: int | None  # the batch table (copies and unread gates are not evaluated)
    rows: int | None  # rows of the batch variant's value buffer
    samples: int
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        variants = " + ".join(self.variants)
        return (f"export c: {variants} variant{'s' if len(self.variants) > 1 else ''} of {self.num_gates:,} gates "
                f"({', '.join(self.entry_points)}), {len(self.files)} files, example with {self.samples} samples "
                f"-> {self.exportdir}")


def example_vectors(netlist: Netlist, count: int = EXAMPLE_SAMPLES, seed: int = 0) -> ExampleVectors:
    """Seeded samples for the example program (raw uint8 features when the netlist has an input
    encoding, else input bits) and the scores the netlist simulator gives them."""
    rng = np.random.default_rng(seed)
    features = None
    if netlist.input_encoding is not None:
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
        features = rng.integers(0, 256, size=(count, encoding.num_features), dtype=np.uint8)
        bits = encoding.encode(features)
        kind = f"uniformly random, seed {seed}"
    else:
        bits = rng.integers(0, 2, size=(count, netlist.num_inputs), dtype=np.uint8)
        kind = f"uniformly random bits, seed {seed}"
    scores = Simulator(netlist).scores(bits)
    packed = np.packbits(bits, axis=1, bitorder="little")
    return ExampleVectors.from_arrays(kind, features, packed, scores)


def export_c(outdir: str | os.PathLike, exportdir: str | os.PathLike, variant: str = "auto",
             samples: int = EXAMPLE_SAMPLES, seed: int = 0, force: bool = False) -> CExportResult:
    """Write the C folder for the compiled directory ``outdir`` into ``exportdir``, which must be new,
    empty or an earlier lgn2hw output (``force``: fsutil.output_dir). ``variant``: auto (both, or batch
    alone for a netlist too large for the single-sample variant), both, batch or single. Raises a typed
    error (lgn2hw.errors) on bad input; nothing is written then."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ConfigError(f"the example needs at least 1 sample, got {samples!r}")
    build = BuildDir.open(outdir, need_rtl=False)
    check_export_path(outdir, exportdir, force)
    model = lower(build.netlist, variant)
    files = render_library(model, example_vectors(build.netlist, int(samples), seed))
    require_free_space(exportdir, sum(len(text.encode()) for text in files.values()), "the C library")
    with output_dir(exportdir, "export", force) as out:
        for name, text in files.items():
            (out.staging / name).write_text(text)
    return _result(str(exportdir), model, int(samples), sorted(files))


def _result(exportdir: str, model: CModel, samples: int, files: list[str]) -> CExportResult:
    p = model.prefix
    variants, entry = [], []
    if model.batch:
        variants.append("batch")
        entry += ([f"{p}_predict_raw"] if model.encode else []) + [f"{p}_predict_bits"]
    if model.single:
        variants.append("single-sample")
        entry += ([f"{p}_classify_raw"] if model.encode else []) + [f"{p}_classify_bits"]
    return CExportResult(exportdir, variants, entry, model.num_gates, model.batch.evaluated if model.batch else None,
                         model.batch.num_rows if model.batch else None, samples, files)
