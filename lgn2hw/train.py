"""Training: encode a data set to bits, train a LogicNet with Adam, report soft/hard metrics per epoch."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .checkpoint import Checkpoint
from .errors import ConfigError
from .fsutil import atomic_file
from .model import LogicNet, NetConfig


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

    @property
    def num_inputs(self) -> int:
        return int(self.train_bits.shape[1])


def encode_dataset(
    name: str = "fashion-mnist",
    data_dir: str | os.PathLike | None = None,
    thresholds: int = 3,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> EncodedData:
    """Load a data set by name and thermometer-encode every feature with ``thresholds`` levels."""
    from .data.datasets import load_dataset
    from .data.encoding import ThresholdEncoding

    if thresholds < 1:
        raise ConfigError(f"thresholds must be >= 1, got {thresholds}")
    data = load_dataset(name, data_dir=data_dir, limit_train=limit_train, limit_test=limit_test)
    encoding = ThresholdEncoding.thermometer(data.train_x.shape[1], thresholds)
    return EncodedData(
        name=name,
        train_bits=torch.from_numpy(encoding.encode(data.train_x)),
        train_y=torch.from_numpy(np.asarray(data.train_y, dtype=np.int64)),
        test_bits=torch.from_numpy(encoding.encode(data.test_x)),
        test_y=torch.from_numpy(np.asarray(data.test_y, dtype=np.int64)),
        num_classes=int(data.num_classes),
        input_encoding=encoding.to_json(),
    )


@dataclass
class TrainConfig:
    """Optimizer and loop settings (the network itself is NetConfig)."""

    epochs: int = 5
    batch_size: int = 100
    lr: float = 0.01
    seed: int = 0
    device: str = "auto"
    eval_batch: int = 2000

    def validate(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be > 0, got {self.lr}")


@dataclass
class TrainResult:
    checkpoint: Checkpoint
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    samples_per_second: float = 0.0


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {device!r} ({exc})") from None


@torch.no_grad()
def evaluate(model: LogicNet, bits: torch.Tensor, labels: torch.Tensor, hard: bool, batch: int = 2000) -> float:
    """Accuracy of the frozen (hard) or training-mode (soft) forward; argmax ties to the lowest class."""
    device = next(model.parameters()).device
    correct = 0
    for i in range(0, bits.shape[0], batch):
        x = bits[i : i + batch].to(device).float()
        pred = model(x, hard=hard).argmax(dim=1).cpu()
        correct += int((pred == labels[i : i + batch]).sum())
    return correct / max(1, bits.shape[0])


def train(
    net_config: NetConfig,
    data: EncodedData,
    config: TrainConfig | None = None,
    metrics_path: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train a network; every epoch logs loss, soft/hard test accuracy, the gap, confidence and T_b.

    Deterministic for a given seed on one device: wiring, init, shuffling and Gumbel noise are all
    drawn from seeded generators.
    """
    config = config or TrainConfig()
    config.validate()
    if net_config.num_inputs != data.num_inputs or net_config.num_classes != data.num_classes:
        raise ConfigError(
            f"network expects {net_config.num_inputs} inputs / {net_config.num_classes} classes, "
            f"data has {data.num_inputs} / {data.num_classes}"
        )
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    model = LogicNet(net_config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    shuffle = torch.Generator().manual_seed(config.seed)
    n = data.train_bits.shape[0]
    steps = math.ceil(n / config.batch_size)
    history: list[dict] = []
    metrics_file = Path(metrics_path) if metrics_path else None
    start = time.perf_counter()
    train_seconds = 0.0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=shuffle)
        total_loss = 0.0
        epoch_start = time.perf_counter()
        bar = tqdm(range(steps), desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=None if progress else True, leave=False)  # None: hidden when not a terminal
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x = data.train_bits[idx].to(device).float()
            y = data.train_y[idx].to(device)
            loss = torch.nn.functional.cross_entropy(model(x) / net_config.tau, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            model.update_cage()
            total_loss += loss.item()
            if step % 50 == 0:
                bar.set_postfix(loss=f"{total_loss / (step + 1):.3f}")
        train_seconds += time.perf_counter() - epoch_start
        model.eval()
        soft = evaluate(model, data.test_bits, data.test_y, hard=False, batch=config.eval_batch)
        hard = evaluate(model, data.test_bits, data.test_y, hard=True, batch=config.eval_batch)
        temps = torch.cat([t.reshape(-1) for t in model.backward_temperatures()])
        record = {
            "epoch": epoch,
            "loss": total_loss / steps,
            "soft_test_acc": soft,
            "hard_test_acc": hard,
            "discretization_gap": soft - hard,
            "mean_confidence": float(model.cage.confidence(model.all_logits()).mean()) if model.cage else
            float(torch.softmax(model.all_logits().detach(), -1).amax(-1).mean()),
            "backward_temperature": float(temps.mean()),
            "gate_fractions": [round(f, 6) for f in model.gate_type_fractions()],
            "seconds": round(time.perf_counter() - start, 3),
        }
        history.append(record)
        if metrics_file is not None:
            _write_jsonl(metrics_file, history)
        if on_epoch:
            on_epoch(record)
    model = model.cpu()
    checkpoint = Checkpoint(model=model, input_encoding=data.input_encoding, dataset=data.name, metrics=history)
    return TrainResult(
        checkpoint=checkpoint,
        history=history,
        seconds=time.perf_counter() - start,
        samples_per_second=n * config.epochs / max(train_seconds, 1e-9),
    )


def format_epoch(record: dict) -> str:
    """One human line per epoch, as the CLI prints it."""
    return (
        f"epoch {record['epoch']}: loss {record['loss']:.4f}  soft test acc {100 * record['soft_test_acc']:.2f}%  "
        f"hard test acc {100 * record['hard_test_acc']:.2f}%  gap {100 * record['discretization_gap']:+.2f} pts  "
        f"T_b {record['backward_temperature']:.2f}"
    )


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with atomic_file(path) as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
