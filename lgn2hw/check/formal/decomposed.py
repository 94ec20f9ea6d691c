"""The decomposed proof: steps A (leaves equal), B (scores equal given the cut leaves) and C (ports equal
given the scores) run in order on the obligations of one plan; each appends its FormalStep."""

from __future__ import annotations

import time

from ...ir.netlist import Netlist
from . import obligations, sums
from .counterexample import confirm
from .engines import Engines, YosysFailed
from .obligations import YosysJob
from .plan import ProofPlan
from .result import COUNTEREXAMPLE, NOT_PROVEN, PROVEN, Conclusion, FormalStep


def prove_decomposed(plan: ProofPlan, engines: Engines, a: Netlist, b: Netlist,
                     steps: list[FormalStep]) -> Conclusion | None:
    """Steps A-C on netlists ``a`` and ``b``; None when the decomposition cannot conclude (the driver
    then tries the whole-port miter). Raises StepTimeout past the engines' deadline."""
    work = obligations.decomposed(plan)
    engines.write(work.files)
    t0 = time.monotonic()
    try:
        engines.run_yosys_parallel(work.build, "yosys (build A-C)")
    except YosysFailed as exc:  # e.g. the RTL lacks the documented wire names
        steps.append(FormalStep("build A-C", "yosys", "error", time.monotonic() - t0, str(exc)))
        return None
    steps.append(FormalStep("build A-C", "yosys", "done", time.monotonic() - t0,
                            f"{len(plan.positions)} leaf pairs, {plan.num_vars} cut variables, "
                            f"{plan.num_classes} score wires"))

    # A: leaves equal.
    verdict = engines.cec("step_a")
    step = FormalStep("A: summed bits equal", "abc &cec", verdict.outcome, verdict.seconds)
    steps.append(step)
    if verdict.outcome == "counterexample":
        found = confirm(engines, plan, a, b, verdict.cex, "step_a")
        if found is not None:
            step.detail = found.note
            return Conclusion(COUNTEREXAMPLE, counterexample=found)
        step.detail = "bits differ but class scores agree (outputs permuted?): trying the whole miter"
        return None
    step.detail = f"{len(plan.positions)} output positions"
    if verdict.outcome != "proven":  # the whole miter is harder still: stop here
        return Conclusion(NOT_PROVEN, reason=f"ABC gave up on step A (summed bits equal) after {verdict.seconds:.1f} s")
    if plan.conflict is not None:  # cannot happen after A is proven; stay safe
        steps.append(FormalStep("B: scores", "-", "error", 0.0, f"inconsistent cut class {plan.conflict}"))
        return None

    # B: score wires equal for all values of the cut leaves.
    if not _scores_equal(plan, engines, work.bdd, steps):
        return None

    # C: ports equal for all values of the score wires.
    verdict = engines.cec("step_c")
    steps.append(FormalStep("C: ports equal given scores", "abc &cec", verdict.outcome, verdict.seconds))
    return Conclusion(PROVEN) if verdict.outcome == "proven" else None


def _scores_equal(plan: ProofPlan, engines: Engines, bdd_job: YosysJob, steps: list[FormalStep]) -> bool:
    """Step B: first as sums over the cut variables read off Yosys's word-level netlist; ABC BDDs when
    the netlist is not such a sum. True when proven."""
    name = "B: score wires equal"
    t0 = time.monotonic()
    cut = {plan.module_a: dict(plan.cut_a), plan.module_b: dict(plan.cut_b)}
    try:
        found = sums.linear_scores(engines.work / obligations.STEP_B_JSON, [plan.module_a, plan.module_b], cut,
                                   plan.num_classes)
    except sums.NotLinear as exc:
        steps.append(FormalStep(name, "sums over cut bits", "undecided", time.monotonic() - t0, str(exc)))
    else:
        s_a, s_b = found[plan.module_a], found[plan.module_b]
        differ = [c for c in range(plan.num_classes) if s_a[c] != s_b[c]]
        detail = (f"class {differ[0]}: {sums.format_sum(s_a[differ[0]])} vs {sums.format_sum(s_b[differ[0]])}"
                  if differ else f"{plan.num_classes} scores are the same sums of {plan.num_vars} cut variables")
        steps.append(FormalStep(name, "sums over cut bits", "failed" if differ else "proven",
                                time.monotonic() - t0, detail))
        return not differ
    t0 = time.monotonic()
    try:
        engines.run_yosys(bdd_job)
    except YosysFailed as exc:
        steps.append(FormalStep("build B (BDD)", "yosys", "error", time.monotonic() - t0, str(exc)))
        return False
    steps.append(FormalStep("build B (BDD)", "yosys", "done", time.monotonic() - t0))
    verdict = engines.bdd("step_b")
    steps.append(FormalStep(name, "abc collapse (BDD)", verdict.outcome, verdict.seconds,
                            f"{plan.num_vars} cut variables, {plan.num_classes} classes"))
    return verdict.outcome == "proven"
