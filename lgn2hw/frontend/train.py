"""Training: encode a data set to bits, train a LogicNet with Adam, report soft/hard metrics per epoch.

Runs in one process, or data-parallel when a torch.distributed group is initialized (lgn2hw.frontend.distributed).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import distributed
from .checkpoint import Checkpoint
from .metrics import (
    discard_partial_metrics,
    partial_metrics_paths,
    publish_metrics_files,
    write_metrics_csv,
    write_metrics_jsonl,
)
from ..errors import ConfigError, TrainingError
from .model import CageSchedule, ConvLogicNet, ConvNetConfig, LogicNet, NetConfig, build_model
from .model.alloc import tune_allocator

# Columns of NAME.metrics.csv: the scalar metrics, then one fraction per gate type named after lgn2hw.ir.gates.
# Offset of the evaluation noise seed from the training seed (the training noise uses seed + 1).
EVAL_NOISE_OFFSET = 2


@dataclass
class EncodedData:
    """A data set turned into input bits, ready for training and for hardware test vectors."""

    name: str
    train_bits: torch.Tensor  # (n, num_inputs) uint8 0/1
    train_y: torch.Tensor  # (n,) int64
    test_bits: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    input_encoding: dict
    # (channels, height, width) of the input bits seen as an image: thresholds x colour channels, H, W
    # (the thermometer code is threshold-major, so bit j*F + f is channel j*C + c). None: not an image.
    image_shape: tuple[int, int, int] | None = None

    @property
    def num_inputs(self) -> int:
        return int(self.train_bits.shape[1])


def encode_dataset(
    name: str = "fashion-mnist",
    data_dir: str | os.PathLike | None = None,
    thresholds: int = 3,
    limit_train: int | None = None,
    limit_test: int | None = None,
    verify_checksums: bool = True,
    threshold_kind: str = "uniform",
) -> EncodedData:
    """Load a data set by name and thermometer-encode every feature with ``thresholds`` levels of
    ``threshold_kind`` (lgn2hw.frontend.data.thresholds: "uniform", or "cheap" comparators).

    ``verify_checksums=False`` accepts your own subsets of a data set (format and label-range checks stay).
    """
    from .data.datasets import load_dataset
    from .data.thresholds import THRESHOLD_KINDS, threshold_encoding

    if thresholds < 1:
        raise ConfigError(f"thresholds must be >= 1, got {thresholds}")
    if threshold_kind not in THRESHOLD_KINDS:
        raise ConfigError(f"unknown threshold kind {threshold_kind!r} (choose from {', '.join(THRESHOLD_KINDS)})")
    data = load_dataset(name, data_dir=data_dir, verify_checksums=verify_checksums, limit_train=limit_train,
                        limit_test=limit_test)
    encoding = threshold_encoding(data.train_x.shape[1], thresholds, threshold_kind)
    channels, height, width = data.image_shape
    return EncodedData(
        name=name,
        train_bits=torch.from_numpy(encoding.encode(data.train_x)),
        train_y=torch.from_numpy(np.asarray(data.train_y, dtype=np.int64)),
        test_bits=torch.from_numpy(encoding.encode(data.test_x)),
        test_y=torch.from_numpy(np.asarray(data.test_y, dtype=np.int64)),
        num_classes=int(data.num_classes),
        input_encoding=encoding.to_json(),
        image_shape=(thresholds * channels, height, width),
    )


LR_SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig:
    """Optimizer and loop settings (the network itself is NetConfig)."""

    epochs: int = 5
    batch_size: int = 100
    lr: float = 0.01
    # "constant", or "cosine": anneal the learning rate from lr to 0 over all steps (per batch), which
    # settles Adam's noisy last epochs (docs/training.md, the fm87 preset).
    lr_schedule: str = "constant"
    seed: int = 0
    device: str = "auto"
    eval_batch: int = 2000
    # Training samples (the first N) on which the selection gap is measured every epoch.
    gap_samples: int = 5000

    def validate(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {self.batch_size}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"learning rate must be > 0 (a finite number), got {self.lr}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"unknown learning-rate schedule {self.lr_schedule!r} (choose from {', '.join(LR_SCHEDULES)})")
        if self.eval_batch < 1 or self.gap_samples < 0:
            raise ConfigError(f"eval batch must be >= 1 and gap samples >= 0, got {self.eval_batch}, {self.gap_samples}")


@dataclass
class TrainResult:
    checkpoint: Checkpoint
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    samples_per_second: float = 0.0


LOSS_SYNC_STEPS = 50  # training steps between reads of the running loss (progress bar, metrics)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {device!r} ({exc})") from None


@torch.no_grad()
def evaluate(
    model: LogicNet | ConvLogicNet,
    bits: torch.Tensor,
    labels: torch.Tensor,
    hard: bool,
    batch: int = 2000,
) -> float:
    """Accuracy of the frozen (hard) or training-mode (soft) forward; argmax ties to the lowest class.

    The training-mode forward of the Gumbel estimators draws its noise from a generator seeded with
    the network seed + EVAL_NOISE_OFFSET and re-seeded for every batch: one fixed noise sample
    for the whole evaluation, the same every epoch, and training's own noise stream is left untouched.
    In a data-parallel group each rank evaluates a disjoint part and the counts are summed.
    """
    info = distributed.current()
    correct = _count_correct(model, distributed.shard(bits, info), distributed.shard(labels, info), hard, batch)
    if info.enabled:
        correct = distributed.all_reduce_sum([correct], next(model.parameters()).device)[0]
    return correct / max(1, bits.shape[0])


def _count_correct(model: LogicNet | ConvLogicNet, bits, labels, hard: bool, batch: int) -> int:
    device = next(model.parameters()).device
    seed = model.config.seed + EVAL_NOISE_OFFSET
    correct = 0
    batch = model.eval_chunk(batch)
    for i in range(0, bits.shape[0], batch):
        x = bits[i : i + batch].to(device).float()
        noise = None if hard else torch.Generator(device=device).manual_seed(seed)
        pred = model(x, hard=hard, noise=noise).argmax(dim=1).cpu()
        correct += int((pred == labels[i : i + batch]).sum())
    return correct


def make_adam(params: list[torch.nn.Parameter], lr: float) -> torch.optim.Adam:
    """Adam with the fused (single-kernel) implementation where this PyTorch has one for the device
    (CPU since torch 2.4: about 3.5x faster than the default multi-tensor path on 4 x 8000 logits),
    else the default. Both implement the same update; they may differ in the last float bit."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


def train(
    net_config: NetConfig | ConvNetConfig,
    data: EncodedData,
    config: TrainConfig | None = None,
    metrics_path: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
    publish_metrics: bool = True,
) -> TrainResult:
    """Train a network; every epoch records the metrics of docs/training.md (loss, soft/hard test
    accuracy, discretization and selection gap, confidence, T_b, gate fractions) and, with
    ``metrics_path``, rewrites them as JSON lines and CSV (same name, ``.csv``) in hidden ``.partial``
    files beside it, which replace the files at ``metrics_path`` only when training finishes (with
    ``publish_metrics``; otherwise the caller calls ``publish_metrics_files`` itself, e.g. together with the
    checkpoint), so an interrupted run never overwrites the metrics of an earlier, complete one.

    Raises TrainingError when the loss or the weights become NaN or infinite (a diverged run never
    "succeeds" into a checkpoint of garbage).

    Deterministic for a given seed on one device: wiring, init, shuffling and Gumbel noise are all
    drawn from seeded generators. When a torch.distributed group is initialized, trains data-parallel:
    each rank takes a disjoint shard of every global batch of ``batch_size`` samples, gradients are
    summed over the ranks, and only rank 0 writes metrics and calls ``on_epoch``.
    """
    try:
        return _train(net_config, data, config, metrics_path, progress, on_epoch, publish_metrics)
    except BaseException:
        if metrics_path is not None:
            discard_partial_metrics(metrics_path)
        raise


def _train(net_config, data, config, metrics_path, progress, on_epoch, publish_metrics) -> TrainResult:
    config = config or TrainConfig()
    config.validate()
    if net_config.num_inputs != data.num_inputs or net_config.num_classes != data.num_classes:
        raise ConfigError(
            f"network expects {net_config.num_inputs} inputs / {net_config.num_classes} classes, "
            f"data has {data.num_inputs} / {data.num_classes}"
        )
    if isinstance(net_config, ConvNetConfig) and data.image_shape is not None and tuple(net_config.image_shape) != tuple(data.image_shape):
        raise ConfigError(f"network expects {tuple(net_config.image_shape)} input images, data has {tuple(data.image_shape)}")
    info = distributed.current()
    if info.enabled and config.batch_size < info.world_size:
        raise ConfigError(f"batch size {config.batch_size} is smaller than the {info.world_size} data-parallel processes")
    tune_allocator()  # reuse freed activation memory instead of page-faulting it in every step
    torch.manual_seed(config.seed)
    device = distributed.training_device(resolve_device(config.device), info)
    model = build_model(net_config).to(device)
    if info.enabled:
        distributed.broadcast_module(model)  # identical anyway (same seed); this makes it a guarantee
    params = list(model.parameters())
    optimizer = make_adam(params, config.lr)
    shuffle = torch.Generator().manual_seed(config.seed)
    n = data.train_bits.shape[0]
    steps = math.ceil(n / config.batch_size)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps)
        if config.lr_schedule == "cosine" else None
    )
    history: list[dict] = []
    metrics_file = Path(metrics_path) if metrics_path and info.is_main else None
    gap_n = min(n, config.gap_samples)
    start = time.perf_counter()
    train_seconds = 0.0
    show = progress and info.is_main  # the bar: rank 0 only
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=shuffle)
        total_loss = 0.0
        # Summed on the device and read back every LOSS_SYNC_STEPS steps: a .item() per step would
        # make every step wait for the GPU.
        loss_pending = torch.zeros((), dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)
        epoch_start = time.perf_counter()
        bar = tqdm(range(steps), desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=None if show else True, leave=False)  # None: hidden when not a terminal
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            global_batch = idx.numel()
            idx = distributed.shard(idx, info)
            x = data.train_bits[idx].to(device).float()
            y = data.train_y[idx].to(device)
            # Sum over this rank's samples / global batch: summed over the ranks, the batch mean.
            loss_sum = torch.nn.functional.cross_entropy(model(x) / net_config.tau, y, reduction="sum")
            optimizer.zero_grad(set_to_none=True)
            (loss_sum / global_batch).backward()
            if info.enabled:
                distributed.all_reduce_gradients(params)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            model.update_cage()  # depends only on the logits, identical on every rank
            loss_pending += loss_sum.detach()
            if step % LOSS_SYNC_STEPS == 0 or step == steps - 1:
                total_loss += loss_pending.item()
                loss_pending.zero_()
                if not math.isfinite(total_loss):
                    raise TrainingError(_diverged(f"the training loss is {total_loss} at epoch {epoch}, step {step + 1}", config))
                bar.set_postfix(loss=f"{total_loss / min(n, (step + 1) * config.batch_size) * info.world_size:.3f}")
        if info.enabled:
            total_loss = distributed.all_reduce_sum([total_loss], device)[0]
        train_seconds += time.perf_counter() - epoch_start
        if not bool(torch.isfinite(model.all_logits()).all()):
            raise TrainingError(_diverged(f"gate logits became NaN or infinite in epoch {epoch}", config))
        model.eval()
        soft = evaluate(model, data.test_bits, data.test_y, hard=False, batch=config.eval_batch)
        hard = evaluate(model, data.test_bits, data.test_y, hard=True, batch=config.eval_batch)
        train_soft = train_hard = None  # gap_samples=0: selection gap not measured
        if gap_n:
            train_soft = evaluate(model, data.train_bits[:gap_n], data.train_y[:gap_n], hard=False, batch=config.eval_batch)
            train_hard = evaluate(model, data.train_bits[:gap_n], data.train_y[:gap_n], hard=True, batch=config.eval_batch)
        temps = torch.cat([t.reshape(-1) for t in model.backward_temperatures()])
        mean_loss = total_loss / n
        record = {
            "epoch": epoch,
            "loss": mean_loss,
            "train_loss": mean_loss,
            "soft_test_acc": soft,
            "hard_test_acc": hard,
            "discretization_gap": soft - hard,
            "train_acc_training_forward": train_soft,
            "train_acc_frozen": train_hard,
            "selection_gap": train_soft - train_hard if gap_n else None,
            "mean_confidence": float(CageSchedule.confidence(model.all_logits()).mean()),
            "backward_temperature": float(temps.mean()),
            "lr": float(optimizer.param_groups[0]["lr"]),  # at the end of the epoch
            "gate_fractions": [round(f, 6) for f in model.gate_type_fractions()],
            "seconds": round(time.perf_counter() - start, 3),
        }
        history.append(record)
        if metrics_file is not None:
            jsonl, csv_path = partial_metrics_paths(metrics_file)
            write_metrics_jsonl(jsonl, history)
            write_metrics_csv(csv_path, history)
        if on_epoch and info.is_main:
            on_epoch(record)
    if metrics_file is not None and publish_metrics:
        publish_metrics_files(metrics_file)
    model = model.cpu()
    checkpoint = Checkpoint(model=model, input_encoding=data.input_encoding, dataset=data.name, metrics=history)
    return TrainResult(
        checkpoint=checkpoint,
        history=history,
        seconds=time.perf_counter() - start,
        samples_per_second=n * config.epochs / max(train_seconds, 1e-9),
    )


def _diverged(what: str, config: TrainConfig) -> str:
    return (f"training diverged: {what}; nothing was saved (lower --lr, now {config.lr:g}, or --grad-factor)")


def format_epoch(record: dict) -> str:
    """One human line per epoch, as the CLI prints it."""
    return (
        f"epoch {record['epoch']}: loss {record['loss']:.4f}  soft test acc {100 * record['soft_test_acc']:.2f}%  "
        f"hard test acc {100 * record['hard_test_acc']:.2f}%  gap {100 * record['discretization_gap']:+.2f} pts  "
        f"selection gap {_points(record.get('selection_gap'))}  T_b {record['backward_temperature']:.2f}"
    )


def _points(gap: float | None) -> str:
    return "n/a" if gap is None else f"{100 * gap:+.2f} pts"
