"""The pass manager: runs an optimization level's passes to a fixed point and reports what they did.

``optimize`` is what ``lgn2hw compile`` calls; its ``OptimizeReport.format()`` is the compile report a
user sees. ``check_equivalent`` compares two netlists output bit by output bit on the simulator
(exhaustively for small input counts), for tests and for the compile command's self-check.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import NetlistError
from ..ir.netlist import Netlist
from ..ir.simulate import Simulator, pack_bits, unpack_bits
from .base import PassResult
from .registry import LEVELS, PASSES

# A full sweep never needs more than a handful of iterations on real networks (each pass resolves whole
# chains in one run); hitting this bound means a pass keeps reporting changes, which is a bug.
MAX_ITERATIONS = 100


@dataclass
class PassRun:
    """One run of one pass: when, how long, and what it changed."""

    iteration: int
    name: str
    seconds: float
    gates_before: int
    gates_after: int
    changes: dict[str, int]

    @property
    def changed(self) -> bool:
        return any(v > 0 for v in self.changes.values())

    def __str__(self) -> str:
        what = _format_changes(self.changes)
        return (
            f"iteration {self.iteration} {self.name:<16} {self.seconds:8.3f} s  "
            f"{self.gates_before:,} -> {self.gates_after:,} gates  {what}"
        )


@dataclass
class OptimizeReport:
    """Result of ``optimize``: the optimized netlist and the per-pass record of how it got there."""

    level: int
    passes: tuple[str, ...]
    netlist: Netlist
    iterations: int
    gates_before: int
    gates_after: int
    depth_before: int
    depth_after: int
    seconds: float
    runs: list[PassRun] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, dict[str, int]]:
        """Per pass, each kind of change summed over all its runs."""
        totals: dict[str, dict[str, int]] = {name: {} for name in self.passes}
        for run in self.runs:
            for key, value in run.changes.items():
                totals[run.name][key] = totals[run.name].get(key, 0) + value
        return totals

    @property
    def pass_seconds(self) -> dict[str, float]:
        """Per pass, wall time summed over all its runs."""
        seconds = {name: 0.0 for name in self.passes}
        for run in self.runs:
            seconds[run.name] += run.seconds
        return seconds

    def to_dict(self) -> dict:
        """Everything but the netlist, as plain JSON-ready data."""
        seconds = self.pass_seconds
        totals = self.totals
        return {
            "level": self.level,
            "passes": list(self.passes),
            "iterations": self.iterations,
            "gates_before": self.gates_before,
            "gates_after": self.gates_after,
            "depth_before": self.depth_before,
            "depth_after": self.depth_after,
            "seconds": round(self.seconds, 6),
            "per_pass": {
                name: {
                    "runs": sum(1 for r in self.runs if r.name == name),
                    "seconds": round(seconds[name], 6),
                    "changes": totals[name],
                }
                for name in self.passes
            },
            "runs": [
                {
                    "iteration": r.iteration,
                    "pass": r.name,
                    "seconds": round(r.seconds, 6),
                    "gates_before": r.gates_before,
                    "gates_after": r.gates_after,
                    "changes": r.changes,
                }
                for r in self.runs
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    def format(self) -> str:
        """The human compile report: a headline and one row per pass."""
        before, after = self.gates_before, self.gates_after
        saved = f" ({(after - before) / before:+.1%})" if before else ""
        lines = [
            f"optimize -O{self.level}: {before:,} -> {after:,} gates{saved}, depth {self.depth_before} -> "
            f"{self.depth_after}, {self.iterations} iteration{'s' if self.iterations != 1 else ''}, "
            f"{self.seconds:.2f} s"
        ]
        if not self.passes:
            return lines[0] + "\n"
        seconds, totals = self.pass_seconds, self.totals
        width = max(len("pass"), *(len(name) for name in self.passes))
        lines.append(f"{'pass':<{width}}  runs  time (s)  changes")
        for name in self.passes:
            runs = sum(1 for r in self.runs if r.name == name)
            lines.append(f"{name:<{width}}  {runs:>4}  {seconds[name]:>8.3f}  {_format_changes(totals[name])}")
        return "\n".join(lines) + "\n"


def _format_changes(changes: dict[str, int]) -> str:
    shown = [f"{key}={value:,}" for key, value in changes.items() if value]
    return "  ".join(shown) if shown else "-"


def run_pass(name: str, netlist: Netlist) -> PassResult:
    """Run one registered pass and check the invariants it must keep; NetlistError names the pass."""
    try:
        fn = PASSES[name]
    except KeyError:
        raise NetlistError(f"unknown pass {name!r} (known: {', '.join(PASSES)})") from None
    result = fn(netlist)
    out = result.netlist
    try:
        out.validate()
        if (out.num_inputs, out.num_classes, out.outputs.shape) != (
            netlist.num_inputs,
            netlist.num_classes,
            netlist.outputs.shape,
        ):
            raise NetlistError("the inputs, classes or number of output bits changed")
    except NetlistError as exc:
        raise NetlistError(f"pass {name} broke the netlist: {exc}") from None
    return result


def optimize(
    netlist: Netlist,
    level: int = 2,
    progress: Callable[[PassRun], None] | None = None,
    passes: tuple[str, ...] | None = None,
) -> OptimizeReport:
    """Run optimization level ``level`` (0, 1, 2) on ``netlist`` to a fixed point; the input is not changed.

    The level's passes run in order, over and over, until every one of them has run once more on the
    current netlist and changed nothing. ``validate()`` runs after every pass. ``progress``, if given, is
    called with a PassRun after each pass. ``passes`` overrides the level's pass list (for experiments).
    """
    if passes is None:
        if level not in LEVELS:
            raise NetlistError(f"unknown optimization level {level!r} (known: {', '.join(map(str, LEVELS))})")
        passes = LEVELS[level]
    passes = tuple(passes)
    for name in passes:
        if name not in PASSES:
            raise NetlistError(f"unknown pass {name!r} (known: {', '.join(PASSES)})")
    netlist.validate()
    start = time.perf_counter()
    gates_before, depth_before = netlist.num_gates, netlist.depth()
    current = netlist.copy()
    runs: list[PassRun] = []
    iteration = 0
    unchanged = 0  # consecutive runs that changed nothing; a full round of them is the fixed point
    while passes and unchanged < len(passes):
        iteration += 1
        if iteration > MAX_ITERATIONS:
            raise NetlistError(f"optimization did not reach a fixed point in {MAX_ITERATIONS} iterations")
        for name in passes:
            if unchanged >= len(passes):
                break
            t0 = time.perf_counter()
            result = run_pass(name, current)
            run = PassRun(iteration, name, time.perf_counter() - t0, current.num_gates, result.netlist.num_gates, dict(result.changes))
            runs.append(run)
            if progress is not None:
                progress(run)
            current = result.netlist
            unchanged = 0 if run.changed else unchanged + 1
    return OptimizeReport(
        level=level,
        passes=passes,
        netlist=current,
        iterations=iteration,
        gates_before=gates_before,
        gates_after=current.num_gates,
        depth_before=depth_before,
        depth_after=current.depth(),
        seconds=time.perf_counter() - start,
        runs=runs,
    )


# ------------------------------------------------------------------------------------- equivalence
EXHAUSTIVE_MAX_INPUTS = 16


@dataclass
class EquivalenceReport:
    """Outcome of ``check_equivalent``; true when every output bit agreed on every vector tried."""

    equivalent: bool
    vectors: int
    exhaustive: bool
    reason: str = ""
    counterexample: np.ndarray | None = None  # input bits of the first disagreeing vector
    output_index: int | None = None  # first output bit that disagreed on it

    def __bool__(self) -> bool:
        return self.equivalent

    def __str__(self) -> str:
        how = "all" if self.exhaustive else "random"
        if self.equivalent:
            return f"equivalent on {how} {self.vectors:,} input vectors"
        return f"NOT equivalent: {self.reason}"


def check_equivalent(before: Netlist, after: Netlist, vectors: int = 4096, seed: int = 0) -> EquivalenceReport:
    """Compare the output bits of two netlists with the simulator.

    Exhaustive over all 2^N input vectors when N <= 16, else ``vectors`` vectors: all zeros, all ones and
    the rest uniformly random from ``seed``. Output bits are compared one by one (not just class
    scores), so the optimized netlist must match the original bit for bit.
    """
    n = before.num_inputs
    if (after.num_inputs, after.num_classes, after.outputs.shape) != (n, before.num_classes, before.outputs.shape):
        return EquivalenceReport(
            False, 0, False,
            reason=(
                f"interfaces differ: {n} inputs / {before.num_classes} classes / {before.outputs.shape[0]} outputs "
                f"vs {after.num_inputs} / {after.num_classes} / {after.outputs.shape[0]}"
            ),
        )
    exhaustive = n <= EXHAUSTIVE_MAX_INPUTS
    if exhaustive:
        codes = np.arange(1 << n, dtype=np.int64)
        bits = ((codes[:, None] >> np.arange(n)) & 1).astype(np.uint8)
    else:
        rng = np.random.default_rng(seed)
        bits = rng.integers(0, 2, size=(max(vectors, 2), n), dtype=np.uint8)
        bits[0], bits[1] = 0, 1
    count = bits.shape[0]
    packed = pack_bits(bits)
    out_before = Simulator(before).run_packed(packed)
    out_after = Simulator(after).run_packed(packed)
    # Mask the padding samples of the last word.
    tail = count % 64
    if tail:
        mask = np.uint64((1 << tail) - 1)
        out_before[:, -1] &= mask
        out_after[:, -1] &= mask
    diff = out_before != out_after
    if not diff.any():
        return EquivalenceReport(True, count, exhaustive)
    words = np.flatnonzero(diff.any(axis=0))
    word = int(words[0])
    differing = unpack_bits((out_before[:, word : word + 1] ^ out_after[:, word : word + 1]), 64)
    sample_in_word, output = np.argwhere(differing)[0]
    sample = word * 64 + int(sample_in_word)
    return EquivalenceReport(
        False,
        count,
        exhaustive,
        reason=f"output bit {int(output)} differs on input vector #{sample}",
        counterexample=bits[sample].copy(),
        output_index=int(output),
    )
