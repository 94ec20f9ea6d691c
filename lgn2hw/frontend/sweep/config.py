"""A sweep's grid: the shared training settings and the runs (estimator, CAGE, temperature, seed)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ...errors import ConfigError
from ..methods import ESTIMATORS, STRAIGHT_THROUGH

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
