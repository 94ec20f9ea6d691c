"""Dead-gate removal: keep only the transitive fan-in of the outputs, then renumber (compact).

Liveness follows only the operands each op actually uses (``uses_a``/``uses_b``): a gate read solely
through an ignored operand (the b of ``not_a``, either operand of ``true``) is dead. The walk goes from
the deepest level down, one whole-array step per level. Surviving gates keep their relative order, so
the netlist stays topologically ordered; operands and outputs are renumbered. Ignored operands of the
survivors are made canonical first, so none of them names a removed gate. Inputs are never removed
(they are the module's ports).

Safe because a gate outside the used fan-in of every output cannot influence any output bit.
"""

from __future__ import annotations

import numpy as np

from ..ir.netlist import Netlist
from .base import USES_A, USES_B, PassResult, canonical_operands, count_changed, gates_by_level, rebuild

NAME = "dead_gates"


def live_signals(netlist: Netlist) -> np.ndarray:
    """Boolean mask over signals: True for the outputs and everything in their used fan-in."""
    n = netlist.num_inputs
    live = np.zeros(netlist.num_signals, dtype=bool)
    live[netlist.outputs] = True
    ops, a, b = netlist.ops, netlist.a, netlist.b
    for idx in reversed(gates_by_level(netlist)):
        idx = idx[live[n + idx]]
        op = ops[idx]
        live[a[idx[USES_A[op]]]] = True
        live[b[idx[USES_B[op]]]] = True
    return live


def dead_gates(netlist: Netlist) -> PassResult:
    """Remove every gate that no output depends on; renumber the rest keeping their order."""
    n = netlist.num_inputs
    keep = live_signals(netlist)[n:]
    a, b = canonical_operands(netlist.ops, netlist.a, netlist.b)
    canonicalized = count_changed((netlist.a, a), (netlist.b, b))
    removed = int(netlist.num_gates - np.count_nonzero(keep))
    if removed == 0:
        return PassResult(rebuild(netlist, a=a, b=b), {"gates_removed": 0, "operands_canonicalized": canonicalized})
    # new_id[s]: the signal id of s after compaction (only meaningful for live signals).
    new_id = np.arange(netlist.num_signals, dtype=np.int64)
    new_id[n:] = n + np.cumsum(keep) - 1
    kept = np.flatnonzero(keep)
    result = rebuild(
        netlist,
        ops=netlist.ops[kept],
        a=new_id[a[kept]],
        b=new_id[b[kept]],
        outputs=new_id[netlist.outputs],
    )
    canonicalized = count_changed((netlist.a[kept], a[kept]), (netlist.b[kept], b[kept]))
    return PassResult(result, {"gates_removed": removed, "operands_canonicalized": canonicalized})
