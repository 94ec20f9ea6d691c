"""The whole path in one call: train -> checkpoint -> compile (freeze, optimize, emit) -> verify (-> LUT count)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..backend.synth import synthesize
from ..backend.verilog import check_module_name, check_pipeline
from ..frontend.settings import CHECKPOINT_FILE, train_and_save
from ..frontend.train import TrainResult, format_epoch
from ..fsutil import check_output_path, output_dir
from ..toolchain.simulators import require_simulator
from ..toolchain.yosys import find_yosys
from .compile import CompileResult, compile_source
from .verify import verify_build

METRICS_FILE = "metrics.jsonl"
RTL_DIR = "rtl"


@dataclass
class RunResult:
    outdir: Path
    train: TrainResult
    compile: CompileResult
    verify: object
    synth: object = None


def run_all(
    settings: dict,
    outdir: str | os.PathLike,
    opt_level: int = 2,
    module_name: str = "lgn_top",
    vectors: int | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    force: bool = False,
    pipeline: int = 0,
    simulator: str = "icarus",
    jobs: int | None = None,
    timeout_s: float | None = None,
    raw_inputs: bool = False,
    synth: bool = False,
    synth_timeout_s: float = 1800.0,
) -> RunResult:
    """Train, compile and verify into ``outdir`` (model.pt, model.metrics.jsonl, rtl/...), all or nothing:
    ``outdir`` must be new, empty or an earlier lgn2hw output (``force``: see fsutil.output_dir).
    ``pipeline`` goes to compile, ``simulator``/``jobs``/``timeout_s`` to verify (None: as many shards
    as the machine allows). ``raw_inputs`` puts the input encoder into the RTL (uint8 features in, as
    compile --raw-inputs); ``synth`` then counts the design's LUT6 with Yosys (``synth -lut 6``: full
    design, gate core, head and encoder, as lgn2hw synth --flow generic) into rtl/synth.json. What the
    run will need (a writable output, the simulator, Yosys for ``synth``, a valid module name and
    pipeline depth) is checked before training starts."""
    outdir = Path(outdir)
    check_output_path(outdir, "run", force)
    check_module_name(module_name)
    pipeline = check_pipeline(pipeline)
    require_simulator(simulator)
    if synth:
        find_yosys("lgn2hw run --synth")
    # Check and verify on the same test vectors training reported accuracy on.
    vectors = vectors or settings.get("limit_test")
    with output_dir(outdir, "run", force) as out:
        tmp = out.staging
        trained, data = train_and_save(settings, tmp / CHECKPOINT_FILE, progress=progress, on_epoch=lambda r: echo(format_epoch(r)))
        last = trained.history[-1]
        echo(
            f"trained {trained.checkpoint.model.num_gates:,} gates in {trained.seconds:.0f} s "
            f"({trained.samples_per_second:,.0f} samples/s): soft test acc {100 * last['soft_test_acc']:.2f}%, "
            f"hard test acc {100 * last['hard_test_acc']:.2f}%"
        )
        compiled = compile_source(
            tmp / CHECKPOINT_FILE, tmp / RTL_DIR, opt_level=opt_level, module_name=module_name,
            check_vectors=vectors or data.test_bits.shape[0], data_dir=settings.get("data_dir"), pipeline=pipeline,
            raw_inputs=raw_inputs,
        )
        echo(compiled.report.format())
        echo(f"gates: {compiled.raw.num_gates:,} before optimization, {compiled.netlist.num_gates:,} after")
        checks = compiled.checks
        if checks:
            echo(f"python hard inference == netlist simulator == optimized netlist on {checks['vectors']:,} {checks['on']}")
        verified = verify_build(tmp / RTL_DIR, vectors=vectors, data_dir=settings.get("data_dir"), simulator=simulator,
                                jobs=jobs, timeout_s=timeout_s)
        echo(verified.summary())
        synthesized = None
        if synth and verified.passed:
            synthesized = synthesize(tmp / RTL_DIR, flows=("generic",), timeout_s=synth_timeout_s, pnr=False)
            echo(synthesized.summary())
    # Paths in the results name the final directory, not the temporary one.
    compiled.outdir = outdir / RTL_DIR
    compiled.files = [outdir / RTL_DIR / f.name for f in compiled.files]
    return RunResult(outdir, trained, compiled, verified, synthesized)
