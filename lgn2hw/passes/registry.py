"""The optimization passes by name, and the ordered pass list of each optimization level."""

from __future__ import annotations

from collections.abc import Callable

from ..ir.netlist import Netlist
from .base import PassResult
from .const_fold import const_fold
from .dead_gates import dead_gates
from .inverter_absorb import inverter_absorb
from .merge import merge
from .same_operand import same_operand
from .wire_collapse import wire_collapse

Pass = Callable[[Netlist], PassResult]

PASSES: dict[str, Pass] = {
    "const_fold": const_fold,
    "same_operand": same_operand,
    "inverter_absorb": inverter_absorb,
    "wire_collapse": wire_collapse,
    "merge": merge,
    "dead_gates": dead_gates,
}

# -O0 leaves the netlist as frozen; -O1 folds constants and prunes; -O2 runs every pass. Order matters
# only for speed: each list repeats to a fixed point. Producers of new constants, wires and duplicates
# come before the passes that consume them, and dead_gates cleans up last.
LEVELS: dict[int, tuple[str, ...]] = {
    0: (),
    1: ("const_fold", "dead_gates"),
    2: ("const_fold", "same_operand", "inverter_absorb", "wire_collapse", "merge", "dead_gates"),
}
