"""The proof obligations as files, from the plan: the Yosys scripts of steps A, B, C and of the whole-port
miter, and the wrappers (lgn2hw.backend.verilog.miters) and wire selections they read. Pure: text in,
text out; the driver writes the files and the engines run the scripts.

Every script reads both designs (``a.v``, ``b.v``), exposes or cuts the wires the step needs
(``expose`` makes a wire an output, ``expose -input`` cuts it into an input), then either writes a
single-output miter AIG (``<name>.aig`` with its input map ``<name>.map``) or, for step B's sum check,
the cut designs as Yosys's word-level netlist (``step_b.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...backend.verilog.miters import (
    PORT_MITER_MODULE,
    STEP_A_MODULE,
    STEP_B_MODULE,
    STEP_C_MODULE,
    leaf_miter,
    port_miter,
    score_miter,
)
from .plan import ProofPlan

RTL_A, RTL_B = "a.v", "b.v"
STEP_B_JSON = "step_b.json"
# From the wrapper to an AIG: flatten, remove the logic no compared output reads (cheap at word level),
# then bit-blast. No ``opt``: on big flat netlists it costs Yosys minutes and ABC hashes the AIG anyway.
LOWER = "flatten\nopt_clean\naigmap\ntechmap\naigmap\n"
_READ = f"read_verilog {RTL_A}\nread_verilog {RTL_B}\n"


@dataclass(frozen=True)
class YosysJob:
    """One Yosys script: run as ``<name>.ys``, logged to ``<name>.yosys.log``."""

    name: str
    script: str


@dataclass(frozen=True)
class Obligations:
    """The files a proof writes next to the two designs, and the Yosys jobs that read them."""

    files: tuple[tuple[str, str], ...]  # (file name, text): wrappers and selections
    build: tuple[YosysJob, ...]  # independent jobs, run at the same time
    bdd: YosysJob | None = None  # step B as a miter AIG, for the BDD fallback (run only when needed)


def decomposed(plan: ProofPlan) -> Obligations:
    """Steps A, B and C: AIGs ``step_a``/``step_c``, ``step_b.json`` (and the AIG ``step_b`` for BDDs)."""
    m_a, m_b = plan.module_a, plan.module_b
    files = {
        "leaves_a.sel": _selection(m_a, plan.wires_a),
        "leaves_b.sel": _selection(m_b, plan.wires_b),
        "scores_a.sel": _selection(m_a, plan.score_wires),
        "scores_b.sel": _selection(m_b, plan.score_wires),
        "step_a.v": leaf_miter(plan.ports, m_a, m_b, plan.wires_a, plan.wires_b, plan.compared),
        "step_b.v": score_miter(plan.ports, m_a, m_b, plan.cut_a, plan.cut_b, plan.num_vars),
        "step_c.v": port_miter(plan.ports, m_a, m_b, cut_scores=True),
    }
    show_leaves = _expose("leaves_a.sel", plan.wires_a, False) + _expose("leaves_b.sel", plan.wires_b, False)
    cut_leaves = _expose("leaves_a.sel", plan.wires_a, True) + _expose("leaves_b.sel", plan.wires_b, True)
    show_scores = _expose("scores_a.sel", plan.score_wires, False) + _expose("scores_b.sel", plan.score_wires, False)
    cut_scores = _expose("scores_a.sel", plan.score_wires, True) + _expose("scores_b.sel", plan.score_wires, True)
    build = (
        # A: the summed wires as extra outputs, compared bit by bit in the wrapper.
        YosysJob("step_a", _READ + show_leaves + _aig(STEP_A_MODULE, "step_a")),
        # B: both modules cut at the summed wires; what is left is the popcount/argmax logic.
        YosysJob("step_b", _READ + cut_leaves + f"opt_clean\nwrite_json {STEP_B_JSON}\n"),
        # C: both modules cut at score<c>, fed the same values.
        YosysJob("step_c", _READ + cut_scores + _aig(STEP_C_MODULE, "step_c")),
    )
    bdd = YosysJob("step_b_bdd", _READ + cut_leaves + show_scores + _aig(STEP_B_MODULE, "step_b"))
    return Obligations(tuple(files.items()), build, bdd)


def whole_miter(plan: ProofPlan) -> Obligations:
    """The whole-port miter: AIG ``miter``."""
    files = {"miter.v": port_miter(plan.ports, plan.module_a, plan.module_b, cut_scores=False)}
    return Obligations(tuple(files.items()), (YosysJob("miter", _READ + _aig(PORT_MITER_MODULE, "miter")),))


def eval_script(plan: ProofPlan, bits) -> str:
    """Yosys ``eval`` of both designs' scores and class_id on one input (0/1 per in_bits index)."""
    value = f"{plan.ports.num_inputs}'b" + "".join(str(int(v)) for v in reversed(list(bits)))
    sets = f"-set in_bits {value} -set in_valid 1'b1 -set clk 1'b0 -set rst 1'b0 -show scores -show class_id"
    # flatten: a carry4 build's module instantiates LUT6_2/CARRY4, whose models eval reads through
    return _READ + f"flatten\neval {sets} {plan.module_a}\neval {sets} {plan.module_b}\n"


def _selection(module: str, wires) -> str:
    return "".join(f"{module}/{w}\n" for w in wires)


def _expose(selection: str, wires, cut: bool) -> str:
    """Expose the selected wires as outputs, or (``cut``) as inputs that replace their drivers."""
    if not wires:
        return ""
    return f"select -set s -read {selection}\nexpose {'-input ' if cut else ''}@s\nselect -clear\n"


def _aig(top: str, name: str) -> str:
    return f"read_verilog {name}.v\nhierarchy -top {top}\n" + LOWER + f"write_aiger -map {name}.map {name}.aig\n"
