"""VerifyResult: the outcome of one RTL-vs-Python comparison, as verify.json holds it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class VerifyResult:
    """Outcome of one RTL-vs-Python comparison (all shards merged)."""

    vectors: int
    mismatches: int
    first_mismatches: list[dict]
    simulator: str
    seconds: float  # wall time of the whole verification: files, compile and simulation
    sim_seconds: float = 0.0  # time the testbench spent driving and checking vectors (slowest shard)
    build_seconds: float = 0.0  # compile time (iverilog, or verilator + C++)
    work_dir: str = ""
    log: str = ""  # path of the simulator log
    extra: dict = field(default_factory=dict)
    jobs: int = 1  # shards simulated in parallel
    class_score_mismatches: list[int] = field(default_factory=list)  # per class: vectors whose score differs
    class_id_mismatches: list[list] = field(default_factory=list)  # [expected, actual, count], sorted
    waves: str = ""  # waveform file written (waves_file), "" when none

    @property
    def passed(self) -> bool:
        return self.vectors > 0 and self.mismatches == 0

    @property
    def vectors_per_second(self) -> float:
        """Throughput of the simulation loop, all shards together (compile time excluded)."""
        return self.vectors / self.sim_seconds if self.sim_seconds > 0 else 0.0

    def summary(self) -> str:
        """One line, e.g. 'bit-exact: 10000/10000 vectors (icarus, 12.3 s, 812 vectors/s)'."""
        shards = f", {self.jobs} jobs" if self.jobs > 1 else ""
        timing = f"{self.simulator}{shards}, {self.seconds:.1f} s, {self.vectors_per_second:.0f} vectors/s"
        if self.passed:
            return f"bit-exact: {self.vectors}/{self.vectors} vectors ({timing})"
        first = self.first_mismatches[0]["vector"] if self.first_mismatches else "?"
        return (
            f"MISMATCH: {self.mismatches}/{self.vectors} vectors differ, first at vector {first} ({timing})"
        )

    def to_dict(self) -> dict:
        doc = asdict(self)
        doc["passed"] = self.passed
        doc["vectors_per_second"] = self.vectors_per_second
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"
