"""Pipeline cuts: which register stage computes each gate, and what must be registered after each stage.

A gate at logic level L (Netlist.levels()) is computed in core stage (L - 1) // pipeline; after every
core stage j (j = 1 .. S) each value still needed later is registered. ``pipeline`` = 0 is the
combinational case: one stage and no cut. The plan is pure data (``StagePlan``), computed once and
read by the lowering step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import EmitError
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from .heads import class_groups


def check_pipeline(pipeline) -> int:
    """The pipeline depth as an int; EmitError unless it is an integer >= 0."""
    if isinstance(pipeline, bool) or not isinstance(pipeline, (int, np.integer)):
        raise EmitError(f"pipeline depth must be an integer >= 0, got {pipeline!r}")
    if pipeline < 0:
        raise EmitError(f"pipeline depth must be >= 0, got {pipeline}")
    return int(pipeline)


def summed_signals(netlist: Netlist) -> np.ndarray:
    """Every signal the popcounts sum (outputs driven by constant gates are folded into offsets)."""
    groups, _ = class_groups(netlist)
    return np.array([s for g in groups for s in g], dtype=np.int64)


def core_stages(netlist: Netlist, pipeline: int) -> int:
    """Register stages in the gate core: ceil(depth / pipeline) over the emitted gates (0 if combinational).

    ``depth`` is the deepest logic level (Netlist.levels()) among the signals that feed a non-constant
    output, i.e. of the gates the emitter writes.
    """
    pipeline = check_pipeline(pipeline)
    if pipeline == 0:
        return 0
    summed = summed_signals(netlist)
    if summed.size == 0:
        return 0
    live = netlist.live_signals(summed)
    depth = int(netlist.levels()[live].max(initial=0))
    return -(-depth // pipeline)


def pipeline_latency(netlist: Netlist, pipeline: int, raw_inputs: bool = False) -> int:
    """Cycles from in_valid/in_bits to out_valid/scores/class_id: 0 if combinational, else
    core_stages + 1 (popcount register) + 1 (argmax register), + 1 (comparator register) with the
    raw-input front end."""
    pipeline = check_pipeline(pipeline)
    return 0 if pipeline == 0 else core_stages(netlist, pipeline) + 2 + (1 if raw_inputs else 0)


@dataclass(frozen=True)
class StagePlan:
    """Where every emitted gate is computed and which values cross each register boundary.

    ``stages``: core stages S (0 when combinational: one stage, no cut); ``by_stage[j]``: gate indices
    of stage j, ascending; ``crossing[j]``: the signals registered after stage j (boundary j + 1), in
    the order inputs first, then gates, each ascending; ``stage_of``: the stage producing each signal
    (inputs: 0).
    """

    pipeline: int
    stages: int
    emitted: tuple[int, ...]
    by_stage: tuple[tuple[int, ...], ...]
    crossing: tuple[tuple[int, ...], ...]
    stage_of: np.ndarray

    @property
    def registered(self) -> bool:
        return self.pipeline > 0


def plan_stages(netlist: Netlist, live: np.ndarray, summed: np.ndarray, pipeline: int) -> StagePlan:
    """The stage plan of the live gates (``live``: Netlist.live_signals of the summed signals)."""
    n = netlist.num_inputs
    emitted = np.flatnonzero(live[n:])
    if pipeline == 0:
        stage_of = np.zeros(netlist.num_signals, dtype=np.int64)
        return StagePlan(0, 0, tuple(emitted.tolist()), (tuple(emitted.tolist()),), (), stage_of)
    stages = core_stages(netlist, pipeline)
    stage_of = np.zeros(netlist.num_signals, dtype=np.int64)
    stage_of[n:] = (netlist.levels()[n:] - 1) // pipeline
    # The last stage each live signal is needed in: its consumers' stages, and `stages` for outputs.
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    needed: dict[int, int] = {}
    for i in emitted.tolist():
        gate, st = GATES[ops[i]], int(stage_of[n + i])
        for used, s in ((gate.uses_a, a[i]), (gate.uses_b, b[i])):
            if used:
                needed[s] = max(needed.get(s, 0), st)
    for s in summed.tolist():
        needed[s] = max(needed.get(s, 0), stages)
    by_stage: list[list[int]] = [[] for _ in range(max(stages, 1))]
    for i in emitted.tolist():
        by_stage[int(stage_of[n + i])].append(i)
    order = sorted(needed, key=lambda s: (s >= n, s))
    crossing = tuple(
        tuple(s for s in order if int(stage_of[s]) < boundary <= needed[s]) for boundary in range(1, stages + 1)
    )
    return StagePlan(pipeline, stages, tuple(emitted.tolist()), tuple(map(tuple, by_stage)), crossing, stage_of)
