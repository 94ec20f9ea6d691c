"""The sweep's plots (matplotlib, deterministic PNGs): accuracy and selection gap over T, training curves."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ToolError
from ...fsutil import atomic_file
from .config import RunSpec
from .files import METRICS_FILE, PLOTS

if TYPE_CHECKING:  # run.py imports this module
    from .run import RunOutcome

def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ToolError("sweep plots need matplotlib: pip install 'lgn2hw[plot]' (or pass --no-plots)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


COLORS = {"soft-mix": "tab:blue", "soft-gumbel": "tab:orange", "gumbel-st": "tab:red", "hard-st": "tab:green"}
# No software version or date in the PNGs: the same results give the same bytes.
PNG_METADATA = {"Software": None}


def _save(fig, path: Path) -> Path:
    with atomic_file(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110, metadata=PNG_METADATA)
    return path


def _vs_temperature(plt, rows: list[dict], metric: str, ylabel: str, title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    temps = sorted({r["temperature"] for r in rows if r["temperature"] is not None})
    estimators = list(dict.fromkeys(r["estimator"] for r in rows))
    handles = []
    for estimator in estimators:
        plain = [r for r in rows if r["estimator"] == estimator and not r["cage"]]
        if plain:
            handles.append(ax.errorbar([r["temperature"] for r in plain], [100 * r[f"{metric}_mean"] for r in plain],
                                       yerr=[100 * r[f"{metric}_std"] for r in plain], marker="o", capsize=3,
                                       color=COLORS.get(estimator), label=estimator))
    for estimator in estimators:  # after the plain lines, so the legend lists them last
        for r in rows:
            if r["estimator"] == estimator and r["cage"]:
                handles.append(ax.axhline(100 * r[f"{metric}_mean"], color=COLORS.get(estimator), linestyle="--",
                                          linewidth=1.2, label=f"{estimator} + CAGE (its own T)"))
    if metric == "selection_gap":
        ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xscale("log")
    if temps:
        ax.set_xticks(temps)
        ax.set_xticklabels([f"{t:g}" for t in temps])
        ax.minorticks_off()
    ax.set_xlabel("temperature T (softmax, forward and backward)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def _read_history(outdir: Path, spec: RunSpec) -> list[dict]:
    path = outdir / "runs" / spec.run_id / METRICS_FILE
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def _training_curves(plt, outdir: Path, outcomes: list[RunOutcome], path: Path) -> Path:
    variants = list(dict.fromkeys((o.spec.estimator, o.spec.cage) for o in outcomes))
    temps = sorted({o.spec.temperature for o in outcomes if o.spec.temperature is not None})
    cmap = plt.get_cmap("viridis")
    color = {t: cmap(i / max(1, len(temps) - 1) * 0.9) for i, t in enumerate(temps)}
    seed0 = min(o.spec.seed for o in outcomes)
    panels = (("loss", "training loss", 1), ("hard_test_acc", "hard test accuracy (%)", 100),
              ("selection_gap", "selection gap (points)", 100))
    fig, axes = plt.subplots(len(panels), len(variants), figsize=(2.9 * len(variants) + 0.6, 7.2), squeeze=False, sharey="row")
    max_epoch = 1
    for col, (estimator, cage) in enumerate(variants):
        for o in outcomes:
            if (o.spec.estimator, o.spec.cage) != (estimator, cage) or o.spec.seed != seed0:
                continue
            history = [h for h in _read_history(outdir, o.spec)]
            max_epoch = max([max_epoch, *(h["epoch"] for h in history)])
            c = "black" if cage else color[o.spec.temperature]
            for row, (key, _, scale) in enumerate(panels):
                points = [(h["epoch"], scale * h[key]) for h in history if h.get(key) is not None]
                axes[row][col].plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, color=c,
                                    label="CAGE" if cage else f"T={o.spec.temperature:g}")
        axes[0][col].set_title(estimator + (" + CAGE" if cage else ""), fontsize=10)
        axes[-1][col].set_xlabel("epoch")
        axes[0][col].legend(fontsize=7)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.set_xticks(range(1, max_epoch + 1))
        ax.set_xlim(0.7, max_epoch + 0.3)
    for row, (_, label, _) in enumerate(panels):
        axes[row][0].set_ylabel(label)
    fig.suptitle(f"per-epoch training curves (seed {seed0})", fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def write_plots(outdir: str | os.PathLike, outcomes: list[RunOutcome], rows: list[dict]) -> list[Path]:
    """Hard accuracy and selection gap vs temperature per estimator, and per-epoch training curves."""
    plt = pyplot()
    outdir = Path(outdir)
    return [
        _vs_temperature(plt, rows, "hard_test_acc", "hard test accuracy (%)",
                        "frozen-network accuracy vs temperature", outdir / PLOTS[0]),
        _vs_temperature(plt, rows, "selection_gap", "selection gap (points)",
                        "selection gap: training forward minus frozen network", outdir / PLOTS[1]),
        _training_curves(plt, outdir, outcomes, outdir / PLOTS[2]),
    ]
