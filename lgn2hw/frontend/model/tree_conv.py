"""Logic-tree convolution: every output channel is one small tree of trained gates applied at every position.

Following Petersen et al. (NeurIPS 2024, "Convolutional Differentiable Logic Gate Networks"), a kernel
is a complete binary tree of depth D (default 3): 2^D leaves read fixed input bits of a K x K
receptive field, 2^D - 1 two-input gates (16 logits each, as in a dense layer) combine them. The
tree's leaves are drawn once (from the network seed) and shared by every position, as are its gates;
each tree reads at most 2 input channels of its group (the paper's routability rule), and its 2^D
leaves are distinct (channel, dy, dx) picks from those channels' receptive field, so no gate reads
one signal twice.

Tree shape (fixed, so the leaf draw alone decides which inputs meet): level 1 gate j reads leaves j
(operand a) and j + 2^(D-1) (operand b); level l gate j reads gates j and j + n_l of level l - 1
(n_l gates on level l). The weights are one (gates, 16) parameter in level-major order: row
``offset_l + j * C_out + o`` is gate j of level l of output channel o. With residual init every gate
passes operand a through, so the tree starts as a copy of leaf 0.

Activations are feature-major, (C * H * W, batch) with rows in (channel, y, x) order, as in the dense
layers: one ``index_select`` of precomputed rows gathers all leaves of all positions, (2^D, C_out,
positions * batch); each level is then four multiply-adds on whole halves, the coefficients broadcast
over positions and batch. Zero padding reads one extra all-zero row. The backward is written by hand
(``_TreeConv``): one pass per level and a single ``embedding_bag`` that sums the leaf gradients back
onto the input rows (the dense layer's plan), where autograd would keep and revisit more tensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...ir.gates import PASS_A, coefficient_matrix
from .arch import CHANNELS_PER_TREE, Conv, conv_output_size
from .network import input_gradient_plan


def draw_leaves(in_channels: int, spec: Conv, generator: torch.Generator) -> torch.Tensor:
    """(C_out, 2^D, 3) int64: the (input channel, dy, dx) of every leaf of every tree.

    A tree of group g picks min(2, channels per group) distinct channels of its group, then 2^D
    distinct cells of those channels' K x K fields, all uniformly (seeded) at random.
    """
    per_group = in_channels // spec.groups
    out_per_group = spec.channels // spec.groups
    group = torch.arange(spec.channels) // out_per_group
    picked = min(CHANNELS_PER_TREE, per_group)
    chosen = torch.rand(spec.channels, per_group, generator=generator).argsort(dim=1)[:, :picked]
    cells = spec.kernel * spec.kernel
    pick = torch.rand(spec.channels, picked * cells, generator=generator).argsort(dim=1)[:, : spec.leaves]
    which, cell = pick // cells, pick % cells
    channel = group.unsqueeze(1) * per_group + chosen.gather(1, which)
    return torch.stack([channel, cell // spec.kernel, cell % spec.kernel], dim=-1).contiguous()


def leaf_rows(leaves: torch.Tensor, in_shape: tuple[int, int, int], spec: Conv) -> torch.Tensor:
    """(2^D, C_out, H_out * W_out) int64: the input row every leaf reads at every output position;
    a read outside the image (zero padding) names row C * H * W, the all-zero row."""
    c, h, w = in_shape
    oh, ow = conv_output_size(h, spec), conv_output_size(w, spec)
    dev = leaves.device
    ch, dy, dx = (leaves[..., i].T.reshape(spec.leaves, spec.channels, 1, 1) for i in range(3))
    iy = torch.arange(oh, device=dev).view(1, 1, oh, 1) - spec.pad + dy
    ix = torch.arange(ow, device=dev).view(1, 1, 1, ow) - spec.pad + dx
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    rows = torch.where(inside, ch * (h * w) + iy * w + ix, torch.full_like(iy, c * h * w))
    return rows.reshape(spec.leaves, spec.channels, oh * ow).contiguous()


class TreeConv2d(nn.Module):
    """A logic-tree convolution layer: (C_in * H * W, batch) -> (C_out * H_out * W_out, batch)."""

    def __init__(self, in_shape: tuple[int, int, int], spec: Conv, generator: torch.Generator,
                 init: str = "gaussian", residual_logit: float = 5.0):
        super().__init__()
        self.in_shape, self.spec = tuple(in_shape), spec
        self.out_shape = (spec.channels, conv_output_size(in_shape[1], spec), conv_output_size(in_shape[2], spec))
        self.register_buffer("leaves", draw_leaves(in_shape[0], spec, generator))
        rows = spec.tree_gates * spec.channels
        if init == "residual":
            weights = torch.zeros(rows, 16)
            weights[:, PASS_A] = residual_logit
        else:
            weights = torch.randn(rows, 16, generator=generator)
        self.weights = nn.Parameter(weights)
        self.register_buffer("coeffs", torch.from_numpy(coefficient_matrix().copy()), persistent=False)

    @property
    def out_dim(self) -> int:
        """Trained gates (weight rows): the gates of one position, shared by all."""
        return self.weights.shape[0]

    @property
    def positions(self) -> int:
        return self.out_shape[1] * self.out_shape[2]

    @property
    def in_rows(self) -> int:
        c, h, w = self.in_shape
        return c * h * w

    @property
    def unrolled_gates(self) -> int:
        """Gates of the frozen circuit: every position gets its own copy of every tree."""
        return self.out_dim * self.positions

    @property
    def activation_rows(self) -> int:
        """Rows of the widest activation this layer makes (the gathered leaves)."""
        return self.spec.leaves * self.spec.channels * self.positions

    def leaf_rows(self) -> torch.Tensor:
        """``leaf_rows`` of this layer's leaves, cached until the buffer is replaced or loaded into."""
        key = (self.leaves.data_ptr(), self.leaves._version, self.leaves.device)
        if getattr(self, "_rows_key", None) != key:
            rows = leaf_rows(self.leaves, self.in_shape, self.spec)
            self._rows = rows.reshape(-1)
            self._reads_padding = bool((rows == self.in_rows).any())
            half = self._rows.numel() // 2
            self._plan = input_gradient_plan(self._rows[:half], self._rows[half:], self.in_rows + self._reads_padding)
            self._rows_key = key
        return self._rows

    @property
    def reads_padding(self) -> bool:
        self.leaf_rows()
        return self._reads_padding

    def frozen_ops(self) -> torch.Tensor:
        return self.weights.detach().argmax(dim=-1)

    def forward(self, x: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
        """x: (C_in * H * W, batch); coeffs: (gates, 4) per-gate multilinear coefficients."""
        rows = self.leaf_rows()
        if self._reads_padding:
            x = torch.cat([x, x.new_zeros(1, x.shape[1])])
        plan = self._plan if x.requires_grad else None
        out = _TreeConv.apply(x, coeffs, rows, self.spec.leaves, self.spec.channels, plan)
        return out.view(self.spec.channels * self.positions, -1)


def _split(c: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(n, C_out, 4) coefficients -> four (n, C_out, 1) columns (broadcast over positions x batch)."""
    return tuple(c[..., i].unsqueeze(-1).contiguous() for i in range(4))


class _TreeConv(torch.autograd.Function):
    """All levels of a tree convolution: gather the leaves, then per level out = c0 + c2 b + a (c1 + c3 b).

    Backward, level by level from the root, with g = dL/dout: dL/dc = sums over positions and batch
    of g, g a, g b, g a b; dL/da = g (c1 + c3 b) (c1 + c3 b kept from the forward), dL/db =
    g (c2 + c3 a), written into one tensor that is the next level's g. The leaf gradients go back onto
    the input rows in one ``embedding_bag`` (input_gradient_plan of the leaf rows); nothing is computed
    for the leaves when x needs no gradient (the first layer).
    """

    @staticmethod
    def forward(ctx, x, coeffs, rows, leaves, channels, plan=None):
        h = x.index_select(0, rows).view(leaves, channels, -1)  # (2^D, C_out, positions * batch)
        ct = coeffs.detach()
        saved, offset = [], 0
        while h.shape[0] > 1:
            n = h.shape[0] // 2
            c0, c1, c2, c3 = _split(ct[offset: offset + n * channels].view(n, channels, 4))
            a, b = h[:n], h[n:]
            t = b * c3
            t += c1  # c1 + c3 b
            out = b * c2
            out += c0
            out.addcmul_(a, t)  # exact on binary inputs: integers throughout
            saved += [h, t]
            h, offset = out, offset + n * channels
        ctx.save_for_backward(ct, *saved)  # references only; dropped at once without autograd
        if ctx.needs_input_grad[0] and plan is None:
            half = rows.numel() // 2
            plan = input_gradient_plan(rows[:half], rows[half:], x.shape[0])
        ctx.channels, ctx.plan = channels, plan
        return h

    @staticmethod
    def backward(ctx, g):
        ct, *saved = ctx.saved_tensors
        channels = ctx.channels
        g = g.contiguous()
        grad_coeffs = ct.new_empty(4, ct.shape[0])  # rows: sums of g, g a, g b, g a b
        offset = ct.shape[0]
        grad_x = None
        for level in range(len(saved) // 2 - 1, -1, -1):
            h, t = saved[2 * level], saved[2 * level + 1]
            n = h.shape[0] // 2
            a, b = h[:n], h[n:]
            offset -= n * channels
            _, _, c2, c3 = _split(ct[offset: offset + n * channels].view(n, channels, 4))
            gc = grad_coeffs[:, offset: offset + n * channels].view(4, n, channels)
            p = g * a
            torch.sum(g, -1, out=gc[0])
            torch.sum(p, -1, out=gc[1])
            operand_grads = None
            if level > 0 or ctx.needs_input_grad[0]:
                operand_grads = torch.empty_like(h)
                ga, gb = operand_grads[:n], operand_grads[n:]
                torch.mul(g, c2, out=gb)
                gb.addcmul_(p, c3)  # g (c2 + c3 a) = c2 g + c3 (g a), reusing g a
                torch.mul(g, t, out=ga)  # g (c1 + c3 b)
            p *= b
            torch.sum(p, -1, out=gc[3])
            torch.mul(g, b, out=p)
            torch.sum(p, -1, out=gc[2])
            g = operand_grads
        if ctx.needs_input_grad[0]:
            order, offsets = ctx.plan
            grad_x = F.embedding_bag(order, g.view(order.numel(), -1), offsets, mode="sum")
        return grad_x, grad_coeffs.T, None, None, None, None
