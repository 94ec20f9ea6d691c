"""From a settings dict (CLI options over a preset over the defaults) to configs and a saved checkpoint.

``lgn2hw train``, ``lgn2hw run`` and the sweep all describe a training run as one flat dict of
settings (lgn2hw.frontend.presets.resolve makes it); this turns it into the network and training
configs and runs encode -> train -> save.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..fsutil import check_output_file, require_free_space, signals_held
from . import distributed
from ..errors import ConfigError
from .checkpoint import checkpoint_bytes_estimate, is_lgn2hw_checkpoint
from .metrics import publish_metrics_files
from .model import ConvNetConfig, NetConfig
from .model.arch import Dense, canonical, is_convolutional, parse
from .train import EncodedData, TrainConfig, TrainResult, encode_dataset, train

CHECKPOINT_FILE = "model.pt"
# --arch conv without --channels: two conv + pool blocks (fit 28x28 and 32x32 images).
DEFAULT_CONV_CHANNELS = (16, 64)


def network_widths(settings: dict, num_classes: int) -> list[int]:
    """The layer widths the settings ask for: ``widths`` when given, else ``layers`` x ``width``;
    ``outputs_per_class`` K sets the last layer to classes x K (given ``widths`` must end in it).

    Widths themselves (positive, the last divisible by the class count) are NetConfig.validate's to check.
    """
    per_class = settings.get("outputs_per_class")
    if per_class is not None and (isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1):
        raise ConfigError(f"--outputs-per-class must be an integer >= 1, got {per_class!r}")
    widths = settings.get("widths")
    if widths is not None:
        widths = list(widths)
        if not widths:
            raise ConfigError("--widths needs at least one layer width")
        if per_class is not None and widths[-1] != num_classes * per_class:
            raise ConfigError(
                f"--outputs-per-class {per_class} makes the last layer {num_classes} x {per_class} = "
                f"{num_classes * per_class} gates wide, but --widths ends in {widths[-1]}"
            )
        return widths
    layers = int(settings["layers"])
    if layers < 1:
        raise ConfigError(f"--layers must be >= 1, got {layers}")
    widths = [int(settings["width"])] * layers
    if per_class is not None:
        widths[-1] = num_classes * per_class
    return widths


def architecture(settings: dict) -> str:
    """The settings' network as a description: "dense" (the classic network: --widths, or --layers x
    --width), or the description ``--arch conv`` builds from --channels (a conv(C)-pool block each) and
    --layers x --width dense layers, or the description the user wrote."""
    arch = settings.get("arch") or "dense"
    if arch != "conv":
        return arch
    channels = settings.get("channels") or DEFAULT_CONV_CHANNELS
    if any(int(c) < 1 for c in channels):
        raise ConfigError(f"--channels must be positive, got {','.join(str(c) for c in channels)}")
    dense = [f"dense({int(settings['width'])})"] * int(settings["layers"])
    return "-".join([f"conv({int(c)})-pool" for c in channels] + ["flatten", *dense])


def is_conv_settings(settings: dict) -> bool:
    arch = architecture(settings)
    return arch != "dense" and is_convolutional(parse(arch))


def net_config_from(settings: dict, data: EncodedData) -> NetConfig | ConvNetConfig:
    """The network config of the settings: a NetConfig for a dense network (a description with dense
    layers only gives one too), a ConvNetConfig when the description has conv or pool blocks."""
    connections = settings.get("connections") or "random"
    if settings.get("pool") is not None and connections != "learned":
        raise ConfigError(f"--pool {settings['pool']} sets the candidates of learned connections; add --connections learned")
    method = dict(
        tau=float(settings["tau"]),
        seed=int(settings.get("seed", 0)),
        estimator=settings.get("estimator", "hard-st"),
        cage=bool(settings.get("cage", True)),
        cage_per_gate=bool(settings.get("cage_per_gate", False)),
        temperature=float(settings.get("temperature", 1.0)),
        grad_factor=float(settings.get("grad_factor", 1.0)),
    )
    if settings.get("residual_logit") is not None:
        method["residual_logit"] = float(settings["residual_logit"])
    arch = architecture(settings)
    blocks = None if arch == "dense" else parse(arch)
    if blocks is None or not is_convolutional(blocks):
        if settings.get("dense_init") is not None:
            raise ConfigError("--dense-init initializes the dense layers of a convolutional network; "
                              "a dense network's layers take --init")
        if blocks is None:
            widths = network_widths(settings, data.num_classes)
        else:
            widths = [b.width for b in blocks if isinstance(b, Dense)]
            if settings.get("widths") is not None:
                raise ConfigError("--widths and a written --arch description both give the layer widths; use one")
        return NetConfig(
            num_inputs=data.num_inputs, num_classes=data.num_classes, widths=widths, **method,
            init=settings.get("init") or "gaussian", connections=connections,
            pool=settings["pool"] if settings.get("pool") is not None else NetConfig.pool,
        )
    for option, key in (("--widths", "widths"), ("--outputs-per-class", "outputs_per_class")):
        if settings.get(key) is not None:
            raise ConfigError(f"{option} shapes dense networks; a convolutional network's dense layers are in its --arch description")
    if data.image_shape is None:
        raise ConfigError(f"a convolutional network needs image inputs; data set {data.name!r} has no image shape")
    return ConvNetConfig(
        num_inputs=data.num_inputs, num_classes=data.num_classes, image_shape=list(data.image_shape),
        arch=canonical(blocks), **method, init=settings.get("init") or "residual", dense_init=settings.get("dense_init"),
        connections=connections,
        pool=settings["pool"] if settings.get("pool") is not None else ConvNetConfig.pool,
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


def encode_from(settings: dict) -> EncodedData:
    """The data set of the settings, encoded (its thresholds: ``thresholds`` of ``threshold_kind``)."""
    return encode_dataset(
        settings["dataset"], settings.get("data_dir"), int(settings["thresholds"]),
        settings.get("limit_train"), settings.get("limit_test"),
        verify_checksums=bool(settings.get("verify_checksums", True)),
        threshold_kind=settings.get("threshold_kind") or "uniform",
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
        data = encode_from(settings)
    net_config = net_config_from(settings, data)
    net_config.validate()
    train_cfg = train_config_from(settings)
    train_cfg.validate()
    if distributed.current().is_main:  # the checkpoint is written after the last epoch: is there room now?
        require_free_space(checkpoint_path, checkpoint_bytes_estimate(net_config), "the checkpoint")
    metrics_path = checkpoint_path.with_name(checkpoint_path.stem + ".metrics.jsonl")
    result = train(net_config, data, train_cfg, metrics_path=metrics_path, progress=progress, on_epoch=on_epoch,
                   publish_metrics=False)
    if distributed.current().is_main:
        with signals_held():
            result.checkpoint.save(checkpoint_path)
            publish_metrics_files(metrics_path)
    return result, data
