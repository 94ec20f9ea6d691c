"""OR pooling: each S x S window of a feature map becomes the OR of its bits (stride S, no overlap).

On binary values OR is the maximum, so the training forward takes the maximum of the window (the
paper's relaxation, the max t-conorm): on the bits of the Hard-ST forward it is exactly the frozen OR
tree, and on the relaxed values of the soft estimators it stays in [0, 1]. Its gradient is split
evenly over the window's maximal values, as ``torch.amax``'s is (with binary activations: over the
ones, or over all S x S inputs when the window is all zero), so every input that could change the
output gets some gradient. In hardware a window is S*S - 1 two-input OR gates (lgn2hw.frontend.freeze_conv).

Feature-major like every layer here: (C * H * W, batch) -> (C * H/S * W/S, batch), rows (channel, y, x).
The window is S*S strided views of the input; forward and backward are written over those views
(``_OrPool``): ``amax`` over the two window dimensions of the same view took 6.05 ms forward and
14.10 ms forward + backward against 0.16 and 4.45 ms (16 x 24 x 24 maps, batch 100, one core:
benchmarks/or_pool_speed.py, docs/conv.md).
"""

from __future__ import annotations

import torch
from torch import nn


class OrPool2d(nn.Module):
    """S x S OR pooling of feature-major activations; no parameters."""

    def __init__(self, in_shape: tuple[int, int, int], size: int):
        super().__init__()
        c, h, w = in_shape
        self.in_shape, self.size = tuple(in_shape), size
        self.out_shape = (c, h // size, w // size)

    @property
    def gates_per_output(self) -> int:
        return self.size * self.size - 1

    @property
    def unrolled_gates(self) -> int:
        c, h, w = self.out_shape
        return c * h * w * self.gates_per_output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, oh, ow = self.out_shape
        return _OrPool.apply(x, self.size, (c, oh, ow)).view(c * oh * ow, x.shape[-1])


def _cells(x: torch.Tensor, size: int, out_shape: tuple[int, int, int]) -> list[torch.Tensor]:
    """The size*size strided (C, H/S, W/S, batch) views of a (C * H * W, batch) activation, one per window cell."""
    c, oh, ow = out_shape
    windows = x.view(c, oh, size, ow, size, x.shape[-1])
    return [windows[:, :, dy, :, dx] for dy in range(size) for dx in range(size)]


class _OrPool(torch.autograd.Function):
    """Forward: the window maximum. Backward: dL/dout split evenly over the window's maximal inputs."""

    @staticmethod
    def forward(ctx, x, size, out_shape):
        cells = _cells(x, size, out_shape)
        out = torch.maximum(cells[0], cells[1])
        for cell in cells[2:]:
            torch.maximum(out, cell, out=out)
        ctx.save_for_backward(x, out)
        ctx.size, ctx.out_shape = size, out_shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        is_max = [cell == out for cell in _cells(x, ctx.size, ctx.out_shape)]
        count = is_max[0].to(g.dtype)
        for m in is_max[1:]:
            count += m
        share = g / count  # count >= 1: the maximum is one of the window's inputs
        grad = torch.empty_like(x)
        for cell, m in zip(_cells(grad, ctx.size, ctx.out_shape), is_max):
            torch.mul(share, m, out=cell)
        return grad, None, None
