"""Random layered netlists shaped like trained LGNs: the stand-in network of benchmarks and tests.

Uniformly random ops and wiring are harsher on the compiler than a trained network (more constants,
more dead gates, no structure to merge), and their speed numbers do not depend on accuracy, so the
benchmarks (compile, simulate, synthesize, verify) and the scaling tests all draw from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .netlist import Netlist


def random_layered(
    num_inputs: int,
    layers: int,
    width: int | Sequence[int],
    num_classes: int,
    seed: int = 0,
    *,
    op_range: tuple[int, int] = (0, 16),
) -> Netlist:
    """``layers`` layers of gates, each reading two uniformly random signals of the previous layer
    (the inputs for the first), with ops drawn uniformly from ``op_range`` (half-open, difflogic ids).

    ``width`` is one width for every layer or one per layer. The outputs are the last layer's gates,
    trimmed to a multiple of ``num_classes`` so the class groups are equal. Deterministic in ``seed``.
    """
    widths = [int(width)] * layers if isinstance(width, (int, np.integer)) else [int(w) for w in width]
    if len(widths) != layers or layers < 1 or min(widths) < num_classes:
        raise ValueError(f"need {layers} >= 1 layer widths, each >= {num_classes} classes, got {widths}")
    rng = np.random.default_rng(seed)
    ops, a, b = [], [], []
    lo, hi = 0, num_inputs
    for w in widths:
        ops.append(rng.integers(op_range[0], op_range[1], size=w, dtype=np.uint8))
        a.append(rng.integers(lo, hi, size=w, dtype=np.int64))
        b.append(rng.integers(lo, hi, size=w, dtype=np.int64))
        lo, hi = hi, hi + w
    last = widths[-1]
    outputs = np.arange(lo, lo + last - last % num_classes, dtype=np.int64)
    return Netlist(num_inputs, num_classes, np.concatenate(ops), np.concatenate(a), np.concatenate(b), outputs)


def random_gates(seed: int, num_inputs: int, widths: Sequence[int] = (24, 24), classes: int = 4) -> Netlist:
    """A layered netlist of ops drawn from 1..14 (no constant gates), each layer reading the one before;
    every gate of the last layer is an output (its width must divide by ``classes``). The draws of the
    tests' and benchmarks' small networks: changing them changes what those check."""
    rng = np.random.default_rng(seed)
    ops, a, b, lo, hi = [], [], [], 0, num_inputs
    for w in widths:
        ops.append(rng.integers(1, 15, w))
        a.append(rng.integers(lo, hi, w))
        b.append(rng.integers(lo, hi, w))
        lo, hi = hi, hi + w
    return Netlist(num_inputs, classes, np.concatenate(ops), np.concatenate(a), np.concatenate(b), np.arange(lo, hi))
