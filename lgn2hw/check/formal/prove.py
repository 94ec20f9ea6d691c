"""Formal equivalence of two netlists' RTL with Yosys and ABC: proven, counterexample, or not proven in time.

``prove_equivalent(a, b)`` emits both netlists with ``emit_verilog`` (distinct module names) and proves
that the two Verilog modules give the same ``scores``, ``class_id`` and ``out_valid`` for every input.
It answers with a FormalResult: PROVEN, COUNTEREXAMPLE (input bits, checked on lgn2hw.ir.simulate before
it is reported) or NOT_PROVEN (time limit or solver gave up: never a pass). docs/formal.md has the
method and measured times.

Why not one miter: a single ``miter -equiv`` + ``sat`` (or ABC ``&cec``) over the scores times out
already on 2 x 1000 gates. The gate logic is easy for SAT sweeping (equal internal signals are found
and merged), but the popcount trees are not: the emitter folds outputs driven by a constant gate into a
constant offset, the optimizer turns more outputs into constants, so the two adder trees group their
bits differently, and proving two differently grouped adder trees equal is hard for SAT. The proof is
therefore split at the emitter's documented wire names (gate wires ``gI``, class scores ``score<c>``)
into three obligations that each suit one engine, and whose conjunction implies port equivalence:

A. leaves: for every output position j, the bit a's RTL sums (wire, input bit or folded constant)
   equals the bit b's RTL sums, for every input. ABC ``&cec`` (SAT sweeping) on the exposed wires.
B. scores: with both RTLs cut at those leaf wires (``expose -input``) and the cuts tied together as
   step A justifies, every ``score<c>`` wire agrees for every value of the cut bits. A popcount is a
   symmetric function with a small BDD, so ABC ``collapse`` (BDDs) decides this in seconds.
C. ports: with both RTLs cut at ``score<c>`` (shared), scores/class_id/out_valid agree (argmax
   logic, structurally identical, ABC ``&cec``).

If a step fails without a real counterexample (e.g. b permutes the bits within a class, which keeps
the scores), or the RTL does not have the documented wire names, the whole-port miter is tried with
the time that is left. Every counterexample is re-simulated on both netlists before it is reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ...backend.verilog import class_id_width, emit_verilog, score_width
from ...errors import ConfigError, NetlistError, ToolError
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from ...ir.simulate import Simulator

DEFAULT_TIMEOUT_S = 300.0
GOLD_MODULE = "lgn2hw_formal_a"
GATE_MODULE = "lgn2hw_formal_b"
_WRAPPERS = ("lgn2hw_step_a", "lgn2hw_step_b", "lgn2hw_step_c", "lgn2hw_miter")
PROVEN, COUNTEREXAMPLE, NOT_PROVEN = "proven", "counterexample", "not proven"
_LOG_TAIL = 2000
# From the wrapper to an AIG: flatten, remove the logic no compared output reads (cheap at word level),
# then bit-blast. No ``opt``: on big flat netlists it costs Yosys minutes and ABC hashes the AIG anyway.
LOWER = "flatten\nopt_clean\naigmap\ntechmap\naigmap\n"


# ------------------------------------------------------------------------------------------ results
@dataclass
class FormalStep:
    """One proof obligation: what it showed, with which engine, in how long."""

    name: str
    engine: str
    outcome: str  # "proven", "counterexample", "failed", "timeout", "gave up", "skipped", "error"
    seconds: float
    detail: str = ""


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


# ---------------------------------------------------------------------------------------- public API
def require_yosys() -> tuple[str, str]:
    """Paths of ``yosys`` and ``yosys-abc``; ToolError naming the Debian package when either is missing."""
    yosys, abc = shutil.which("yosys"), shutil.which("yosys-abc")
    if yosys is None or abc is None:
        missing = "yosys" if yosys is None else "yosys-abc"
        raise ToolError(
            f"{missing} not found on PATH: formal equivalence needs Yosys; install the Debian package "
            "`yosys` (apt-get install -y yosys), which provides both yosys and yosys-abc"
        )
    return yosys, abc


def prove_equivalent(
    netlist_a: Netlist,
    netlist_b: Netlist,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    work_dir: str | os.PathLike | None = None,
    labels: tuple[str, str] = ("a", "b"),
    rtl_b: str | None = None,
    module_b: str | None = None,
) -> FormalResult:
    """Prove that the RTL of ``netlist_a`` and of ``netlist_b`` have equal ports for every input.

    ``rtl_b``/``module_b`` give b's Verilog text and top module instead of emitting it (to prove a
    compiled file as shipped; it must follow the emitter's naming). ``work_dir`` keeps the Verilog,
    scripts, AIGs and logs (a temporary directory otherwise). ``timeout_s`` bounds the whole proof.
    Raises ToolError when Yosys is missing or crashes, NetlistError when the interfaces differ.
    """
    require_yosys()
    for nl in (netlist_a, netlist_b):
        nl.validate()
    shape_a = (netlist_a.num_inputs, netlist_a.num_classes, netlist_a.group_size)
    shape_b = (netlist_b.num_inputs, netlist_b.num_classes, netlist_b.group_size)
    if shape_a != shape_b:
        raise NetlistError(
            "cannot prove equivalence: the interfaces differ (inputs, classes, outputs per class): "
            f"{shape_a} vs {shape_b}"
        )
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="lgn2hw-formal-") as tmp:
            result = _Prover(netlist_a, netlist_b, timeout_s, Path(tmp), labels, rtl_b, module_b).run()
        result.work_dir = ""
        return result
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    return _Prover(netlist_a, netlist_b, timeout_s, work, labels, rtl_b, module_b).run()


FORMAL_FILE = "formal.json"


def prove_build(
    outdir: str | os.PathLike, timeout_s: float = DEFAULT_TIMEOUT_S, work_dir: str | os.PathLike | None = None
) -> FormalResult:
    """Prove a compiled directory's RTL equivalent to the RTL of its unoptimized (-O0) netlist.

    Reads ``netlist.json``, ``raw_netlist.json`` and ``<module>.v`` from ``outdir`` (what ``lgn2hw
    compile`` writes), proves the shipped RTL file against ``emit_verilog(raw)`` and writes the result
    to ``outdir/formal.json``. A pipelined build has registers, so the combinational RTL of the same
    optimized netlist is proved instead (the result says so); simulation covers the registers.
    """
    from ...ir.build_dir import NETLIST_FILE, RAW_NETLIST_FILE
    from ...errors import Lgn2hwError
    from ...fsutil import atomic_file

    outdir = Path(outdir)
    if not outdir.is_dir():
        raise Lgn2hwError(f"{outdir}: no such directory (run lgn2hw compile first)")
    if not (outdir / RAW_NETLIST_FILE).is_file():
        raise Lgn2hwError(
            f"{outdir / RAW_NETLIST_FILE}: missing; it holds the unoptimized netlist the proof compares "
            "against (written by lgn2hw compile since formal verification exists): compile again"
        )
    optimized = Netlist.load(outdir / NETLIST_FILE)
    raw = Netlist.load(outdir / RAW_NETLIST_FILE)
    module = optimized.metadata.get("module_name", "lgn_top")
    pipelined = int(optimized.metadata.get("pipeline") or 0) > 0
    rtl_text = None
    if not pipelined:
        rtl = outdir / f"{module}.v"
        if not rtl.is_file():
            raise Lgn2hwError(f"{rtl}: RTL file missing from the compiled directory")
        rtl_text = rtl.read_text()
    result = prove_equivalent(
        raw, optimized, timeout_s=timeout_s, work_dir=work_dir, labels=("raw (-O0)", "optimized"),
        rtl_b=rtl_text, module_b=None if pipelined else module,
    )
    result.subject = (
        f"combinational RTL of {NETLIST_FILE} (the build is pipelined: registers are checked by simulation)"
        if pipelined else f"{module}.v as compiled"
    )
    with atomic_file(outdir / FORMAL_FILE) as handle:
        handle.write(result.to_json())
    return result


# ------------------------------------------------------------------------------------------ internals
class _Timeout(Exception):
    pass


class _YosysFailed(Exception):
    pass


class _NotLinear(Exception):
    """The score logic is not a plain sum of the cut bits (the BDD engine decides instead)."""


def _leaves(netlist: Netlist) -> list[tuple[str, object]]:
    """What the emitted RTL sums at each output position: ("in", s), ("const", 0/1) or ("wire", "gI").

    Mirrors the emitter's documented rule: an output driven by a constant gate is folded into the offset.
    """
    n = netlist.num_inputs
    result = []
    for s in netlist.outputs.tolist():
        if s < n:
            result.append(("in", s))
            continue
        gate = GATES[int(netlist.ops[s - n])]
        if gate.is_constant:
            result.append(("const", gate.output(0, 0)))
        else:
            result.append(("wire", f"g{s - n}"))
    return result


class _UnionFind:
    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x, y):
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[ry] = rx


def _literal(leaf: tuple[str, object], prefix: str) -> str:
    kind, value = leaf
    if kind == "in":
        return f"in_bits[{value}]"
    if kind == "const":
        return f"1'b{value}"
    return f"{prefix}_{value}"


class _Prover:
    def __init__(self, a: Netlist, b: Netlist, timeout_s: float, work: Path, labels, rtl_b, module_b):
        self.a, self.b = a, b
        self.timeout_s = float(timeout_s)
        self.work = work
        self.labels = tuple(labels)
        self.rtl_b, self.module_b = rtl_b, module_b or GATE_MODULE
        if self.module_b in _WRAPPERS or self.module_b == GOLD_MODULE:
            raise ConfigError(
                f"module name {self.module_b!r} is reserved by the formal check: compile with another --module-name"
            )
        self.module_a = GOLD_MODULE
        self.start = time.perf_counter()
        self.deadline = self.start + self.timeout_s
        self.steps: list[FormalStep] = []
        self.yosys, self.abc = require_yosys()
        self.version = ""
        self.n, self.c, self.k = a.num_inputs, a.num_classes, a.group_size

    # ---------------------------------------------------------------- driver
    def run(self) -> FormalResult:
        self.version = self._yosys_version()
        (self.work / "a.v").write_text(next(iter(emit_verilog(self.a, self.module_a).values())))
        rtl_b = self.rtl_b if self.rtl_b is not None else next(iter(emit_verilog(self.b, self.module_b).values()))
        (self.work / "b.v").write_text(rtl_b)
        try:
            result = self._decomposed()
            if result is None:
                result = self._miter()
        except _Timeout as exc:
            result = self._result(NOT_PROVEN, self._method, reason=str(exc))
        return result

    def _result(self, status: str, method: str, **extra) -> FormalResult:
        return FormalResult(
            status=status,
            method=method,
            seconds=round(time.perf_counter() - self.start, 3),
            timeout_s=self.timeout_s,
            labels=self.labels,
            steps=self.steps,
            yosys_version=self.version,
            work_dir=str(self.work),
            **extra,
        )

    # ------------------------------------------------------- decomposed proof
    _method = "decomposed"

    def _decomposed(self) -> FormalResult | None:
        """Steps A-C; None when the decomposition cannot conclude (then the whole miter is tried)."""
        leaves_a, leaves_b = _leaves(self.a), _leaves(self.b)
        wires_a = sorted({v for kind, v in leaves_a if kind == "wire"}, key=lambda w: int(w[1:]))
        wires_b = sorted({v for kind, v in leaves_b if kind == "wire"}, key=lambda w: int(w[1:]))
        positions = [j for j, (la, lb) in enumerate(zip(leaves_a, leaves_b)) if la != lb or la[0] == "wire"]
        scores = [f"score{c}" for c in range(self.c)]
        m_a, m_b = self.module_a, self.module_b

        # Cut classes (step B): positions tie a's leaf to b's leaf; a wire used twice is one variable.
        uf = _UnionFind()
        for la, lb in zip(leaves_a, leaves_b):
            uf.union(("a",) + la, ("b",) + lb)
        members: dict = {}
        for node in list(uf.parent):
            members.setdefault(uf.find(node), []).append(node)
        value_of: dict = {}  # class root -> Verilog expression of its value in step B
        free = 0
        conflict = None
        # Variables are numbered in output-position order, which is also the AIG input (= BDD variable)
        # order of the BDD fallback: a popcount node then sums a contiguous run of variables, so the BDD
        # of a carry tracks one partial count at a time rather than two interleaved ones.
        first_seen = {}
        for la in leaves_a:
            first_seen.setdefault(uf.find(("a",) + la), len(first_seen))
        for root in members:
            first_seen.setdefault(root, len(first_seen))
        for root, nodes in sorted(members.items(), key=lambda item: first_seen[item[0]]):
            fixed = sorted({(kind, v) for _, kind, v in nodes if kind in ("in", "const")})
            if len(fixed) > 1:  # step A then fails: a wire cannot equal two different fixed values
                conflict = fixed
            if fixed:
                kind, v = fixed[0]
                value_of[root] = f"in_bits[{v}]" if kind == "in" else f"1'b{v}"
            else:
                value_of[root] = f"v[{free}]"
                free += 1

        # Yosys: one run writes the three AIGs from the same parsed RTL.
        sel_a = self._write("leaves_a.sel", "".join(f"{m_a}/{w}\n" for w in wires_a))
        sel_b = self._write("leaves_b.sel", "".join(f"{m_b}/{w}\n" for w in wires_b))
        sc_a = self._write("scores_a.sel", "".join(f"{m_a}/{s}\n" for s in scores))
        sc_b = self._write("scores_b.sel", "".join(f"{m_b}/{s}\n" for s in scores))
        self._write("step_a.v", self._step_a_wrapper(leaves_a, leaves_b, wires_a, wires_b, positions))
        self._write("step_b.v", self._step_b_wrapper(wires_a, wires_b, uf, value_of, max(free, 1)))
        self._write("step_c.v", self._step_c_wrapper())

        def expose(sel_file: Path, cut: bool) -> str:
            return f"select -set s -read {sel_file.name}\nexpose {'-input ' if cut else ''}@s\nselect -clear\n"

        cut = (expose(sel_a, True) if wires_a else "") + (expose(sel_b, True) if wires_b else "")
        read = "read_verilog a.v\nread_verilog b.v\n"
        scripts = {
            # A: the summed wires as extra outputs, compared bit by bit in the wrapper.
            "step_a": read + (expose(sel_a, False) if wires_a else "") + (expose(sel_b, False) if wires_b else "")
            + "read_verilog step_a.v\nhierarchy -top lgn2hw_step_a\n" + LOWER
            + "write_aiger -map step_a.map step_a.aig\n",
            # B: both modules cut at the summed wires; what is left is the popcount/argmax logic.
            "step_b": read + cut + "opt_clean\nwrite_json step_b.json\n",
            # C: both modules cut at score<c>, fed the same values.
            "step_c": read + expose(sc_a, True) + expose(sc_b, True)
            + "read_verilog step_c.v\nhierarchy -top lgn2hw_step_c\n" + LOWER
            + "write_aiger -map step_c.map step_c.aig\n",
        }
        self._bdd_script = (
            "read_verilog a.v\nread_verilog b.v\n" + cut + expose(sc_a, False) + expose(sc_b, False)
            + "read_verilog step_b.v\nhierarchy -top lgn2hw_step_b\n" + LOWER
            + "write_aiger -map step_b.map step_b.aig\n"
        )
        t0 = time.perf_counter()
        try:
            self._yosys_parallel(scripts)
        except _YosysFailed as exc:
            self.steps.append(FormalStep("build A-C", "yosys", "error", time.perf_counter() - t0, str(exc)))
            return None
        self.steps.append(FormalStep("build A-C", "yosys", "done", time.perf_counter() - t0,
                                     f"{len(positions)} leaf pairs, {free} cut variables, {self.c} score wires"))

        # A: leaves equal.
        outcome, cex, seconds = self._cec("step_a")
        if outcome == "counterexample":
            self.steps.append(FormalStep("A: summed bits equal", "abc &cec", outcome, seconds))
            real = self._check_counterexample(cex, "step_a")
            if real is not None:
                return real
            self.steps[-1].detail = "bits differ but class scores agree (outputs permuted?): trying the whole miter"
            return None
        self.steps.append(FormalStep("A: summed bits equal", "abc &cec", outcome, seconds,
                                     f"{len(positions)} output positions"))
        if outcome != "proven":  # the whole miter is harder still: stop here
            return self._result(NOT_PROVEN, "decomposed",
                                reason=f"ABC gave up on step A (summed bits equal) after {seconds:.1f} s")
        if conflict is not None:  # cannot happen after A is proven; stay safe
            self.steps.append(FormalStep("B: scores", "-", "error", 0.0, f"inconsistent cut class {conflict}"))
            return None

        # B: score wires equal for all values of the cut leaves. First as sums over the cut variables
        # read off Yosys's word-level netlist; ABC BDDs when the netlist is not such a sum.
        t0 = time.perf_counter()
        cut_vars = {}
        for side, module, wires in (("a", m_a, wires_a), ("b", m_b, wires_b)):
            cut_vars[module] = {w: value_of[uf.find((side, "wire", w))] for w in wires}
        try:
            sums = linear_scores(self.work / "step_b.json", [m_a, m_b], cut_vars, self.c)
        except _NotLinear as exc:
            self.steps.append(FormalStep("B: score wires equal", "sums over cut bits", "undecided",
                                         time.perf_counter() - t0, str(exc)))
            t0 = time.perf_counter()
            try:
                self._yosys(self._bdd_script, "step_b_bdd")
            except _YosysFailed as exc:
                self.steps.append(FormalStep("build B (BDD)", "yosys", "error", time.perf_counter() - t0, str(exc)))
                return None
            self.steps.append(FormalStep("build B (BDD)", "yosys", "done", time.perf_counter() - t0))
            outcome, seconds = self._bdd("step_b")
            self.steps.append(FormalStep("B: score wires equal", "abc collapse (BDD)", outcome, seconds,
                                         f"{free} cut variables, {self.c} classes"))
            if outcome != "proven":
                return None
        else:
            differ = [c for c in range(self.c) if sums[m_a][c] != sums[m_b][c]]
            outcome = "failed" if differ else "proven"
            detail = (f"class {differ[0]}: {_format_sum(sums[m_a][differ[0]])} vs {_format_sum(sums[m_b][differ[0]])}"
                      if differ else f"{self.c} scores are the same sums of {free} cut variables")
            self.steps.append(FormalStep("B: score wires equal", "sums over cut bits", outcome,
                                         time.perf_counter() - t0, detail))
            if differ:
                return None

        # C: ports equal for all values of the score wires.
        outcome, _, seconds = self._cec("step_c")
        self.steps.append(FormalStep("C: ports equal given scores", "abc &cec", outcome, seconds))
        if outcome != "proven":
            return None
        return self._result(PROVEN, "decomposed")

    # ------------------------------------------------------------- wrappers
    def _ports(self, extra: str = "") -> str:
        return f"input wire clk, input wire rst, input wire in_valid, input wire [{self.n - 1}:0] in_bits{extra}"

    def _inst(self, module: str, name: str, conns: list[str]) -> str:
        base = [".clk(clk)", ".rst(rst)", ".in_valid(in_valid)", ".in_bits(in_bits)"]
        return f"    {module} {name} (\n        " + ",\n        ".join(base + conns) + "\n    );\n"

    def _step_a_wrapper(self, leaves_a, leaves_b, wires_a, wires_b, positions) -> str:
        width = max(1, len(positions))
        lines = ["module lgn2hw_step_a (" + self._ports(", output wire diff") + ");", f"    wire [{width - 1}:0] d;"]
        lines += [f"    wire a_{w};" for w in wires_a] + [f"    wire b_{w};" for w in wires_b]
        lines.append(self._inst(self.module_a, "u_a", [f".{w}(a_{w})" for w in wires_a]))
        lines.append(self._inst(self.module_b, "u_b", [f".{w}(b_{w})" for w in wires_b]))
        for i, j in enumerate(positions):
            lines.append(f"    assign d[{i}] = {_literal(leaves_a[j], 'a')} ^ {_literal(leaves_b[j], 'b')};")
        if not positions:
            lines.append("    assign d = 1'b0;")
        lines.append("    assign diff = |d;  // one output: ABC's &cec -m reads a single-output miter")
        lines.append("endmodule")
        self.positions = positions
        return "\n".join(lines) + "\n"

    def _step_b_wrapper(self, wires_a, wires_b, uf, value_of, width) -> str:
        w = score_width(self.a)
        lines = ["module lgn2hw_step_b (" + self._ports(f", input wire [{width - 1}:0] v, output wire diff") + ");",
                 f"    wire [{self.c - 1}:0] d;"]
        for side in ("a", "b"):
            lines += [f"    wire [{w - 1}:0] {side}_score{c};" for c in range(self.c)]
        conns_a = [f".{x}({value_of[uf.find(('a', 'wire', x))]})" for x in wires_a]
        conns_b = [f".{x}({value_of[uf.find(('b', 'wire', x))]})" for x in wires_b]
        conns_a += [f".score{c}(a_score{c})" for c in range(self.c)]
        conns_b += [f".score{c}(b_score{c})" for c in range(self.c)]
        lines.append(self._inst(self.module_a, "u_a", conns_a))
        lines.append(self._inst(self.module_b, "u_b", conns_b))
        lines += [f"    assign d[{c}] = |(a_score{c} ^ b_score{c});" for c in range(self.c)]
        lines.append("    assign diff = |d;")
        lines.append("endmodule")
        return "\n".join(lines) + "\n"

    def _step_c_wrapper(self) -> str:
        w = score_width(self.a)
        ports = self._ports(f", input wire [{self.c * w - 1}:0] s, output wire diff")
        cuts = [f".score{c}(s[{c * w + w - 1}:{c * w}])" for c in range(self.c)]
        return self._port_miter("lgn2hw_step_c", ports, cuts)

    def _port_miter(self, name: str, ports: str, conns: list[str]) -> str:
        w = score_width(self.a)
        cw = class_id_width(self.a)
        lines = [f"module {name} ({ports});"]
        for side in ("a", "b"):
            lines.append(f"    wire [{self.c * w - 1}:0] {side}_scores;")
            lines.append(f"    wire [{cw - 1}:0] {side}_class;")
            lines.append(f"    wire {side}_valid;")
        for side, module in (("a", self.module_a), ("b", self.module_b)):
            own = [f".scores({side}_scores)", f".class_id({side}_class)", f".out_valid({side}_valid)"]
            lines.append(self._inst(module, f"u_{side}", conns + own))
        lines.append("    assign diff = (a_scores != b_scores) | (a_class != b_class) | (a_valid != b_valid);")
        lines.append("endmodule")
        return "\n".join(lines) + "\n"

    # ----------------------------------------------------------- whole miter
    def _miter(self) -> FormalResult:
        self._method = "miter"
        self._write("miter.v", self._port_miter("lgn2hw_miter", self._ports(", output wire diff"), []))
        script = (
            "read_verilog a.v\nread_verilog b.v\nread_verilog miter.v\nhierarchy -top lgn2hw_miter\n"
            + LOWER + "write_aiger -map miter.map miter.aig\n"
        )
        t0 = time.perf_counter()
        try:
            self._yosys(script, "miter")
        except _YosysFailed as exc:
            raise ToolError(f"yosys could not build the equivalence miter: {exc}") from None
        self.steps.append(FormalStep("build miter", "yosys", "done", time.perf_counter() - t0))
        outcome, cex, seconds = self._cec("miter")
        self.steps.append(FormalStep("miter: ports equal", "abc &cec", outcome, seconds))
        if outcome == "proven":
            return self._result(PROVEN, "miter")
        if outcome == "counterexample":
            real = self._check_counterexample(cex, "miter")
            if real is not None:
                return real
            raise ToolError(
                "ABC reported a counterexample that the netlist simulator does not reproduce "
                f"(RTL and netlist disagree?); files in {self.work}"
            )
        return self._result(NOT_PROVEN, "miter", reason=f"ABC gave up on the whole miter after {seconds:.1f} s")

    # ------------------------------------------------------------- engines
    def _remaining(self, what: str) -> float:
        left = self.deadline - time.perf_counter()
        if left <= 0:
            self.steps.append(FormalStep(what, "-", "timeout", 0.0))
            raise _Timeout(f"time limit reached before {what}")
        return left

    def _yosys(self, script: str, name: str) -> None:
        path = self._write(f"{name}.ys", script)
        rc, out = self._run([self.yosys, "-q", "-l", f"{name}.yosys.log", "-s", path.name], name, f"yosys ({name})")
        if rc != 0:
            raise _YosysFailed(self._yosys_error(name, out))

    def _yosys_parallel(self, scripts: dict[str, str]) -> None:
        """Run independent Yosys scripts at the same time (one process each; they only share the inputs)."""
        if (os.cpu_count() or 1) < 2:
            for name, script in scripts.items():
                self._yosys(script, name)
            return
        timeout = self._remaining("yosys (build A-C)")
        procs = {}
        for name, script in scripts.items():
            path = self._write(f"{name}.ys", script)
            procs[name] = subprocess.Popen(
                [self.yosys, "-q", "-l", f"{name}.yosys.log", "-s", path.name], cwd=self.work,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            )
        outputs, deadline = {}, time.perf_counter() + timeout
        try:
            for name, proc in procs.items():
                outputs[name], _ = proc.communicate(timeout=max(0.0, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
            self.steps.append(FormalStep("yosys (build A-C)", "yosys", "timeout", timeout))
            raise _Timeout("yosys (build A-C) still running when the time limit was reached") from None
        for name, proc in procs.items():
            if proc.returncode != 0:
                raise _YosysFailed(self._yosys_error(name, outputs[name]))

    def _yosys_error(self, name: str, out: str) -> str:
        log = self.work / f"{name}.yosys.log"
        text = log.read_text(errors="replace") if log.exists() else out
        errors = [line for line in text.splitlines() if "ERROR" in line]
        return (errors[-1] if errors else text[-_LOG_TAIL:]).strip()

    def _cec(self, name: str) -> tuple[str, list[int] | None, float]:
        """ABC SAT-sweeping CEC of a miter AIG (every output must be 0): outcome, PI values, seconds."""
        _require_single_output(self.work / f"{name}.aig")
        cex_file = f"{name}.cex"
        (self.work / cex_file).unlink(missing_ok=True)
        script = f"read_aiger {name}.aig; &get; &cec -m; write_cex {cex_file}"
        t0 = time.perf_counter()
        rc, out = self._run([self.abc, "-c", script], name, f"ABC on {name}")
        seconds = time.perf_counter() - t0
        (self.work / f"{name}.abc.log").write_text(out)
        if "Networks are equivalent" in out:
            return "proven", None, seconds
        if "NOT EQUIVALENT" in out or "NOT equivalent" in out:
            cex_path = self.work / cex_file
            if not cex_path.exists():  # &cec decided without SAT (e.g. after hashing): ask the SAT prover
                script = f"read_aiger {name}.aig; iprove; write_cex {cex_file}"
                self._run([self.abc, "-c", script], name, f"ABC on {name}")
            if not cex_path.exists():
                raise ToolError(f"ABC found a difference in {name} but wrote no counterexample; see {self.work}")
            bits = re.sub(r"[^01]", "", cex_path.read_text().split("#")[0])
            return "counterexample", [int(ch) for ch in bits], seconds
        if "UNDECIDED" in out or "undecided" in out:
            return "gave up", None, seconds
        raise ToolError(f"yosys-abc gave no verdict on {name} (exit {rc}): {out[-_LOG_TAIL:].strip()}")

    def _bdd(self, name: str) -> tuple[str, float]:
        """ABC: build global BDDs of every miter output (no reordering: symmetric functions stay small)."""
        _require_single_output(self.work / f"{name}.aig")
        script = f"read_aiger {name}.aig; strash; collapse -r; strash; print_stats; iprove"
        t0 = time.perf_counter()
        rc, out = self._run([self.abc, "-c", script], name, f"ABC BDDs on {name}")
        seconds = time.perf_counter() - t0
        (self.work / f"{name}.abc.log").write_text(out)
        if "UNSATISFIABLE" in out:
            return "proven", seconds
        if "SATISFIABLE" in out:
            return "failed", seconds
        return "gave up", seconds

    def _run(self, argv: list[str], name: str, what: str) -> tuple[int, str]:
        timeout = self._remaining(what)
        proc = subprocess.Popen(argv, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            self.steps.append(FormalStep(what, argv[0].rsplit("/", 1)[-1], "timeout", timeout))
            raise _Timeout(f"{what} still running when the time limit was reached") from None
        return proc.returncode, out

    def _write(self, name: str, text: str) -> Path:
        path = self.work / name
        path.write_text(text)
        return path

    def _yosys_version(self) -> str:
        try:
            out = subprocess.run([self.yosys, "-V"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolError(f"cannot run yosys: {exc}") from None
        return out.strip().split(" (")[0] or "yosys"

    # -------------------------------------------------------- counterexample
    def _input_bits(self, cex: list[int], name: str) -> np.ndarray:
        """Map ABC's PI values back to in_bits via the AIGER map Yosys wrote."""
        bits = np.zeros(self.n, dtype=np.uint8)
        for line in (self.work / f"{name}.map").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[0] == "input" and parts[3] == "in_bits":
                index, bit = int(parts[1]), int(parts[2])
                if index < len(cex):
                    bits[bit] = cex[index]
        return bits

    def _check_counterexample(self, cex: list[int], name: str) -> FormalResult | None:
        """Evaluate ABC's counterexample on both RTL modules (Yosys ``eval``): a COUNTEREXAMPLE result
        when their ports differ, None when only internal bits differ (outputs permuted within a class).
        The netlist simulator's view is recorded beside it: it must agree unless an RTL file was edited."""
        bits = self._input_bits(cex, name)
        rtl = self._rtl_eval(bits)
        (s_a, c_a), (s_b, c_b) = rtl
        if s_a == s_b and c_a == c_b:
            return None
        sim_a, sim_b = Simulator(self.a), Simulator(self.b)
        x = bits[None, :]
        differing = np.flatnonzero(sim_a.output_bits(x)[0] != sim_b.output_bits(x)[0]).tolist()
        n_a, n_b = sim_a.scores(x)[0].tolist(), sim_b.scores(x)[0].tolist()
        a, b = self.labels
        if (n_a, n_b) == (s_a, s_b):
            note = "the netlist simulator gives the same scores"
        else:
            note = f"the netlist simulator gives {n_a} vs {n_b}: an RTL file does not match its netlist"
        self.steps[-1].detail = note
        return self._result(
            COUNTEREXAMPLE,
            self._method,
            counterexample=bits.astype(int).tolist(),
            scores={a: s_a, b: s_b},
            class_ids={a: c_a, b: c_b},
            differing_outputs=differing,
        )

    def _rtl_eval(self, bits: np.ndarray) -> list[tuple[list, object]]:
        """(scores per class, class_id) of module a and of module b on one input, evaluated by Yosys."""
        value = f"{self.n}'b" + "".join(str(int(v)) for v in bits[::-1])
        sets = f"-set in_bits {value} -set in_valid 1'b1 -set clk 1'b0 -set rst 1'b0 -show scores -show class_id"
        script = f"read_verilog a.v\nread_verilog b.v\neval {sets} {self.module_a}\neval {sets} {self.module_b}\n"
        path = self._write("eval.ys", script)
        rc, out = self._run([self.yosys, "-s", path.name], "eval", "yosys eval of the counterexample")
        found = re.findall(r"Eval result: \\(scores|class_id) = (\d+)'([01xz]+)\.", out)
        if rc != 0 or len(found) != 4:
            raise ToolError(
                f"yosys could not evaluate the counterexample on the RTL (exit {rc}): {out[-_LOG_TAIL:].strip()}"
            )
        width = score_width(self.a)
        result = []
        for (_, _, sbits), (_, _, cbits) in (found[0:2], found[2:4]):
            lsb = sbits[::-1]
            chunks = [lsb[c * width:(c + 1) * width][::-1] for c in range(self.c)]
            scores = [int(ch, 2) if set(ch) <= {"0", "1"} else ch for ch in chunks]
            result.append((scores, int(cbits, 2) if set(cbits) <= {"0", "1"} else cbits))
        return result


def _require_single_output(aig: Path) -> None:
    """Every miter here has exactly one output (the OR of all differences): ``&cec -m`` only looks at
    the first output of a miter, so a multi-output AIG would be checked incompletely. Header: aig M I L O A."""
    with open(aig, "rb") as handle:
        header = handle.readline().split()
    if len(header) < 6 or header[0] not in (b"aig", b"aag") or int(header[4]) != 1:
        shown = b" ".join(header).decode(errors="replace")
        raise ToolError(f"{aig}: expected a single-output miter AIG, header is {shown!r}")


# --------------------------------------------------------------------- step B: scores as exact sums
def linear_scores(json_path: Path, modules: list[str], cut_vars: dict, num_classes: int) -> dict:
    """Each module's ``score<c>`` as an exact integer sum: {module: [(constant, {variable: count})]}.

    Reads Yosys's word-level netlist (``write_json`` of the modules cut at the summed wires). A cut
    wire is the variable ``cut_vars[module][wire]`` (a Verilog expression: ``v[i]``, ``in_bits[s]`` or
    the constant ``1'b0``/``1'b1``); an ``in_bits`` bit is ``in_bits[s]``. Only unsigned ``$add``,
    ``$or`` with an all-zero operand and ``$pos`` are read, by the folding rules of _ModuleSums (above
    its ``linear``): exact where provably exact, congruent where a dropped carry cannot matter, and the
    final sum must fit the score. Anything else raises _NotLinear. Two sums over independent Boolean variables are
    equal as functions exactly when their constants and counts are equal, so comparing the results
    decides step B.
    """
    doc = json.loads(Path(json_path).read_text())
    result = {}
    for module in modules:
        mod = doc["modules"].get(module)
        if mod is None:
            raise _NotLinear(f"module {module} missing from the Yosys netlist")
        result[module] = _ModuleSums(module, mod, cut_vars.get(module, {})).scores(num_classes)
    return result


_VAR = re.compile(r"(v|in_bits)\[(\d+)\]\Z")


class _ModuleSums:
    def __init__(self, name: str, mod: dict, cut: dict):
        self.name = name
        self.cells = mod.get("cells", {})
        self.driver: dict = {}  # bit id -> (cell name, index in its Y)
        for cname, cell in self.cells.items():
            for i, bit in enumerate(cell["connections"].get("Y", [])):
                if isinstance(bit, int):
                    self.driver[bit] = (cname, i)
        self.source: dict = {}  # bit id -> (constant, {var: 1}) for cut wires and in_bits
        ports = mod.get("ports", {})
        for pname, port in ports.items():
            if port["direction"] != "input":
                continue
            if pname == "in_bits":
                for s, bit in enumerate(port["bits"]):
                    self.source[bit] = (0, {f"in_bits[{s}]": 1})
            elif pname in cut:
                value = cut[pname]
                if value in ("1'b0", "1'b1"):
                    self.source[port["bits"][0]] = (int(value[-1]), {})
                elif _VAR.match(value):
                    self.source[port["bits"][0]] = (0, {value: 1})
                else:
                    raise _NotLinear(f"{name}: unexpected cut value {value!r}")
        self.netnames = mod.get("netnames", {})
        self.bounds: dict = {}  # cell -> upper bound of its value
        self.operands: dict = {}  # cell -> (constant, atoms) of its operands' sum

    def scores(self, num_classes: int) -> list:
        out = []
        for c in range(num_classes):
            net = self.netnames.get(f"score{c}")
            if net is None:
                raise _NotLinear(f"{self.name}: no wire score{c}")
            out.append(self.linear(net["bits"]))
        return out

    # The score logic is a tree of unsigned $add cells (plus "| 0" and $pos) over single bits; the
    # 6:3 counter tree passes single bits of a counter's output to different consumers (bit 0 into
    # the next counter of its column, bits 1 and 2 into the next columns). The score is therefore
    # expanded top-down into weighted atoms (variables and single cell-output bits), and a cell is
    # folded back into its operands once every consumer of its bits has been expanded: its bits must
    # appear with weights w * 2**k for every k below the bit length of its upper bound, which is
    # exactly w times its value when the cell cannot overflow (upper bound < 2**its width). A cell that
    # may wrap (its carry out is dropped, as the emitter does in the top columns) is folded only when
    # all its bits appear and the dropped carry's weight w * 2**width(cell) is a multiple of
    # 2**(score width): the sum then stays congruent to the score modulo 2**(score width), and the
    # final sum must provably fit the score's width, so it is the score. Anything else raises
    # _NotLinear (and the BDD fallback decides).
    def linear(self, bits: list) -> tuple[int, dict]:
        """The exact integer value of a score word as (constant, {var: count})."""
        width = len(bits)
        const, atoms = self.expand(bits)
        for cname in self.fold_order(atoms):
            y_len = len(self.cells[cname]["connections"]["Y"])
            weights = {k: atoms.pop(("bit", cname, k)) for k in range(y_len) if ("bit", cname, k) in atoms}
            bound = self.upper_bound(cname)
            wraps = bound >= 1 << y_len
            # exact: value == sum of operands and bits above the bound's length are always 0; wrapping:
            # every bit is needed, and the lost carry (scale * 2**y_len) must vanish modulo 2**width
            needed = y_len if wraps else bound.bit_length()
            if not needed:
                continue  # always 0
            scale = _whole_scale(weights, needed)
            if scale is None:
                raise _NotLinear(f"{self.name}: signal is not a weighted sum of whole cell values ({cname})")
            if wraps and (scale << y_len) % (1 << width):
                raise _NotLinear(f"{self.name}: {cname} can overflow its {y_len} bits (bound {bound})")
            c_const, c_atoms = self.cell_operands(cname)
            const += scale * c_const
            for atom, weight in c_atoms.items():
                atoms[atom] = atoms.get(atom, 0) + scale * weight
        if any(atom[0] != "var" for atom in atoms):
            raise _NotLinear(f"{self.name}: cell bits left over after folding")
        terms = {atom[1]: weight for atom, weight in atoms.items()}
        # Every fold kept the score congruent modulo 2**width; a sum whose maximum fits is the score.
        if const + sum(terms.values()) >= 1 << width:
            raise _NotLinear(f"{self.name}: the score can overflow its {width} bits")
        return const, terms

    def fold_order(self, atoms: dict) -> list:
        """Cells reachable from the atoms, consumers before producers (Kahn's order from the top)."""
        deps: dict = {}  # reachable cell -> the cells driving its operands
        stack = [a[1] for a in atoms if a[0] == "bit"]
        while stack:
            cname = stack.pop()
            if cname not in deps:
                deps[cname] = set(self.operand_cells(cname))
                stack.extend(deps[cname])
        consumers = {c: 0 for c in deps}
        for producers in deps.values():
            for d in producers:
                consumers[d] += 1
        ready = sorted(c for c, n in consumers.items() if n == 0)
        order = []
        while ready:
            cname = ready.pop()
            order.append(cname)
            for d in sorted(deps[cname]):
                consumers[d] -= 1
                if consumers[d] == 0:
                    ready.append(d)
        return order

    def operand_cells(self, cname: str) -> list:
        conn = self.cells[cname]["connections"]
        return [self.driver[b][0] for port in ("A", "B") for b in conn.get(port, [])
                if isinstance(b, int) and b not in self.source and b in self.driver]

    def expand(self, bits: list) -> tuple[int, dict]:
        """(constant, {atom: weight}) of an unsigned word, LSB first; atoms ("var", name) or ("bit", cell, k)."""
        const, atoms = 0, {}
        for i, bit in enumerate(bits):
            if bit == "1":
                const += 1 << i
            elif bit == "0":
                continue
            elif not isinstance(bit, int):
                raise _NotLinear(f"{self.name}: undefined bit {bit!r} in the score logic")
            elif bit in self.source:
                c, terms = self.source[bit]
                const += c << i
                for var, count in terms.items():
                    atoms[("var", var)] = atoms.get(("var", var), 0) + (count << i)
            elif bit in self.driver:
                key = ("bit",) + self.driver[bit]
                atoms[key] = atoms.get(key, 0) + (1 << i)
            else:
                raise _NotLinear(f"{self.name}: bit {bit} has no supported driver")
        return const, atoms

    def cell_operands(self, cname: str) -> tuple[int, dict]:
        """A supported cell's value as the exact sum of its operands' atoms (overflow checked by the caller).
        Cached: read-only for the callers."""
        if cname not in self.operands:
            self.operands[cname] = self._cell_operands(cname)
        return self.operands[cname]

    def _cell_operands(self, cname: str) -> tuple[int, dict]:
        cell = self.cells[cname]
        kind, params, conn = cell["type"], cell.get("parameters", {}), cell["connections"]
        if any(_param(params, key) for key in ("A_SIGNED", "B_SIGNED")):
            raise _NotLinear(f"{self.name}: signed arithmetic in {cname}")
        if kind == "$pos":
            return self.expand(conn["A"])
        if kind not in ("$add", "$or"):
            raise _NotLinear(f"{self.name}: cell type {kind} ({cname}) in the score logic")
        (a_const, a_atoms), (b_const, b_atoms) = self.expand(conn["A"]), self.expand(conn["B"])
        if kind == "$or" and (a_const or a_atoms) and (b_const or b_atoms):
            raise _NotLinear(f"{self.name}: {cname} is an OR of two non-zero values")
        for atom, weight in b_atoms.items():
            a_atoms[atom] = a_atoms.get(atom, 0) + weight
        return a_const + b_const, a_atoms

    def upper_bound(self, cname: str) -> int:
        """An upper bound of a cell's value from its operands' bits (a bit of a cell bounded below 2**k is 0)."""
        if cname in self.bounds:
            return self.bounds[cname]
        const, atoms = self.cell_operands(cname)
        bound = const
        per_cell: dict = {}
        for atom, weight in atoms.items():
            if atom[0] == "var":
                bound += weight
            else:
                per_cell.setdefault(atom[1], {})[atom[2]] = weight
        for d, weights in per_cell.items():
            d_bound = self.upper_bound(d)
            live = {k: w for k, w in weights.items() if d_bound >> k}  # higher bits are always 0
            # Bits read as one whole value w * (bit0 + 2 bit1 + ...) are at most w * d_bound.
            scale = _whole_scale(live, d_bound.bit_length())
            bound += scale * d_bound if scale is not None else sum(live.values())
        self.bounds[cname] = bound
        return bound


def _whole_scale(weights: dict, bits: int) -> int | None:
    """w when ``weights`` holds bits 0..bits-1 of one value at weights w * 2**k (a whole value, scaled)."""
    scale = weights.get(0)
    if scale is None or any(weights.get(k) != scale << k for k in range(bits)):
        return None
    return scale


def _param(params: dict, key: str) -> int:
    value = params.get(key, 0)
    if isinstance(value, str):
        return int(value, 2) if value and set(value) <= {"0", "1"} else 0
    return int(value)


def _format_sum(item: tuple[int, dict]) -> str:
    const, terms = item
    parts = [f"{count}*{var}" if count != 1 else var for var, count in sorted(terms.items())[:4]]
    more = f" + ... ({len(terms)} variables)" if len(terms) > 4 else ""
    return " + ".join([str(const)] + parts) + more

