"""Running a sweep: every run of the grid that has no finished result, resumably, then tables and plots."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...fsutil import atomic_file, claim_resumable_dir
from .config import RunSpec, SweepConfig
from .files import CHECKPOINT_FILE, METRICS_FILE, RESULT_FILE, SWEEP_FILE
from .plots import pyplot, write_plots
from .tables import aggregate, write_tables


@dataclass
class RunOutcome:
    spec: RunSpec
    result: dict  # the run's result.json
    skipped: bool  # True: finished in an earlier invocation, not retrained


@dataclass
class SweepResult:
    outdir: Path
    outcomes: list[RunOutcome]
    rows: list[dict]  # aggregated table rows (as in results.csv)
    files: list[Path] = field(default_factory=list)

    @property
    def trained(self) -> int:
        return sum(not o.skipped for o in self.outcomes)

    def summary(self) -> str:
        return (f"sweep: {len(self.outcomes)} runs ({self.trained} trained, {len(self.outcomes) - self.trained} "
                f"already done), {len(self.rows)} table rows -> {self.outdir}")


def run_sweep(
    config: SweepConfig,
    outdir: str | os.PathLike,
    data=None,
    progress: bool = True,
    plots: bool = True,
    echo: Callable[[str], None] = print,
) -> SweepResult:
    """Train every run of the grid that has no finished result yet, then write the table and plots.

    ``data`` (an EncodedData) skips loading the data set (tests use a synthetic one). A finished run's
    result.json is written atomically as its last step, so an interrupted sweep resumes where it
    stopped; an OUTDIR made with other training settings is refused rather than mixed.
    """
    from tqdm import tqdm

    config.validate()
    if plots:
        pyplot()  # fail before hours of training, not after
    outdir = Path(outdir)
    _check_or_write_sweep_file(config, outdir)
    specs = config.runs()
    shared = config.shared_settings()
    outcomes: list[RunOutcome] = []
    bar = tqdm(specs, desc="sweep", unit="run", disable=None if progress else True)
    for spec in bar:
        run_dir = outdir / "runs" / spec.run_id
        settings = _run_settings(shared, spec)
        done = _finished_result(run_dir, settings)
        if done is not None:
            outcomes.append(RunOutcome(spec, done, skipped=True))
            continue
        bar.set_postfix_str(spec.run_id)
        if data is None:
            data = _encode(shared)
        result = _train_one(spec, settings, data, run_dir, config.keep_checkpoints)
        outcomes.append(RunOutcome(spec, result, skipped=False))
        (tqdm.write if not bar.disable else echo)(format_run(spec, result))
        write_tables(outdir, aggregate(outcomes))  # a partial table to watch a long sweep
    rows = aggregate(outcomes)
    files = write_tables(outdir, rows)
    if plots:
        files += write_plots(outdir, outcomes, rows)
    return SweepResult(outdir, outcomes, rows, files)


def format_run(spec: RunSpec, result: dict) -> str:
    """One summary line per finished run."""
    return (f"{spec.run_id}: hard acc {100 * result['hard_test_acc']:.2f}%  soft acc {100 * result['soft_test_acc']:.2f}%  "
            f"selection gap {100 * result['selection_gap']:+.2f} pts  {result['seconds']:.1f} s")


def _run_settings(shared: dict, spec: RunSpec) -> dict:
    settings = dict(shared)
    settings.update(estimator=spec.estimator, cage=spec.cage, seed=spec.seed,
                    temperature=spec.temperature if spec.temperature is not None else 1.0)
    return settings


def _check_or_write_sweep_file(config: SweepConfig, outdir: Path) -> None:
    """A sweep writes into its own directory (sweep.json marks it) or a new or empty one; a path that is
    not a directory (a file, a device, a FIFO) is refused untouched (docs/outputs.md)."""
    claim_resumable_dir(outdir, SWEEP_FILE, config.to_json())


def _finished_result(run_dir: Path, settings: dict) -> dict | None:
    path = run_dir / RESULT_FILE
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # retrain: result files are written atomically, so this is outside damage
    return result if result.get("settings") == settings else None


def _encode(shared: dict):
    from ..settings import encode_from

    return encode_from(shared)


def _train_one(spec: RunSpec, settings: dict, data, run_dir: Path, keep_checkpoint: bool) -> dict:
    from ..settings import net_config_from, train_config_from
    from ..train import train

    net_config = net_config_from(settings, data)
    net_config.validate()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RESULT_FILE).unlink(missing_ok=True)  # stale (other settings): never mix with the new run
    trained = train(net_config, data, train_config_from(settings), metrics_path=run_dir / METRICS_FILE, progress=False)
    last = trained.history[-1]
    if keep_checkpoint:
        trained.checkpoint.save(run_dir / CHECKPOINT_FILE)
    result = {
        "run_id": spec.run_id,
        "settings": settings,
        "soft_test_acc": last["soft_test_acc"],
        "hard_test_acc": last["hard_test_acc"],
        "selection_gap": last["selection_gap"],  # measured by train() on the first gap_samples training samples
        "discretization_gap": last["discretization_gap"],
        "seconds": round(trained.seconds, 3),
        "epochs": len(trained.history),
        "num_gates": trained.checkpoint.model.num_gates,
    }
    with atomic_file(run_dir / RESULT_FILE) as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return result
