"""How a layer turns its 16 logits per gate into gate coefficients, for each training method.

Every relaxed gate is multilinear, g(a, b) = c0 + c1 a + c2 b + c3 ab, so a layer only needs per-gate
coefficients (gates, 4) = selection weights (gates, 16) @ lgn2hw.ir.gates.coefficient_matrix(). The four
estimators of the paper differ in the selection weights of the forward pass and in the gradient:

* ``soft-mix``    forward softmax(logits / T); exact gradient.
* ``soft-gumbel`` forward softmax((logits + G) / T), G Gumbel noise; exact gradient.
* ``gumbel-st``   forward one-hot argmax(logits + G); straight-through gradient of softmax((logits + G) / T).
* ``hard-st``     forward one-hot argmax(logits); straight-through gradient of softmax(logits / T).

Hard forwards are a table look-up of the selected gate's coefficients, so on binary inputs the
training forward is bit-for-bit the frozen network (zero selection gap by construction). Their
backward is a custom autograd function, so no ``hard + soft - soft.detach()`` rounding sneaks into the
forward value.
"""

from __future__ import annotations

import torch

from ..methods import ESTIMATORS, STRAIGHT_THROUGH

__all__ = ["ESTIMATORS", "STRAIGHT_THROUGH", "frozen_coefficients", "select_coefficients"]


class _HardSelect(torch.autograd.Function):
    """Forward: coefficients of argmax(scores). Backward: through softmax(scores / T) @ coefficients."""

    @staticmethod
    def forward(ctx, scores: torch.Tensor, temperature: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(scores, temperature, coeffs)
        return coeffs.index_select(0, scores.argmax(dim=-1))

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        # d/ds of softmax(s / T) @ C against grad_out: p * (v - <p, v>) with v = (grad_out / T) @ C^T,
        # which is the softmax backward of v: one fused kernel (aten's _softmax_backward_data) instead
        # of five (gates, 16) passes; the 1/T goes on the small (gates, 4) gradient first.
        scores, temperature, coeffs = ctx.saved_tensors
        t = temperature.reshape(-1, 1) if temperature.dim() else temperature
        probs = torch.softmax(scores / t, dim=-1)
        v = (grad_out / t) @ coeffs.T  # (gates, 16)
        return _softmax_backward(v, probs), None, None


def _softmax_backward(v: torch.Tensor, probs: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """probs * (v - sum(probs * v)) over dimension ``dim``."""
    if _FUSED_SOFTMAX_BACKWARD:
        return torch._softmax_backward_data(v, probs, dim, probs.dtype)
    return (v - (probs * v).sum(dim=dim, keepdim=True)).mul_(probs)


_FUSED_SOFTMAX_BACKWARD = hasattr(torch, "_softmax_backward_data")


def gumbel_noise(shape, device, generator: torch.Generator | None) -> torch.Tensor:
    uniform = torch.rand(shape, device=device, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(uniform))


def select_coefficients(
    logits: torch.Tensor,
    coeffs: torch.Tensor,
    estimator: str,
    temperature: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Per-gate coefficients (gates, 4) for a training forward pass with the given estimator.

    ``temperature`` is a scalar tensor or one value per gate (CAGE per-gate variant).
    """
    t = temperature.reshape(-1, 1) if temperature.dim() else temperature
    if estimator == "hard-st":
        return _HardSelect.apply(logits, temperature, coeffs)
    if estimator == "gumbel-st":
        return _HardSelect.apply(logits + gumbel_noise(logits.shape, logits.device, generator), temperature, coeffs)
    if estimator == "soft-mix":
        return torch.softmax(logits / t, dim=-1) @ coeffs
    if estimator == "soft-gumbel":
        noisy = logits + gumbel_noise(logits.shape, logits.device, generator)
        return torch.softmax(noisy / t, dim=-1) @ coeffs
    raise ValueError(f"unknown estimator {estimator!r} (choose from {', '.join(ESTIMATORS)})")


def frozen_coefficients(logits: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """Coefficients of the deployed (argmax) gates."""
    return coeffs.index_select(0, logits.argmax(dim=-1))
