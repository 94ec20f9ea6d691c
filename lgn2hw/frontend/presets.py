"""Named training configurations: measured starting points users can pick with ``--preset``.

Each preset fixes the data set encoding and network shape; explicit command-line options override it.
Numbers in the descriptions were measured on a 2-core CPU (see docs/training.md).
"""

from __future__ import annotations

from ..errors import ConfigError

PRESETS: dict[str, dict] = {
    "demo": {
        "description": "Fashion-MNIST, 3 thresholds, 6 x 8000 gates, 2 epochs: >= 80 % hard accuracy in a few minutes (the README demo)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "layers": 6,
        "width": 8000,
        "epochs": 2,
        "batch_size": 100,
        "lr": 0.01,
        "tau": 20.0,
    },
    "fashion-large": {
        "description": "Fashion-MNIST, 7 thresholds, 4 x 24000 gates, 14 epochs, cosine lr: 87.22 % hard test accuracy, "
                       "16 min on one core of a 2-core CPU (docs/training.md)",
        "dataset": "fashion-mnist",
        "thresholds": 7,
        "layers": 4,
        "width": 24000,
        "epochs": 14,
        "batch_size": 100,
        "lr": 0.01,
        "lr_schedule": "cosine",
        "tau": 20.0,
    },
    "fashion-small": {
        "description": "Fashion-MNIST, 3 thresholds, widths 1000,1000,200 with learned connections (pool 16), tau 5, "
                       "5 epochs: 76.27 % hard test accuracy in 546 LUT6 (core + head; encoder about 320 more), "
                       "about 1 min on one core (docs/architectures.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "widths": [1000, 1000, 200],
        "connections": "learned",
        "pool": 16,
        "epochs": 5,
        "batch_size": 100,
        "lr": 0.01,
        "tau": 5.0,
    },
    "tiny": {
        "description": "Fashion-MNIST subset, 1 threshold, 2 x 400 gates, 1 epoch: a seconds-long smoke test",
        "dataset": "fashion-mnist",
        "thresholds": 1,
        "layers": 2,
        "width": 400,
        "epochs": 1,
        "batch_size": 100,
        "lr": 0.01,
        "tau": 10.0,
        "limit_train": 5000,
        "limit_test": 1000,
    },
}

DEFAULTS: dict = {
    "dataset": "fashion-mnist",
    "thresholds": 3,
    "layers": 4,
    "width": 8000,
    "epochs": 5,
    "batch_size": 100,
    "lr": 0.01,
    "lr_schedule": "constant",
    "tau": 20.0,
    "grad_factor": 1.0,
    "limit_train": None,
    "limit_test": None,
}


def resolve(preset: str | None, overrides: dict) -> dict:
    """Defaults, then the preset, then every option the user gave explicitly (not None).

    The network's shape is ``widths`` (one per layer) or the uniform shorthand ``layers`` x ``width``:
    giving both explicitly is an error, and an explicit ``layers`` or ``width`` replaces a preset's
    ``widths``. (``outputs_per_class`` is applied where the class count is known:
    lgn2hw.frontend.settings.network_widths.)
    """
    settings = dict(DEFAULTS)
    if preset is not None:
        settings.update({k: v for k, v in PRESETS[preset].items() if k != "description"})
    given = {k: v for k, v in overrides.items() if v is not None}
    if "widths" in given and ("layers" in given or "width" in given):
        raise ConfigError("give the layer widths either as --widths or as --layers/--width, not both")
    if "layers" in given or "width" in given:
        settings.pop("widths", None)
    settings.update(given)
    if settings.get("widths") is not None:
        settings["widths"] = list(settings["widths"])  # JSON-equal when a sweep reads it back
    return settings
