"""``lgn2hw predict``: classify a data set with the compiled network as native C (docs/c-backend.md)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="predict")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--dataset", default=None,
              help="Data set whose test split to classify [default: the one the model was trained on].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the data set's files are [default: its usual location].")
@click.option("--npy", "features", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Classify these raw uint8 samples instead (.npy, (n, features) or (n, C, H, W)).")
@click.option("--labels", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Labels of the --npy samples (.npy of n integers), for the accuracy.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Classify the first N samples only.")
@click.option("--engine", type=click.Choice(["auto", "c", "numpy"]), default="auto", show_default=True,
              help="c: the C library built with the system compiler (cached under $LGN2HW_CACHE_DIR or "
                   "~/.cache/lgn2hw); numpy: the netlist simulator; auto: c, or numpy (with a note) when there "
                   "is no C compiler.")
@click.option("--check", is_flag=True, default=False,
              help="Also compare every class score of the C library with the numpy simulator.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the class ids here (.npy, int32).")
def predict(outdir: Path, dataset, data_dir, features, labels, limit, engine: str, check: bool, output) -> None:
    """Classify raw samples with a compiled network (what `lgn2hw compile` wrote) compiled to native C:
    accuracy and images per second on one thread, the input encoding included.

    \b
    Example:
      lgn2hw predict runs/fm_rtl                       # the fashion-mnist test split
      lgn2hw predict runs/fm_rtl --npy x.npy --labels y.npy --check -o classes.npy
    """
    from ..flows.predict import predict as run_predict

    result = run_predict(outdir, dataset=dataset, data_dir=data_dir, features=features, labels=labels, engine=engine,
                         limit=limit, check=check, output=output)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(result.summary())
