"""Per-epoch training metrics on disk: JSON lines and CSV, written as hidden partial files during a run
and published (renamed into place) when it finishes (docs/training.md lists the columns)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from ..fsutil import atomic_file
from ..ir.gates import GATES

SCALAR_METRICS = (
    "epoch", "train_loss", "soft_test_acc", "hard_test_acc", "discretization_gap", "train_acc_training_forward",
    "train_acc_frozen", "selection_gap", "mean_confidence", "backward_temperature", "lr", "seconds",
)
GATE_COLUMNS = tuple(f"gate_{g.name}" for g in GATES)


def partial_metrics_paths(metrics_path: str | os.PathLike) -> tuple[Path, Path]:
    """Where a run in progress writes its metrics (JSON lines, CSV): hidden files beside the final ones."""
    final = Path(metrics_path)
    return final.with_name(f".{final.name}.partial"), final.with_name(f".{final.with_suffix('.csv').name}.partial")


def publish_metrics_files(metrics_path: str | os.PathLike) -> None:
    """Move a finished run's metrics (partial_metrics_paths) to ``metrics_path`` and its ``.csv``."""
    final = Path(metrics_path)
    jsonl, csv_path = partial_metrics_paths(final)
    if jsonl.exists():
        os.replace(jsonl, final)
    if csv_path.exists():
        os.replace(csv_path, final.with_suffix(".csv"))


def discard_partial_metrics(metrics_path: str | os.PathLike) -> None:
    for path in partial_metrics_paths(metrics_path):
        path.unlink(missing_ok=True)


def write_metrics_jsonl(path: Path, records: list[dict]) -> None:
    with atomic_file(path) as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


def write_metrics_csv(path: str | os.PathLike, records: list[dict]) -> None:
    """Per-epoch metrics as CSV: SCALAR_METRICS, then the 16 gate fractions as GATE_COLUMNS."""
    with atomic_file(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*SCALAR_METRICS, *GATE_COLUMNS])
        for r in records:
            writer.writerow([r.get(k, "") for k in SCALAR_METRICS] + list(r["gate_fractions"]))
