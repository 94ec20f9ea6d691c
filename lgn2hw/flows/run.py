"""The whole path in one call: train -> checkpoint -> compile (freeze, optimize, emit) -> verify on Icarus."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..frontend import distributed
from .compile import CompileResult, compile_source, verify_build
from ..fsutil import atomic_dir
from ..frontend.model import NetConfig
from ..frontend.train import EncodedData, TrainConfig, TrainResult, encode_dataset, format_epoch, train

CHECKPOINT_FILE = "model.pt"
METRICS_FILE = "metrics.jsonl"
RTL_DIR = "rtl"


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

    Every setting is checked (data set readable, network shape valid) before training starts. In a
    data-parallel group (lgn2hw.frontend.distributed) every rank trains and only rank 0 writes files.
    """
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
    checkpoint_path = Path(checkpoint_path)
    metrics_path = checkpoint_path.with_name(checkpoint_path.stem + ".metrics.jsonl")
    result = train(net_config, data, train_cfg, metrics_path=metrics_path, progress=progress, on_epoch=on_epoch)
    if distributed.current().is_main:
        result.checkpoint.save(checkpoint_path)
    return result, data


@dataclass
class RunResult:
    outdir: Path
    train: TrainResult
    compile: CompileResult
    verify: object


def run_all(
    settings: dict,
    outdir: str | os.PathLike,
    opt_level: int = 2,
    module_name: str = "lgn_top",
    vectors: int | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> RunResult:
    """Train, compile and verify into ``outdir`` (model.pt, model.metrics.jsonl, rtl/...), atomically."""
    outdir = Path(outdir)
    # Check and verify on the same test vectors training reported accuracy on.
    vectors = vectors or settings.get("limit_test")
    with atomic_dir(outdir) as tmp:
        trained, data = train_and_save(settings, tmp / CHECKPOINT_FILE, progress=progress, on_epoch=lambda r: echo(format_epoch(r)))
        last = trained.history[-1]
        echo(
            f"trained {trained.checkpoint.model.num_gates:,} gates in {trained.seconds:.0f} s "
            f"({trained.samples_per_second:,.0f} samples/s): soft test acc {100 * last['soft_test_acc']:.2f}%, "
            f"hard test acc {100 * last['hard_test_acc']:.2f}%"
        )
        compiled = compile_source(
            tmp / CHECKPOINT_FILE, tmp / RTL_DIR, opt_level=opt_level, module_name=module_name,
            check_vectors=vectors or data.test_bits.shape[0], data_dir=settings.get("data_dir"),
        )
        echo(compiled.report.format())
        echo(f"gates: {compiled.raw.num_gates:,} before optimization, {compiled.netlist.num_gates:,} after")
        checks = compiled.checks
        if checks:
            echo(f"python hard inference == netlist simulator == optimized netlist on {checks['vectors']:,} {checks['on']}")
        verified = verify_build(tmp / RTL_DIR, vectors=vectors, data_dir=settings.get("data_dir"))
        echo(verified.summary())
    # Paths in the results name the final directory, not the temporary one.
    compiled.outdir = outdir / RTL_DIR
    compiled.files = [outdir / RTL_DIR / f.name for f in compiled.files]
    return RunResult(outdir, trained, compiled, verified)
