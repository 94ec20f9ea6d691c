"""``lgn2hw explore``: a grid of architectures, accuracy against LUT6, the Pareto front (resumable)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import comma_list, settings_from, training_options
from .types import positive_float


def widths_grid(ctx, param, value):
    """``--widths-grid``: architectures separated by ';', each a comma-separated list of layer widths."""
    if value is None:
        return None
    grid = []
    for item in value.split(";"):
        if item.strip():
            try:
                grid.append(tuple(int(w) for w in item.split(",") if w.strip()))
            except ValueError:
                raise click.BadParameter(f"expected widths like '1000,1000,200;4000,4000,1000', got {value!r}") from None
    if not grid:
        raise click.BadParameter("no architectures given")
    return tuple(grid)


@click.command()
@training_options
@click.option("--widths-grid", required=True, callback=widths_grid, metavar="W1,W2,...;W1,W2,...",
              help="Architectures to train, ';'-separated, each its layer widths (the last divisible by the class count), "
                   "e.g. '1000,1000,200;4000,4000,1000'.")
@click.option("--thresholds-grid", default="3", show_default=True, callback=comma_list(int),
              help="Comma-separated thermometer threshold counts per pixel.")
@click.option("--connections-grid", default="learned", show_default=True, callback=comma_list(str),
              help="Comma-separated wiring kinds: random, learned.")
@click.option("--pools", default="16", show_default=True, callback=comma_list(int),
              help="Comma-separated candidate pool sizes for learned connections.")
@click.option("--synth", "synth_mode", type=click.Choice(["front", "all", "none"]), default="front", show_default=True,
              help="Which points Yosys counts (synth -lut 6): those on the front of the LUT6 estimate, all, or none "
                   "(the estimate alone).")
@click.option("--synth-timeout", type=positive_float(2_592_000.0), default=3600.0, show_default=True,
              help="Time limit for each point's Yosys runs, seconds.")
@click.option("--no-plots", is_flag=True, default=False, help="Write the tables only (no matplotlib needed).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Exploration directory: explore.json, points/<point>/, results.csv/.md, pareto.png, presets/. "
                   "Re-running resumes.")
def explore(output: Path, widths_grid, thresholds_grid, connections_grid, pools, synth_mode: str, synth_timeout: float,
            no_plots: bool, no_progress: bool, **kw) -> None:
    """Train a grid of architectures and report accuracy against LUT6 with its Pareto front.

    Every point is trained, compiled with its input encoder inside the RTL (uint8 pixels in, as
    compile --raw-inputs) and its LUT6 estimated; Yosys then counts the points on the estimated front
    (--synth). Finished points are kept under OUTDIR/points/ and skipped when the same command runs
    again (the grid may grow); each front point is saved as a preset file that lgn2hw train --preset
    FILE retrains (docs/pareto.md).

    \b
    Example:
      lgn2hw explore --widths-grid '1000,1000,200;4000,4000,1000' --connections-grid random,learned \\
          --epochs 5 -o runs/explore
    """
    from ..frontend import distributed
    from ..flows.explore import ExploreConfig, run_explore

    if distributed.launched_by_torchrun():
        raise click.ClickException("explore does not train data-parallel; run it without torchrun")
    grid_given = [name for name in ("widths", "layers", "width", "outputs_per_class", "connections", "pool")
                  if kw.get(name) is not None]
    if kw.get("thresholds") is not None:
        grid_given.append("thresholds")
    if grid_given:
        raise click.UsageError(f"--{grid_given[0].replace('_', '-')} is set per point by explore: use the --*-grid "
                               "options and --pools instead")
    if kw.get("arch") not in (None, "dense"):
        raise click.UsageError("explore trains dense networks (--widths-grid); convolutional ones are not explored")
    settings = settings_from(kw)
    # --tau (or a preset's) applies to every point; without it each point gets 0.8 x sqrt(outputs per class)
    tau = kw["tau"] if kw["tau"] is not None else (settings["tau"] if kw["preset"] else None)
    config = ExploreConfig(settings, widths=widths_grid, thresholds=thresholds_grid, connections=connections_grid,
                           pools=pools, synth=synth_mode, synth_timeout_s=synth_timeout, tau=tau)
    result = run_explore(config, output, progress=not no_progress, plots=not no_plots, echo=click.echo)
    click.echo(result.summary())
