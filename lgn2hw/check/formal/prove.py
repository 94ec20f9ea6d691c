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
   step A justifies, every ``score<c>`` wire agrees for every value of the cut bits. Each score is read
   off Yosys's word-level netlist as an exact sum of the cut bits (sums.py); where it is not such a sum,
   ABC ``collapse`` (BDDs: a popcount is a symmetric function with a small BDD) decides.
C. ports: with both RTLs cut at ``score<c>`` (shared), scores/class_id/out_valid agree (argmax
   logic, structurally identical, ABC ``&cec``).

If a step fails without a real counterexample (e.g. b permutes the bits within a class, which keeps
the scores), or the RTL does not have the documented wire names, the whole-port miter is tried with
the time that is left. Every counterexample is re-simulated on both netlists before it is reported.

The package: plan.py (the decomposition, pure), obligations.py (Yosys scripts; the wrappers come from
lgn2hw.backend.verilog.miters), engines.py (Yosys / ABC runs), sums.py (step B's sum check),
counterexample.py, decomposed.py (steps A-C in order), result.py, and this driver.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ...backend.verilog import emit_verilog
from ...errors import NetlistError, ToolError
from ...ir.netlist import Netlist
from ...toolchain.process import Deadline
from ...toolchain.yosys import Yosys, find_yosys
from . import obligations
from .counterexample import confirm
from .decomposed import prove_decomposed
from .engines import Engines, StepTimeout, YosysFailed
from .plan import GATE_MODULE, GOLD_MODULE, ProofPlan, plan_proof
from .result import COUNTEREXAMPLE, DEFAULT_TIMEOUT_S, NOT_PROVEN, PROVEN, Conclusion, FormalResult, FormalStep


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
    yosys = find_yosys("formal equivalence", need_abc=True)
    for nl in (netlist_a, netlist_b):
        nl.validate()
    shape_a = (netlist_a.num_inputs, netlist_a.num_classes, netlist_a.group_size)
    shape_b = (netlist_b.num_inputs, netlist_b.num_classes, netlist_b.group_size)
    if shape_a != shape_b:
        raise NetlistError(
            "cannot prove equivalence: the interfaces differ (inputs, classes, outputs per class): "
            f"{shape_a} vs {shape_b}"
        )
    plan = plan_proof(netlist_a, netlist_b, GOLD_MODULE, module_b or GATE_MODULE)
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="lgn2hw-formal-") as tmp:
            result = _prove(plan, netlist_a, netlist_b, rtl_b, yosys, Path(tmp), timeout_s, labels)
        result.work_dir = ""
        return result
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    return _prove(plan, netlist_a, netlist_b, rtl_b, yosys, work, timeout_s, labels)


def _prove(plan: ProofPlan, a: Netlist, b: Netlist, rtl_b: str | None, yosys: Yosys, work: Path,
           timeout_s: float, labels) -> FormalResult:
    """Write both designs, run the decomposed proof, then the whole-port miter when it cannot conclude."""
    start = time.monotonic()
    engines = Engines(yosys, work, Deadline.after(timeout_s))
    if rtl_b is None:
        rtl_b = next(iter(emit_verilog(b, plan.module_b).values()))
    engines.write([(obligations.RTL_A, next(iter(emit_verilog(a, plan.module_a).values()))), (obligations.RTL_B, rtl_b)])
    steps: list[FormalStep] = []
    method = "decomposed"
    try:
        conclusion = prove_decomposed(plan, engines, a, b, steps)
        if conclusion is None:
            method = "miter"
            conclusion = _prove_miter(plan, engines, a, b, steps)
    except StepTimeout as exc:
        steps.append(exc.step)
        conclusion = Conclusion(NOT_PROVEN, reason=str(exc))
    a_label, b_label = labels
    cex = conclusion.counterexample
    found = {} if cex is None else {
        "counterexample": list(cex.bits),
        "scores": {a_label: cex.scores[0], b_label: cex.scores[1]},
        "class_ids": {a_label: cex.class_ids[0], b_label: cex.class_ids[1]},
        "differing_outputs": list(cex.differing_outputs),
    }
    return FormalResult(status=conclusion.status, method=method, seconds=round(time.monotonic() - start, 3),
                        timeout_s=float(timeout_s), labels=tuple(labels), steps=steps, reason=conclusion.reason,
                        yosys_version=yosys.version, work_dir=str(work), **found)


def _prove_miter(plan: ProofPlan, engines: Engines, a: Netlist, b: Netlist, steps: list[FormalStep]) -> Conclusion:
    """The whole-port miter, with the time that is left."""
    work = obligations.whole_miter(plan)
    engines.write(work.files)
    t0 = time.monotonic()
    try:
        engines.run_yosys(work.build[0])
    except YosysFailed as exc:
        raise ToolError(f"yosys could not build the equivalence miter: {exc}") from None
    steps.append(FormalStep("build miter", "yosys", "done", time.monotonic() - t0))
    verdict = engines.cec("miter")
    step = FormalStep("miter: ports equal", "abc &cec", verdict.outcome, verdict.seconds)
    steps.append(step)
    if verdict.outcome == "proven":
        return Conclusion(PROVEN)
    if verdict.outcome == "counterexample":
        found = confirm(engines, plan, a, b, verdict.cex, "miter")
        if found is None:
            raise ToolError(
                "ABC reported a counterexample that the netlist simulator does not reproduce "
                f"(RTL and netlist disagree?); files in {engines.work}"
            )
        step.detail = found.note
        return Conclusion(COUNTEREXAMPLE, counterexample=found)
    return Conclusion(NOT_PROVEN, reason=f"ABC gave up on the whole miter after {verdict.seconds:.1f} s")
