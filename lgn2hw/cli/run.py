"""``lgn2hw run``: train, compile and verify in one go (the README demo)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import settings_from, training_options
from .types import count


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
def run(output: Path, opt_level: int, module_name: str, vectors, force: bool, no_progress: bool, **kw) -> None:
    """Whole path: train, freeze, optimize, emit Verilog and verify it bit-exact on Icarus.

    \b
    Example (the README demo):
      lgn2hw run --preset demo -o runs/demo
    """
    from ..backend.verilog import check_module_name
    from ..flows.run import run_all
    from ..frontend import distributed

    if distributed.launched_by_torchrun():
        raise click.ClickException("run does not train data-parallel; use `torchrun ... -m lgn2hw.cli train`, then compile and verify")
    check_module_name(module_name)
    settings = settings_from(kw)
    result = run_all(settings, output, opt_level=opt_level, module_name=module_name, vectors=vectors,
                     progress=not no_progress, echo=click.echo, force=force)
    if not result.verify.passed:
        raise click.ClickException("RTL does not match the Python reference")
    click.echo(f"done: {output}")

