"""Freeze: a trained LogicNet becomes a gate netlist (argmax gate per neuron, wiring as trained or chosen).

A ConvLogicNet is unrolled over positions first (lgn2hw.frontend.freeze_conv)."""

from __future__ import annotations

import numpy as np

from .freeze_conv import freeze_conv
from .model import ConvLogicNet, LogicNet
from ..ir.netlist import Netlist


def freeze(model: LogicNet | ConvLogicNet, input_encoding: dict | None = None, metadata: dict | None = None) -> Netlist:
    """Netlist computing exactly ``model.hard_scores``: layer by layer, gate order kept.

    Gate ``j`` of layer ``l`` drives signal ``num_inputs + sum(widths[:l]) + j``; outputs are the last
    layer's gates in order, which is GroupSum's class-major grouping.
    """
    if isinstance(model, ConvLogicNet):
        return freeze_conv(model, input_encoding, metadata)
    config = model.config
    ops, a, b = [], [], []
    base_prev, base = 0, config.num_inputs
    for layer in model.layers:
        idx_a, idx_b = layer.wiring()  # fixed, or the chosen candidates of learned connections
        ops.append(layer.frozen_ops().cpu().numpy())
        a.append(idx_a.cpu().numpy() + base_prev)
        b.append(idx_b.cpu().numpy() + base_prev)
        base_prev, base = base, base + layer.out_dim
    netlist = Netlist(
        num_inputs=config.num_inputs,
        num_classes=config.num_classes,
        ops=np.concatenate(ops),
        a=np.concatenate(a),
        b=np.concatenate(b),
        outputs=np.arange(base_prev, base),
        input_encoding=input_encoding,
        metadata=dict(metadata or {}),
    )
    netlist.validate()
    return netlist
