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
from .base import PassResult, canonical_operands, count_changed, rebuild

NAME = "dead_gates"


def dead_gates(netlist: Netlist) -> PassResult:
    """Remove every gate that no output depends on; renumber the rest keeping their order."""
    n = netlist.num_inputs
    keep = netlist.live_signals()[n:]
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
