"""Estimator x temperature (x seed) sweeps: train every combination, resumably, and tabulate and plot.

This reproduces the central comparison of Kim 2026 ("Align Forward, Adapt Backward"): hard test
accuracy and selection gap of Soft-Mix, Soft-Gumbel, Gumbel-ST and Hard-ST over the softmax
temperature T, plus the straight-through estimators with CAGE. With CAGE the backward temperature is
CAGE's own schedule (T_max 3.0 -> T_min 0.5), so the fixed temperature has no effect on training: a
CAGE variant is trained once per seed, not once per temperature, and is drawn as a horizontal line
across the temperature axis (docs/sweep.md).

Layout of the output directory::

    OUTDIR/sweep.json                 settings (a re-run with other training settings is refused)
    OUTDIR/runs/<run-id>/metrics.jsonl    per-epoch training records
    OUTDIR/runs/<run-id>/result.json      written atomically when the run finished (resume skips it)
    OUTDIR/runs/<run-id>/model.pt         only with keep_checkpoints
    OUTDIR/results.csv, results.md        one row per (estimator, CAGE, temperature), mean and std over seeds
    OUTDIR/hard_acc_vs_temperature.png, selection_gap_vs_temperature.png, training_curves.png
"""

from .config import PER_RUN_KEYS, REQUIRED_KEYS, SHARED_DEFAULTS, RunSpec, SweepConfig
from .files import CHECKPOINT_FILE, METRICS_FILE, PLOTS, RESULT_FILE, SWEEP_FILE
from .plots import write_plots
from .run import RunOutcome, SweepResult, format_run, run_sweep
from .tables import CSV_COLUMNS, METRICS, aggregate, to_csv, to_markdown

__all__ = ["CHECKPOINT_FILE", "CSV_COLUMNS", "METRICS", "METRICS_FILE", "PER_RUN_KEYS", "PLOTS", "REQUIRED_KEYS",
           "RESULT_FILE", "SHARED_DEFAULTS", "SWEEP_FILE", "RunOutcome", "RunSpec", "SweepConfig", "SweepResult",
           "aggregate", "format_run", "run_sweep", "to_csv", "to_markdown", "write_plots"]
