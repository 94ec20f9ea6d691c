"""How a layer turns its 16 logits per gate into gate coefficients, for each training method.

Every relaxed gate is multilinear, g(a, b) = c0 + c1 a + c2 b + c3 ab, so a layer only needs per-gate
coefficients (gates, 4) = selection weights (gates, 16) @ lgn2hw.gates.coefficient_matrix(). The four
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

ESTIMATORS = ("soft-mix", "soft-gumbel", "gumbel-st", "hard-st")
STRAIGHT_THROUGH = ("gumbel-st", "hard-st")


class _HardSelect(torch.autograd.Function):
    """Forward: coefficients of argmax(scores). Backward: through softmax(scores / T) @ coefficients."""

    @staticmethod
    def forward(ctx, scores: torch.Tensor, temperature: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(scores, temperature, coeffs)
        return coeffs.index_select(0, scores.argmax(dim=-1))

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        # d/ds of softmax(s / T) @ C against grad_out: p * (go C^T - <p C, go>) with go = grad_out / T.
        # Scaling the (gates, 4) gradient by 1/T and taking the inner product through p @ C (gates, 4)
        # keeps the (gates, 16) work to the softmax, one matmul, one subtraction and one product.
        scores, temperature, coeffs = ctx.saved_tensors
        t = temperature.reshape(-1, 1) if temperature.dim() else temperature
        probs = torch.softmax(scores / t, dim=-1)
        go = grad_out / t  # (gates, 4)
        inner = (probs @ coeffs).mul_(go).sum(dim=-1, keepdim=True)  # <p C, go> per gate
        grad_scores = (go @ coeffs.T).sub_(inner).mul_(probs)
        return grad_scores, None, None


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
