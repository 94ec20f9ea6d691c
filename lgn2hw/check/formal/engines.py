"""The proof engines, run under one deadline: Yosys scripts (alone or side by side), ABC ``&cec`` (SAT
sweeping) and ABC ``collapse`` (BDDs) on single-output miter AIGs, and ABC's counterexamples.

Every tool runs through lgn2hw.toolchain (find_yosys, process.run / run_parallel): past the deadline
the tool's process group is killed and StepTimeout carries the FormalStep that records it.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...errors import ToolError
from ...toolchain.process import Deadline, ToolTimeout, run_parallel
from ...toolchain.yosys import Yosys
from .obligations import YosysJob
from .result import FormalStep

LOG_TAIL = 2000  # characters of a tool's output quoted in an error


class YosysFailed(Exception):
    """A Yosys script failed (e.g. the RTL lacks a documented wire name); the message is its error line."""


class StepTimeout(ToolTimeout):
    """The deadline passed before or during a tool run; ``step`` records it."""

    def __init__(self, step: FormalStep, message: str):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class Verdict:
    """An engine's answer on one miter: "proven", "counterexample", "failed" or "gave up"."""

    outcome: str
    seconds: float
    cex: tuple[int, ...] | None = None  # ABC's primary-input values (AIG input order), for "counterexample"


class Engines:
    """The tools of one proof, working in ``work`` until ``deadline``."""

    def __init__(self, yosys: Yosys, work: Path, deadline: Deadline):
        self.yosys, self.work, self.deadline = yosys, work, deadline

    def write(self, files) -> None:
        """Write (name, text) pairs into the work directory."""
        for name, text in files:
            (self.work / name).write_text(text)

    def read(self, name: str) -> str:
        return (self.work / name).read_text()

    # --------------------------------------------------------------------------------------- yosys
    def run_yosys(self, job: YosysJob) -> None:
        """Run one Yosys job; YosysFailed when it fails."""
        self.write([(f"{job.name}.ys", job.script)])
        with self._limit(f"yosys ({job.name})", "yosys"):
            done = self.yosys.run_script(f"{job.name}.ys", cwd=self.work, deadline=self.deadline,
                                         what=f"yosys ({job.name})", log=f"{job.name}.yosys.log")
        if done.returncode != 0:
            raise YosysFailed(self._yosys_error(job.name, done.output))

    def run_yosys_parallel(self, jobs: tuple[YosysJob, ...], what: str) -> None:
        """Run independent Yosys jobs at the same time (one process each; they only share their inputs)."""
        if (os.cpu_count() or 1) < 2:
            for job in jobs:
                self.run_yosys(job)
            return
        self.write([(f"{job.name}.ys", job.script) for job in jobs])
        argv = {job.name: self.yosys.script_argv(f"{job.name}.ys", log=f"{job.name}.yosys.log") for job in jobs}
        with self._limit(what, "yosys"):
            if self.deadline.expired:
                raise ToolTimeout(f"time limit reached before {what}")
            try:
                done = run_parallel(argv, deadline=self.deadline, cwd=self.work)
            except ToolTimeout:
                raise ToolTimeout(f"{what} still running when the time limit was reached") from None
        for name, result in done.items():
            if result.returncode != 0:
                raise YosysFailed(self._yosys_error(name, result.output))

    def evaluate(self, script: str) -> tuple[int, str]:
        """Run a Yosys script whose log is the answer (``eval``): (exit status, output)."""
        self.write([("eval.ys", script)])
        what = "yosys eval of the counterexample"
        with self._limit(what, "yosys"):
            done = self.yosys.run_script("eval.ys", cwd=self.work, deadline=self.deadline, what=what, quiet=False)
        return done.returncode, done.output

    def _yosys_error(self, name: str, out: str) -> str:
        log = self.work / f"{name}.yosys.log"
        text = log.read_text(errors="replace") if log.exists() else out
        errors = [line for line in text.splitlines() if "ERROR" in line]
        return (errors[-1] if errors else text[-LOG_TAIL:]).strip()

    # ----------------------------------------------------------------------------------------- ABC
    def cec(self, name: str) -> Verdict:
        """ABC SAT-sweeping CEC of the miter AIG ``<name>.aig`` (its one output must be 0)."""
        require_single_output(self.work / f"{name}.aig")
        cex_path = self.work / f"{name}.cex"
        cex_path.unlink(missing_ok=True)
        done = self._abc(f"read_aiger {name}.aig; &get; &cec -m; write_cex {name}.cex", name, f"ABC on {name}")
        out = done.output
        if "Networks are equivalent" in out:
            return Verdict("proven", done.seconds)
        if "NOT EQUIVALENT" in out or "NOT equivalent" in out:
            if not cex_path.exists():  # &cec decided without SAT (e.g. after hashing): ask the SAT prover
                self._abc(f"read_aiger {name}.aig; iprove; write_cex {name}.cex", name, f"ABC on {name}")
            if not cex_path.exists():
                raise ToolError(f"ABC found a difference in {name} but wrote no counterexample; see {self.work}")
            return Verdict("counterexample", done.seconds, read_cex(cex_path.read_text()))
        if "UNDECIDED" in out or "undecided" in out:
            return Verdict("gave up", done.seconds)
        raise ToolError(f"yosys-abc gave no verdict on {name} (exit {done.returncode}): {out[-LOG_TAIL:].strip()}")

    def bdd(self, name: str) -> Verdict:
        """ABC: global BDDs of the miter AIG ``<name>.aig`` (no reordering: symmetric functions stay small)."""
        require_single_output(self.work / f"{name}.aig")
        done = self._abc(f"read_aiger {name}.aig; strash; collapse -r; strash; print_stats; iprove", name,
                         f"ABC BDDs on {name}")
        if "UNSATISFIABLE" in done.output:
            return Verdict("proven", done.seconds)
        return Verdict("failed" if "SATISFIABLE" in done.output else "gave up", done.seconds)

    def _abc(self, script: str, name: str, what: str):
        with self._limit(what, "yosys-abc"):
            done = self.yosys.run_abc(script, cwd=self.work, deadline=self.deadline, what=what)
        (self.work / f"{name}.abc.log").write_text(done.output)
        return done

    @contextmanager
    def _limit(self, what: str, tool: str):
        """Turn a tool's ToolTimeout into a StepTimeout recording ``what`` with the time it had left."""
        left = self.deadline.remaining()
        try:
            yield
        except ToolTimeout as exc:
            seconds = 0.0 if left is None else left
            raise StepTimeout(FormalStep(what, tool if seconds > 0 else "-", "timeout", seconds), str(exc)) from None


def read_cex(text: str) -> tuple[int, ...]:
    """ABC's ``write_cex`` file: the primary-input values, in AIG input order (comments after ``#``)."""
    return tuple(int(ch) for ch in re.sub(r"[^01]", "", text.split("#")[0]))


def require_single_output(aig: Path) -> None:
    """Every miter here has exactly one output (the OR of all differences): ``&cec -m`` only looks at
    the first output of a miter, so a multi-output AIG would be checked incompletely. Header: aig M I L O A."""
    with open(aig, "rb") as handle:
        header = handle.readline().split()
    if len(header) < 6 or header[0] not in (b"aig", b"aag") or int(header[4]) != 1:
        shown = b" ".join(header).decode(errors="replace")
        raise ToolError(f"{aig}: expected a single-output miter AIG, header is {shown!r}")
