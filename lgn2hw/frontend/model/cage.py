"""CAGE: Confidence-Adaptive Gradient Estimation, the backward-temperature schedule.

The forward pass stays hard; only the temperature of the surrogate (softmax) gradient changes. While
gates are uncommitted (low confidence) a high temperature spreads the gradient over all 16 gates; as
they commit, a low temperature sharpens it. The rule (design.md, as in public re-implementations):

    confidence = mean over gates of max softmax(logits)          (range 1/16 .. 1)
    c          = EMA(confidence, beta=0.99, start 1/16)
    progress   = clamp((c - 1/16) / (1 - 1/16), 0, 1)
    T_b        = T_max - (T_max - T_min) * progress              (T_max 3.0, T_min 0.5)

updated once per optimizer step. ``per_gate=True`` keeps one EMA per gate, so each gate gets its own
backward temperature (a variant the paper's wording suggests; compared in docs/training.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

UNIFORM_CONFIDENCE = 1.0 / 16.0


@dataclass
class CageSchedule:
    """Tracks gate confidence and yields the backward temperature for one layer's gates."""

    num_gates: int
    per_gate: bool = False
    beta: float = 0.99
    t_max: float = 3.0
    t_min: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.beta < 1.0:
            raise ValueError(f"CAGE beta must be in [0, 1), got {self.beta}")
        if not 0.0 < self.t_min <= self.t_max:
            raise ValueError(f"CAGE needs 0 < t_min <= t_max, got {self.t_min}, {self.t_max}")
        shape = (self.num_gates,) if self.per_gate else ()
        self.ema = torch.full(shape, UNIFORM_CONFIDENCE, dtype=torch.float32)

    @staticmethod
    def confidence(logits: torch.Tensor) -> torch.Tensor:
        """Max softmax probability per gate, (gates,).

        Computed on the transposed (16, gates) copy: PyTorch's CPU reductions over a last dimension of
        16 are slow, over the first dimension they run along contiguous memory (0.22 vs 0.31 ms for
        8000 gates on one core).
        """
        return torch.softmax(logits.detach().float().T.contiguous(), dim=0).amax(dim=0)

    @torch.no_grad()
    def update(self, logits: torch.Tensor | list[torch.Tensor]) -> None:
        """Fold this step's confidence into the EMA (call once per optimizer step).

        ``logits``: (gates, 16), or one such tensor per layer (their gates in order; no concatenation).
        """
        parts = [logits] if isinstance(logits, torch.Tensor) else list(logits)
        confs = [self.confidence(p) for p in parts]
        if self.per_gate:
            conf = torch.cat(confs)
        else:
            conf = sum(c.sum() for c in confs) / sum(c.numel() for c in confs)
        # The EMA lives where the logits do: no host round trip (a GPU sync) per optimizer step.
        self.ema = self.ema.to(conf.device)
        self.ema.mul_(self.beta).add_((1.0 - self.beta) * conf)

    def progress(self) -> torch.Tensor:
        return ((self.ema - UNIFORM_CONFIDENCE) / (1.0 - UNIFORM_CONFIDENCE)).clamp(0.0, 1.0)

    def temperature(self) -> torch.Tensor:
        """Backward temperature: a scalar tensor, or (gates,) with per_gate."""
        return self.t_max - (self.t_max - self.t_min) * self.progress()

    def state_dict(self) -> dict:
        return {"ema": self.ema.detach().cpu().clone()}

    def load_state_dict(self, state: dict) -> None:
        self.ema = state["ema"].clone().float()
