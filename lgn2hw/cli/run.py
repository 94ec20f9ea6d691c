"""``lgn2hw run``: train, compile and verify in one go (the README demo)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import settings_from, training_options
from .types import SECONDS, count, max_jobs


@click.command()
@training_options
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output directory for model.pt, model.metrics.jsonl and rtl/: new, empty, or one lgn2hw wrote "
                   "before (all written together at the end; files lgn2hw did not write are kept).")
@click.option("--force", is_flag=True, default=False,
              help="Also write into a non-empty directory lgn2hw did not write (its files are never replaced).")
@click.option("-O", "opt_level", type=click.IntRange(0, 2), default=2, show_default=True, help="Optimization level.")
@click.option("--module-name", default="lgn_top", show_default=True, help="Verilog top module name.")
@click.option("--vectors", type=count(1), default=None, help="Verify on the first N test vectors only [default: all].")
@click.option("--pipeline", type=count(0, 1_000_000), default=0, show_default=True,
              help="Register every N logic levels of the gate core, plus after the popcount and the argmax (compile --pipeline).")
@click.option("--simulator", type=click.Choice(["icarus", "verilator"]), default="icarus", show_default=True,
              help="Simulator for the verification (checked before training starts).")
@click.option("-j", "--jobs", type=count(1, max_jobs()), default=None,
              help="Parallel simulations [default: one per CPU, at most 8, each with >= 500 vectors].")
@click.option("--timeout", "timeout_s", type=SECONDS, default=3600.0, show_default=True,
              help="Seconds the verification may take; past it: an error, never a pass.")
@click.option("--raw-inputs", is_flag=True, default=False,
              help="Put the input encoder into the RTL: uint8 features in (compile --raw-inputs).")
@click.option("--synth", "synth", is_flag=True, default=False,
              help="After verifying, count LUT6 with Yosys synth -lut 6 (full design, gate core, head, encoder) "
                   "into rtl/synth.json, as lgn2hw synth --flow generic.")
def run(output: Path, opt_level: int, module_name: str, vectors, force: bool, pipeline: int, simulator: str, jobs,
        timeout_s: float, raw_inputs: bool, synth: bool, no_progress: bool, **kw) -> None:
    """Whole path: train, freeze, optimize, emit Verilog and verify it bit-exact (Icarus or Verilator).

    \b
    Example (the README demo):
      lgn2hw run --preset demo -o runs/demo
      lgn2hw run --preset tiny --pipeline 2 --simulator verilator -o runs/tiny_piped
      lgn2hw run --preset fashion-small --raw-inputs --synth -o runs/small
    """
    from ..flows.run import run_all
    from ..frontend import distributed

    if distributed.launched_by_torchrun():
        raise click.ClickException("run does not train data-parallel; use `torchrun ... -m lgn2hw.cli train`, then compile and verify")
    settings = settings_from(kw)
    result = run_all(settings, output, opt_level=opt_level, module_name=module_name, vectors=vectors,
                     progress=not no_progress, echo=click.echo, force=force,
                     pipeline=pipeline, simulator=simulator, jobs=jobs, timeout_s=timeout_s,
                     raw_inputs=raw_inputs, synth=synth)
    if not result.verify.passed:
        raise click.ClickException("RTL does not match the Python reference")
    click.echo(f"done: {output}")

