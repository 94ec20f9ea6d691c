"""``lgn2hw train``: train a network and save a checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from .options import settings_from, training_options


@click.command()
@training_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Checkpoint file to write (its metrics go beside it as NAME.metrics.jsonl and NAME.metrics.csv).")
@click.option("--ddp", is_flag=True, default=False,
              help="Data-parallel over the processes torchrun started (gloo on CPU, nccl on CUDA); on by itself when "
                   "WORLD_SIZE > 1. Only rank 0 writes files.")
def train(output: Path, no_progress: bool, ddp: bool, **kw) -> None:
    """Train a Logic Gate Network (Hard-ST + CAGE by default) and save a checkpoint.

    \b
    Example:
      lgn2hw train --dataset fashion-mnist --layers 6 --width 8000 --epochs 4 -o runs/fm.pt
      torchrun --nproc-per-node 2 -m lgn2hw.cli train --preset tiny -o runs/tiny.pt   # data-parallel
    """
    from ..frontend import distributed
    from ..frontend.settings import train_and_save
    from ..frontend.train import format_epoch

    settings = settings_from(kw)
    info = distributed.setup_from_env(settings["device"]) if ddp or distributed.launched_by_torchrun() else distributed.DistInfo()
    try:
        result, _ = train_and_save(settings, output, progress=not no_progress, on_epoch=lambda r: click.echo(format_epoch(r)))
    except BaseException:
        distributed.teardown(succeeded=False)
        raise
    distributed.teardown()
    if not info.is_main:
        return
    last = result.history[-1]
    click.echo(
        f"trained {result.checkpoint.model.num_gates:,} gates in {result.seconds:.0f} s "
        f"({result.samples_per_second:,.0f} samples/s): soft test acc {100 * last['soft_test_acc']:.2f}%, "
        f"hard test acc {100 * last['hard_test_acc']:.2f}% -> {output}"
    )

