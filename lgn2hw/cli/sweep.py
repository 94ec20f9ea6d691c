"""``lgn2hw sweep``: estimators x temperatures (x seeds), resumable."""

from __future__ import annotations

from pathlib import Path

import click

from ..frontend.methods import ESTIMATORS
from .options import comma_list, settings_from, sweep_training_options


@click.command()
@sweep_training_options
@click.option("--estimators", default=",".join(ESTIMATORS), show_default=True, callback=comma_list(str),
              help="Comma-separated estimators, each trained without CAGE at every temperature.")
@click.option("--temperatures", default="0.1,0.3,1,3", show_default=True, callback=comma_list(float),
              help="Comma-separated softmax temperatures T (forward for soft methods, backward for straight-through).")
@click.option("--seeds", default="0", show_default=True, callback=comma_list(int),
              help="Comma-separated seeds; the table shows mean ± std over them.")
@click.option("--cage-variants", default="hard-st,gumbel-st", show_default=True, callback=comma_list(str),
              help="Straight-through estimators also trained with CAGE, once per seed (CAGE sets the backward "
                   "temperature itself); 'none' for no CAGE runs.")
@click.option("--keep-checkpoints", is_flag=True, default=False, help="Save every run's model.pt.")
@click.option("--no-plots", is_flag=True, default=False, help="Write the table only (no matplotlib needed).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Sweep directory: sweep.json, runs/<run-id>/, results.csv/.md and plots. Re-running resumes.")
def sweep(output: Path, estimators, temperatures, seeds, cage_variants, keep_checkpoints: bool, no_plots: bool,
          no_progress: bool, **kw) -> None:
    """Train estimators x temperatures (x seeds) and tabulate hard accuracy and selection gap.

    Reproduces the estimator comparison of Kim 2026 (docs/sweep.md). Finished runs are kept under
    OUTDIR/runs/ and skipped when the same command runs again; other training settings for an existing
    OUTDIR are refused.

    \b
    Example:
      lgn2hw sweep --preset tiny --temperatures 0.1,1 --estimators hard-st,soft-mix -o runs/sweep
    """
    from ..frontend import distributed
    from ..frontend.sweep import SweepConfig, run_sweep

    if distributed.launched_by_torchrun():
        raise click.ClickException("sweep does not train data-parallel (every process would run the whole grid); "
                                   "run it without torchrun")
    kw.update(seed=0, estimator="hard-st", cage=None, temperature=1.0)
    settings = settings_from(kw)
    cage = () if cage_variants == ("none",) else cage_variants
    config = SweepConfig(settings, estimators=estimators, temperatures=temperatures, seeds=seeds,
                         cage_estimators=cage, keep_checkpoints=keep_checkpoints)
    result = run_sweep(config, output, progress=not no_progress, plots=not no_plots, echo=click.echo)
    click.echo(result.summary())

