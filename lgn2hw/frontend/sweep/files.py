"""File names of a sweep directory (docs/sweep.md)."""

from ..settings import CHECKPOINT_FILE

SWEEP_FILE = "sweep.json"
RESULT_FILE = "result.json"
METRICS_FILE = "metrics.jsonl"
PLOTS = ("hard_acc_vs_temperature.png", "selection_gap_vs_temperature.png", "training_curves.png")

__all__ = ["CHECKPOINT_FILE", "METRICS_FILE", "PLOTS", "RESULT_FILE", "SWEEP_FILE"]
