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

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, ToolError
from ..fsutil import atomic_file
from .model.estimators import ESTIMATORS, STRAIGHT_THROUGH

SWEEP_FILE = "sweep.json"
RESULT_FILE = "result.json"
METRICS_FILE = "metrics.jsonl"
from .settings import CHECKPOINT_FILE
PLOTS = ("hard_acc_vs_temperature.png", "selection_gap_vs_temperature.png", "training_curves.png")

# Settings a sweep sets per run; every other setting (data, network, optimizer) is shared by all runs,
# and a resumed sweep must match the shared ones exactly.
PER_RUN_KEYS = ("estimator", "cage", "seed", "temperature")
REQUIRED_KEYS = ("dataset", "thresholds", "layers", "width", "epochs", "batch_size", "lr", "tau")
SHARED_DEFAULTS = {"data_dir": None, "limit_train": None, "limit_test": None, "init": "gaussian",
                   "cage_per_gate": False, "device": "auto"}


@dataclass(frozen=True)
class RunSpec:
    """One training run of the grid."""

    estimator: str
    cage: bool
    temperature: float | None  # None: CAGE sets the backward temperature
    seed: int

    @property
    def run_id(self) -> str:
        method = self.estimator + ("-cage" if self.cage else f"_T{self.temperature:g}")
        return f"{method}_s{self.seed}"

    @property
    def label(self) -> str:
        return self.estimator + (" + CAGE" if self.cage else "")


@dataclass
class SweepConfig:
    """A sweep: shared training settings (as ``lgn2hw.frontend.presets.resolve`` makes them) and the grid.

    Every estimator runs at every temperature without CAGE; each estimator in ``cage_estimators``
    (straight-through ones only) additionally runs once per seed with CAGE.
    """

    settings: dict
    estimators: tuple[str, ...] = ESTIMATORS
    temperatures: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)
    seeds: tuple[int, ...] = (0,)
    cage_estimators: tuple[str, ...] = STRAIGHT_THROUGH
    keep_checkpoints: bool = False

    def validate(self) -> None:
        if not self.estimators:
            raise ConfigError("no estimators to sweep (choose from " + ", ".join(ESTIMATORS) + ")")
        for name in (*self.estimators, *self.cage_estimators):
            if name not in ESTIMATORS:
                raise ConfigError(f"unknown estimator {name!r} (choose from {', '.join(ESTIMATORS)})")
        for name in self.cage_estimators:
            if name not in STRAIGHT_THROUGH:
                raise ConfigError(f"CAGE applies to straight-through estimators only ({', '.join(STRAIGHT_THROUGH)}), not {name!r}")
        if not self.temperatures:
            raise ConfigError("no temperatures to sweep")
        for t in self.temperatures:
            if not (isinstance(t, (int, float)) and math.isfinite(t) and t > 0):
                raise ConfigError(f"temperatures must be finite and > 0, got {t!r}")
        if not self.seeds:
            raise ConfigError("no seeds to sweep")
        for values, what in ((self.estimators, "estimator"), (self.temperatures, "temperature"),
                             (self.seeds, "seed"), (self.cage_estimators, "CAGE variant")):
            dupes = sorted({str(v) for v in values if list(values).count(v) > 1})
            if dupes:
                raise ConfigError(f"{what} listed twice: {', '.join(dupes)}")
        missing = [k for k in REQUIRED_KEYS if k not in self.settings]
        if missing:
            raise ConfigError(f"sweep settings lack {', '.join(missing)}")

    def shared_settings(self) -> dict:
        """The training settings common to every run, JSON-ready (paths as strings), keys sorted."""
        merged = {**SHARED_DEFAULTS, **{k: v for k, v in self.settings.items() if k not in PER_RUN_KEYS}}
        return {k: str(v) if isinstance(v, os.PathLike) else v for k, v in sorted(merged.items())}

    def runs(self) -> list[RunSpec]:
        """The grid in table order: per estimator, temperatures ascending, then its CAGE variant."""
        specs = []
        for estimator in self.estimators:
            for t in sorted(self.temperatures):
                specs += [RunSpec(estimator, False, float(t), s) for s in self.seeds]
            if estimator in self.cage_estimators:
                specs += [RunSpec(estimator, True, None, s) for s in self.seeds]
        # CAGE variants of estimators not in the plain list still run.
        for estimator in self.cage_estimators:
            if estimator not in self.estimators:
                specs += [RunSpec(estimator, True, None, s) for s in self.seeds]
        return specs

    def to_json(self) -> dict:
        return {
            "format": "lgn2hw-sweep",
            "version": 1,
            "settings": self.shared_settings(),
            "grid": {
                "estimators": list(self.estimators),
                "temperatures": [float(t) for t in self.temperatures],
                "seeds": [int(s) for s in self.seeds],
                "cage_estimators": list(self.cage_estimators),
            },
        }


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
        _pyplot()  # fail before hours of training, not after
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
        _write_tables(outdir, aggregate(outcomes))  # a partial table to watch a long sweep
    rows = aggregate(outcomes)
    files = _write_tables(outdir, rows)
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
    path = outdir / SWEEP_FILE
    doc = config.to_json()
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} is unreadable ({exc}); use another output directory") from None
        if old.get("format") != "lgn2hw-sweep":
            raise ConfigError(f"{path} is not an lgn2hw sweep file; use another output directory")
        old_settings = old.get("settings", {})
        keys = sorted(set(old_settings) | set(doc["settings"]))
        diffs = [f"{k}: {old_settings.get(k)!r} there, {doc['settings'].get(k)!r} now"
                 for k in keys if old_settings.get(k) != doc["settings"].get(k)]
        if diffs:
            raise ConfigError(f"{outdir} holds a sweep with other training settings ({'; '.join(diffs)}); "
                              "use the same settings to resume it, or another output directory")
    elif outdir.exists() and any(outdir.iterdir()):
        raise ConfigError(f"{outdir} exists, is not empty and holds no {SWEEP_FILE}; use another output directory")
    # The grid may grow between invocations (more temperatures, seeds): finished runs are reused.
    with atomic_file(path) as handle:
        json.dump(doc, handle, indent=2, sort_keys=True)
        handle.write("\n")


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
    from .train import encode_dataset

    extra = {} if shared.get("verify_checksums", True) else {"verify_checksums": False}
    return encode_dataset(shared["dataset"], shared.get("data_dir"), int(shared["thresholds"]),
                          shared.get("limit_train"), shared.get("limit_test"), **extra)


def _train_one(spec: RunSpec, settings: dict, data, run_dir: Path, keep_checkpoint: bool) -> dict:
    from .settings import net_config_from, train_config_from
    from .train import train

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


# --- table -------------------------------------------------------------------------------------------

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


def _write_tables(outdir: Path, rows: list[dict]) -> list[Path]:
    paths = [outdir / "results.csv", outdir / "results.md"]
    for path, text in zip(paths, (to_csv(rows), to_markdown(rows))):
        with atomic_file(path) as handle:
            handle.write(text)
    return paths


# --- plots -------------------------------------------------------------------------------------------

def _pyplot():
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
    plt = _pyplot()
    outdir = Path(outdir)
    return [
        _vs_temperature(plt, rows, "hard_test_acc", "hard test accuracy (%)",
                        "frozen-network accuracy vs temperature", outdir / PLOTS[0]),
        _vs_temperature(plt, rows, "selection_gap", "selection gap (points)",
                        "selection gap: training forward minus frozen network", outdir / PLOTS[1]),
        _training_curves(plt, outdir, outcomes, outdir / PLOTS[2]),
    ]
