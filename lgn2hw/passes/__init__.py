"""Netlist optimization passes (one module per pass) and the pass manager that runs them.

Each pass is a function ``Netlist -> PassResult``; ``optimize(netlist, level)`` runs a level's passes to
a fixed point and returns an ``OptimizeReport``. See docs/passes.md.
"""

from .base import PassResult
from .const_fold import const_fold
from .dead_gates import dead_gates
from .inverter_absorb import inverter_absorb
from .manager import EquivalenceReport, OptimizeReport, PassRun, check_equivalent, optimize, run_pass
from .merge import merge
from .registry import LEVELS, PASSES
from .same_operand import same_operand
from .wire_collapse import wire_collapse

__all__ = [
    "LEVELS",
    "PASSES",
    "EquivalenceReport",
    "OptimizeReport",
    "PassResult",
    "PassRun",
    "check_equivalent",
    "const_fold",
    "dead_gates",
    "inverter_absorb",
    "merge",
    "optimize",
    "run_pass",
    "same_operand",
    "wire_collapse",
]
