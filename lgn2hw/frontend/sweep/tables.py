"""The sweep's table: one row per (estimator, CAGE, temperature), mean and std over seeds; CSV and markdown."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ...fsutil import atomic_file

if TYPE_CHECKING:  # run.py imports this module
    from .run import RunOutcome

METRICS = ("soft_test_acc", "hard_test_acc", "selection_gap", "discretization_gap")
CSV_COLUMNS = ("estimator", "cage", "temperature", "seeds",
               *(f"{m}_{s}" for m in METRICS for s in ("mean", "std")), "seconds_mean")


def _mean_std(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def aggregate(outcomes: list[RunOutcome]) -> list[dict]:
    """One row per (estimator, CAGE, temperature) in grid order, mean and sample std over seeds."""
    groups: dict[tuple, list[RunOutcome]] = {}
    for o in outcomes:
        groups.setdefault((o.spec.estimator, o.spec.cage, o.spec.temperature), []).append(o)
    rows = []
    for (estimator, cage, temperature), items in groups.items():
        row = {"estimator": estimator, "cage": cage, "temperature": temperature,
               "seeds": " ".join(str(o.spec.seed) for o in items)}
        for m in METRICS:
            row[f"{m}_mean"], row[f"{m}_std"] = _mean_std([o.result[m] for o in items])
        row["seconds_mean"] = _mean_std([o.result["seconds"] for o in items])[0]
        rows.append(row)
    return rows


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r["estimator"], "yes" if r["cage"] else "no", "" if r["temperature"] is None else f"{r['temperature']:g}",
                         r["seeds"], *(f"{r[c]:.6f}" for c in CSV_COLUMNS[4:-1]), f"{r['seconds_mean']:.1f}"])
    return buf.getvalue()


def to_markdown(rows: list[dict]) -> str:
    """Accuracies in %, gaps in percentage points; '± std' only with more than one seed."""
    def cell(r, m):
        mean, std = 100 * r[f"{m}_mean"], 100 * r[f"{m}_std"]
        sign = "+" if "gap" in m else ""
        text = f"{mean:{sign}.2f}"
        return text + (f" ± {std:.2f}" if len(r["seeds"].split()) > 1 else "")

    lines = ["| estimator | CAGE | T | seeds | soft acc % | hard acc % | selection gap (pts) | discretization gap (pts) | time (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = "CAGE 3.0→0.5" if r["temperature"] is None else f"{r['temperature']:g}"
        lines.append(f"| {r['estimator']} | {'yes' if r['cage'] else 'no'} | {t} | {r['seeds']} | {cell(r, 'soft_test_acc')} | "
                     f"{cell(r, 'hard_test_acc')} | {cell(r, 'selection_gap')} | {cell(r, 'discretization_gap')} | "
                     f"{r['seconds_mean']:.1f} |")
    return "\n".join(lines) + "\n"


def write_tables(outdir: Path, rows: list[dict]) -> list[Path]:
    paths = [outdir / "results.csv", outdir / "results.md"]
    for path, text in zip(paths, (to_csv(rows), to_markdown(rows))):
        with atomic_file(path) as handle:
            handle.write(text)
    return paths
