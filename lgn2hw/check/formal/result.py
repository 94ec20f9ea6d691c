"""What a formal check answers: its status, the steps it took, and the counterexample when there is one."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

PROVEN, COUNTEREXAMPLE, NOT_PROVEN = "proven", "counterexample", "not proven"
DEFAULT_TIMEOUT_S = 300.0


@dataclass
class FormalStep:
    """One proof obligation: what it showed, with which engine, in how long."""

    name: str
    engine: str
    outcome: str  # "proven", "counterexample", "failed", "timeout", "gave up", "skipped", "error"
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class Counterexample:
    """An input on which the two RTL modules' ports differ, as Yosys evaluated them."""

    bits: tuple[int, ...]  # 0/1 per in_bits index
    scores: tuple[list, list]  # per class, of a and of b (an int, or the bit string when it has x/z)
    class_ids: tuple[object, object]
    differing_outputs: tuple[int, ...]  # output positions whose bits differ in the netlist simulator
    note: str  # whether the netlist simulator agrees with the RTL


@dataclass(frozen=True)
class Conclusion:
    """What a proof method concluded, before the driver adds its steps, time and labels."""

    status: str  # PROVEN, COUNTEREXAMPLE or NOT_PROVEN
    reason: str = ""  # why NOT_PROVEN
    counterexample: Counterexample | None = None


@dataclass
class FormalResult:
    """Outcome of prove_equivalent; ``proven`` is True only for a completed proof."""

    status: str  # PROVEN, COUNTEREXAMPLE or NOT_PROVEN
    method: str  # "decomposed" (steps A-C) or "miter" (whole-port miter)
    seconds: float
    timeout_s: float
    labels: tuple[str, str]
    steps: list[FormalStep] = field(default_factory=list)
    reason: str = ""  # why NOT_PROVEN
    counterexample: list[int] | None = None  # input bits (0/1 per in_bits index) where a and b differ
    scores: dict | None = None  # on the counterexample: {label: [score per class]}
    class_ids: dict | None = None  # on the counterexample: {label: class id}
    differing_outputs: list[int] | None = None  # output positions whose bits differ on the counterexample
    yosys_version: str = ""
    work_dir: str = ""  # where the Verilog, scripts, AIGs and logs are ("" when a deleted temporary directory)
    subject: str = ""  # what was proved, when not simply the two netlists' emitted RTL

    @property
    def proven(self) -> bool:
        return self.status == PROVEN

    def counterexample_bits(self) -> np.ndarray | None:
        """The counterexample as a (1, num_inputs) uint8 array, ready for Simulator.scores()."""
        if self.counterexample is None:
            return None
        return np.array([self.counterexample], dtype=np.uint8)

    def summary(self) -> str:
        """The one line the CLI prints."""
        a, b = self.labels
        if self.status == PROVEN:
            what = f"; proved: {self.subject}" if self.subject else ""
            return (
                f"formal: PROVEN equivalent ({b} vs {a} RTL: scores, class_id, out_valid for all inputs; "
                f"{self.method}, {self.seconds:.1f} s, {self.yosys_version}{what})"
            )
        if self.status == COUNTEREXAMPLE:
            bits = self.counterexample or []
            ones = [i for i, v in enumerate(bits) if v]
            if not ones:
                where = f"in_bits all 0 ({len(bits)} bits)"
            else:
                shown = ", ".join(map(str, ones[:16])) + (", ..." if len(ones) > 16 else "")
                where = f"in_bits {len(ones)} of {len(bits)} set: [{shown}]"
            return (
                f"formal: COUNTEREXAMPLE: {a} and {b} differ on {where}: scores {self.scores[a]} vs "
                f"{self.scores[b]}, class {self.class_ids[a]} vs {self.class_ids[b]} ({self.seconds:.1f} s)"
            )
        return f"formal: NOT PROVEN within {self.timeout_s:g} s: {self.reason} (this is not a pass)"

    def to_dict(self) -> dict:
        doc = asdict(self)
        doc["labels"] = list(self.labels)
        doc["proven"] = self.proven
        doc["summary"] = self.summary()
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"
