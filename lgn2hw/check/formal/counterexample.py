"""ABC's counterexample, checked before it is reported: mapped back to ``in_bits``, evaluated on both RTL
modules by Yosys ``eval``, and compared with the netlist simulator (lgn2hw.ir.simulate)."""

from __future__ import annotations

import re

import numpy as np

from ...errors import ToolError
from ...ir.netlist import Netlist
from ...ir.simulate import Simulator
from .engines import LOG_TAIL, Engines
from .obligations import eval_script
from .plan import ProofPlan
from .result import Counterexample

_EVAL = re.compile(r"Eval result: \\(scores|class_id) = (\d+)'([01xz]+)\.")


def input_bits(map_text: str, cex: tuple[int, ...], num_inputs: int) -> np.ndarray:
    """ABC's primary-input values -> in_bits, through the AIGER map Yosys wrote (``input I BIT in_bits``)."""
    bits = np.zeros(num_inputs, dtype=np.uint8)
    for line in map_text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "input" and parts[3] == "in_bits":
            index, bit = int(parts[1]), int(parts[2])
            if index < len(cex):
                bits[bit] = cex[index]
    return bits


def parse_eval(returncode: int, out: str, plan: ProofPlan) -> list[tuple[list, object]]:
    """(scores per class, class_id) of module a, then of module b, from Yosys ``eval``'s log."""
    found = _EVAL.findall(out)
    if returncode != 0 or len(found) != 4:
        raise ToolError(
            f"yosys could not evaluate the counterexample on the RTL (exit {returncode}): {out[-LOG_TAIL:].strip()}"
        )
    width, result = plan.ports.score_width, []
    for (_, _, sbits), (_, _, cbits) in (found[0:2], found[2:4]):
        lsb = sbits[::-1]
        chunks = [lsb[c * width:(c + 1) * width][::-1] for c in range(plan.num_classes)]
        scores = [int(ch, 2) if set(ch) <= {"0", "1"} else ch for ch in chunks]
        result.append((scores, int(cbits, 2) if set(cbits) <= {"0", "1"} else cbits))
    return result


def confirm(engines: Engines, plan: ProofPlan, a: Netlist, b: Netlist, cex: tuple[int, ...],
            aig: str) -> Counterexample | None:
    """ABC's counterexample on the miter ``aig``, evaluated on both RTL modules: a Counterexample when
    their ports differ, None when only internal bits differ (outputs permuted within a class). The netlist
    simulator's view is noted beside it: it must agree unless an RTL file was edited."""
    bits = input_bits(engines.read(f"{aig}.map"), cex, plan.ports.num_inputs)
    (s_a, c_a), (s_b, c_b) = parse_eval(*engines.evaluate(eval_script(plan, bits)), plan)
    if s_a == s_b and c_a == c_b:
        return None
    sim_a, sim_b = Simulator(a), Simulator(b)
    x = bits[None, :]
    differing = np.flatnonzero(sim_a.output_bits(x)[0] != sim_b.output_bits(x)[0]).tolist()
    n_a, n_b = sim_a.scores(x)[0].tolist(), sim_b.scores(x)[0].tolist()
    if (n_a, n_b) == (s_a, s_b):
        note = "the netlist simulator gives the same scores"
    else:
        note = f"the netlist simulator gives {n_a} vs {n_b}: an RTL file does not match its netlist"
    return Counterexample(tuple(bits.astype(int).tolist()), (s_a, s_b), (c_a, c_b), tuple(differing), note)
