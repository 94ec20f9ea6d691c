"""Checkpoints: network config + weights + input encoding, saved with torch.save, loaded safely.

Loading always uses ``torch.load(weights_only=True)``, which refuses pickled code, and then checks the
document is ours before trusting any field.

Version 1 holds a dense network (NetConfig); version 2 a convolutional one (ConvNetConfig: the
architecture description and the input image shape). Dense networks are still written as version 1,
byte for byte as before; a reader that knows only version 1 refuses a convolutional checkpoint with
its "unsupported checkpoint version 2" line instead of misreading it.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import __version__
from ..errors import CheckpointError, ConfigError
from ..fsutil import atomic_file
from .model import ConvLogicNet, ConvNetConfig, LogicNet, NetConfig, build_model

FORMAT_NAME = "lgn2hw-checkpoint"
FORMAT_VERSION = 1  # dense networks
CONV_FORMAT_VERSION = 2  # convolutional networks
_CONFIGS = {FORMAT_VERSION: NetConfig, CONV_FORMAT_VERSION: ConvNetConfig}
TIMING_KEYS = ("seconds",)  # per-epoch metrics that are wall-clock times (kept in metrics.jsonl only)


def checkpoint_bytes_estimate(config: NetConfig | ConvNetConfig) -> int:
    """Bytes of the tensors a checkpoint of ``config`` holds (the file adds a few kB of metadata), from
    the network built on PyTorch's meta device: nothing is allocated, and the random generator's state
    is restored, so training afterwards draws exactly what it would have drawn."""
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        model = build_model(config)
    return sum(t.numel() * t.element_size() for t in model.state_dict().values() if torch.is_tensor(t))


@dataclass
class Checkpoint:
    """A trained network and what is needed to deploy it."""

    model: LogicNet | ConvLogicNet
    input_encoding: dict | None = None
    dataset: str | None = None
    metrics: list[dict] = field(default_factory=list)
    source: str | None = None

    def save(self, path: str | os.PathLike) -> None:
        doc = {
            "format": FORMAT_NAME,
            "version": CONV_FORMAT_VERSION if isinstance(self.model, ConvLogicNet) else FORMAT_VERSION,
            "lgn2hw_version": __version__,
            "config": self.model.config.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "cage": self.model.cage.state_dict() if self.model.cage is not None else None,
            "input_encoding": self.input_encoding,
            "dataset": self.dataset,
            # timings vary from run to run: left out, so that the same seed gives the same bytes
            "metrics": [{k: v for k, v in record.items() if k not in TIMING_KEYS} for record in self.metrics],
        }
        with atomic_file(path, "wb") as handle:
            torch.save(doc, handle)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Checkpoint:
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"{path}: no such checkpoint file")
        return cls.from_doc(load_weights_only(path), path)

    @classmethod
    def from_doc(cls, doc, path: str | os.PathLike) -> Checkpoint:
        """A checkpoint from what ``load_weights_only`` read (checked to be ours before any field is trusted)."""
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise CheckpointError(f"{path}: not an lgn2hw checkpoint (no \"format\": \"{FORMAT_NAME}\")")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version not in _CONFIGS:
            raise CheckpointError(
                f"{path}: unsupported checkpoint version {version!r} (this lgn2hw reads versions "
                f"{FORMAT_VERSION} (dense) and {CONV_FORMAT_VERSION} (convolutional); a newer lgn2hw wrote it?)"
            )
        _check_state(doc.get("state_dict"), path)
        try:
            config = _CONFIGS[version](**doc["config"])
            model = build_model(config)
            model.load_state_dict(doc["state_dict"])
            if model.cage is not None and doc.get("cage"):
                model.cage.load_state_dict(doc["cage"])
        except (KeyError, TypeError, ValueError, RuntimeError, ConfigError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(f"{path}: checkpoint contents do not match its config ({first})") from None
        return cls(
            model=model,
            input_encoding=doc.get("input_encoding"),
            dataset=doc.get("dataset"),
            metrics=list(doc.get("metrics") or []),
            source=str(path),
        )


def _check_state(state, path) -> None:
    """Every entry of a state dict is a real tensor, and every floating one finite: NaN, infinite or complex
    logits would freeze into a circuit that computes garbage."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: checkpoint has no state_dict of tensors")
    for name, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path}: state_dict entry {name!r} is not a tensor ({type(value).__name__})")
        if value.is_complex():
            raise CheckpointError(f"{path}: state_dict entry {name!r} holds complex numbers")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{path}: state_dict entry {name!r} holds NaN or infinite values (a diverged training?)")


def is_lgn2hw_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a checkpoint lgn2hw wrote (a file another tool wrote is never overwritten)."""
    try:
        doc = load_weights_only(path)
    except CheckpointError:
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT_NAME


def load_weights_only(path: str | os.PathLike):
    """``torch.load(weights_only=True)`` of any torch file (ours or difflogic's); every failure is one
    CheckpointError line: pickled code is refused, anything else unreadable is called corrupt (torch's
    unpickler raises arbitrary exception types on garbage, e.g. IndexError on a text file)."""
    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsafe pickle"
        raise CheckpointError(f"{path}: refused to load: the file holds objects that are not plain weights ({first})") from None
    except Exception as exc:  # noqa: BLE001 - see above: a corrupt file may fail in any way
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt: {first})") from None
