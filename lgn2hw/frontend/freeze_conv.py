"""Freeze a ConvLogicNet: unroll it over positions into a plain gate netlist.

Every position of a tree convolution gets its own copy of the layer's trees (same ops, its own
operands), every pooling window an OR tree, and the dense layers are frozen as in a dense network.
The result is an ordinary netlist: every pass, the simulator, the emitter and the checks take it as
they take any other. Input bit i is signal i, the encoded input's bit i, which is row i of the first
layer's (channel, y, x) feature-major input; zero padding reads one constant-0 gate (FALSE), added
once before its first reader when some leaf reads outside the image (the optimizer folds it away).

Gate order: layer by layer; inside a tree convolution level by level, then output channel, then
position (y, x); inside pooling, tree level by level, then (channel, y, x). Outputs are the last dense
layer's gates in order: GroupSum's class-major grouping.
"""

from __future__ import annotations

import numpy as np

from ..ir.gates import FALSE, GATE_BY_NAME
from ..ir.netlist import Netlist
from .model.convnet import ConvLogicNet
from .model.pool import OrPool2d
from .model.tree_conv import TreeConv2d

OR = GATE_BY_NAME["or"].id


class _Builder:
    """Appends gates to growing op/operand lists; each call returns the new gates' signal ids."""

    def __init__(self, num_inputs: int):
        self.next = num_inputs
        self.ops: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self.b: list[np.ndarray] = []

    def add(self, ops, a, b) -> np.ndarray:
        a = np.asarray(a, dtype=np.int64)
        self.ops.append(np.broadcast_to(np.asarray(ops, dtype=np.uint8), a.shape).ravel())
        a = a.ravel()
        self.a.append(a)
        self.b.append(np.asarray(b, dtype=np.int64).ravel())
        ids = np.arange(self.next, self.next + a.size, dtype=np.int64)
        self.next += a.size
        return ids


def _tree_conv(builder: _Builder, layer: TreeConv2d, signals: np.ndarray, zero: list) -> np.ndarray:
    rows = layer.leaf_rows().cpu().numpy().reshape(layer.spec.leaves, layer.spec.channels, layer.positions)
    if layer.reads_padding:
        if not zero:
            zero.append(int(builder.add(FALSE, [0], [0])[0]))  # FALSE ignores its operands; they must only exist
        signals = np.append(signals, zero[0])
    h = signals[rows]  # (2^D, C_out, positions) signal ids of the leaves
    ops = layer.frozen_ops().cpu().numpy().astype(np.uint8)
    channels, offset = layer.spec.channels, 0
    while h.shape[0] > 1:
        n = h.shape[0] // 2
        level_ops = ops[offset: offset + n * channels].reshape(n, channels, 1)
        ids = builder.add(level_ops, h[:n], h[n:])
        h, offset = ids.reshape(n, channels, layer.positions), offset + n * channels
    return h.reshape(-1)


def _or_pool(builder: _Builder, pool: OrPool2d, signals: np.ndarray) -> np.ndarray:
    c, oh, ow = pool.out_shape
    s = pool.size
    # (window cell, channel, y, x): each window's S*S signals, cells row-major
    h = signals.reshape(c, oh, s, ow, s).transpose(2, 4, 0, 1, 3).reshape(s * s, c * oh * ow)
    while h.shape[0] > 1:  # a balanced OR tree; an odd cell out waits for the next level
        n = h.shape[0] // 2
        ids = builder.add(OR, h[:n], h[n: 2 * n]).reshape(n, -1)
        h = np.concatenate([ids, h[2 * n:]]) if h.shape[0] % 2 else ids
    return h.reshape(-1)


def freeze_conv(model: ConvLogicNet, input_encoding: dict | None = None, metadata: dict | None = None) -> Netlist:
    """Netlist computing exactly ``model.hard_scores`` (unrolled over positions; see the module doc)."""
    config = model.config
    builder = _Builder(config.num_inputs)
    signals = np.arange(config.num_inputs, dtype=np.int64)
    zero: list[int] = []
    for module in model.trunk:
        if isinstance(module, TreeConv2d):
            signals = _tree_conv(builder, module, signals, zero)
        else:
            signals = _or_pool(builder, module, signals)
    for layer in model.head:
        idx_a, idx_b = layer.wiring()
        a = signals[idx_a.cpu().numpy()]
        b = signals[idx_b.cpu().numpy()]
        signals = builder.add(layer.frozen_ops().cpu().numpy().astype(np.uint8), a, b)
    netlist = Netlist(
        num_inputs=config.num_inputs,
        num_classes=config.num_classes,
        ops=np.concatenate(builder.ops),
        a=np.concatenate(builder.a),
        b=np.concatenate(builder.b),
        outputs=signals,
        input_encoding=input_encoding,
        metadata=dict(metadata or {}),
    )
    netlist.validate()
    return netlist
