"""OR pooling: each S x S window of a feature map becomes the OR of its bits (stride S, no overlap).

On binary values OR is the maximum, so the training forward takes the maximum of the window (the
paper's relaxation, the max t-conorm): on the bits of the Hard-ST forward it is exactly the frozen OR
tree, and on the relaxed values of the soft estimators it stays in [0, 1]. Its gradient is
``torch.amax``'s: split evenly over the window's maximal values (with binary activations: over the
ones, or over all S x S inputs when the window is all zero), so every input that could change the
output gets some gradient. In hardware a window is S*S - 1 two-input OR gates (lgn2hw.frontend.freeze_conv).

Feature-major like every layer here: (C * H * W, batch) -> (C * H/S * W/S, batch), rows (channel, y, x).
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
        s = self.size
        windows = x.view(c, oh, s, ow, s, x.shape[-1])
        return windows.amax(dim=(2, 4)).reshape(c * oh * ow, x.shape[-1])
