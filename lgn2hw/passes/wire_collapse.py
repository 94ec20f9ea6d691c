"""Wire collapsing: pass-through gates (``a``, ``b``) become plain wires.

Every reader of a pass-through gate (gate operands and output bits) is redirected to the signal the
gate passes on; chains of pass-throughs resolve in one pass by pointer jumping over a whole-array alias
map (each round halves the remaining chain length). The pass-through gates themselves are left in
place with no readers, for ``dead_gates`` to remove. An output may end up naming an input signal.

Safe because a pass-through gate's output equals its used operand on every input vector.
"""

from __future__ import annotations

import numpy as np

from ..ir.gates import PASS_A, PASS_B
from ..ir.netlist import Netlist
from .base import PassResult, count_changed, rebuild

NAME = "wire_collapse"


def wire_aliases(netlist: Netlist) -> np.ndarray:
    """alias[s]: the signal s equals once every pass-through chain is followed to its source."""
    n = netlist.num_inputs
    alias = np.arange(netlist.num_signals, dtype=np.int64)
    pass_a = np.flatnonzero(netlist.ops == PASS_A)
    pass_b = np.flatnonzero(netlist.ops == PASS_B)
    alias[n + pass_a] = netlist.a[pass_a]
    alias[n + pass_b] = netlist.b[pass_b]
    while True:
        jumped = alias[alias]
        if np.array_equal(jumped, alias):
            return alias
        alias = jumped


def wire_collapse(netlist: Netlist) -> PassResult:
    """Redirect the readers of pass-through gates to the passed signal."""
    alias = wire_aliases(netlist)
    a, b, outputs = alias[netlist.a], alias[netlist.b], alias[netlist.outputs]
    changes = {
        "operands_rewired": count_changed((netlist.a, a), (netlist.b, b)),
        "outputs_rewired": count_changed((netlist.outputs, outputs)),
    }
    return PassResult(rebuild(netlist, a=a, b=b, outputs=outputs), changes)
