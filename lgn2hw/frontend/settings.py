"""From a settings dict (CLI options over a preset over the defaults) to configs and a saved checkpoint.

``lgn2hw train``, ``lgn2hw run`` and the sweep all describe a training run as one flat dict of
settings (lgn2hw.frontend.presets.resolve makes it); this turns it into the network and training
configs and runs encode -> train -> save.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..fsutil import check_output_file, signals_held
from . import distributed
from .checkpoint import is_lgn2hw_checkpoint
from .metrics import publish_metrics_files
from .model import NetConfig
from .train import EncodedData, TrainConfig, TrainResult, encode_dataset, train

CHECKPOINT_FILE = "model.pt"


def net_config_from(settings: dict, data: EncodedData) -> NetConfig:
    return NetConfig(
        num_inputs=data.num_inputs,
        num_classes=data.num_classes,
        widths=[int(settings["width"])] * int(settings["layers"]),
        tau=float(settings["tau"]),
        seed=int(settings.get("seed", 0)),
        estimator=settings.get("estimator", "hard-st"),
        cage=bool(settings.get("cage", True)),
        cage_per_gate=bool(settings.get("cage_per_gate", False)),
        temperature=float(settings.get("temperature", 1.0)),
        init=settings.get("init", "gaussian"),
        grad_factor=float(settings.get("grad_factor", 1.0)),
    )


def train_config_from(settings: dict) -> TrainConfig:
    return TrainConfig(
        epochs=int(settings["epochs"]),
        batch_size=int(settings["batch_size"]),
        lr=float(settings["lr"]),
        lr_schedule=str(settings.get("lr_schedule", "constant")),
        seed=int(settings.get("seed", 0)),
        device=settings.get("device", "auto"),
    )


def train_and_save(
    settings: dict,
    checkpoint_path: str | os.PathLike,
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
    data: EncodedData | None = None,
) -> tuple[TrainResult, EncodedData]:
    """Encode the data set, train, and write the checkpoint and its metrics beside it
    (NAME.metrics.jsonl and NAME.metrics.csv).

    Every setting is checked (data set readable, network shape valid, the checkpoint path writable and
    not someone else's file) before training starts. The checkpoint and its metrics replace an earlier
    run's together at the end, with SIGINT/SIGTERM held back for that moment. In a data-parallel group
    (lgn2hw.frontend.distributed) every rank trains and only rank 0 writes files.
    """
    checkpoint_path = Path(checkpoint_path)
    if distributed.current().is_main:
        check_output_file(checkpoint_path, is_lgn2hw_checkpoint, "a checkpoint")
    if data is None:
        data = encode_dataset(
            settings["dataset"], settings.get("data_dir"), int(settings["thresholds"]),
            settings.get("limit_train"), settings.get("limit_test"),
            verify_checksums=bool(settings.get("verify_checksums", True)),
        )
    net_config = net_config_from(settings, data)
    net_config.validate()
    train_cfg = train_config_from(settings)
    train_cfg.validate()
    metrics_path = checkpoint_path.with_name(checkpoint_path.stem + ".metrics.jsonl")
    result = train(net_config, data, train_cfg, metrics_path=metrics_path, progress=progress, on_epoch=on_epoch,
                   publish_metrics=False)
    if distributed.current().is_main:
        with signals_held():
            result.checkpoint.save(checkpoint_path)
            publish_metrics_files(metrics_path)
    return result, data
