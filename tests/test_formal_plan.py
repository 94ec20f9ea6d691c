"""The proof plan (lgn2hw.check.formal.plan) is pure and says exactly what the proof compares, cuts and
numbers; the obligations built from it wire those cuts into the wrappers (lgn2hw.backend.verilog.miters)."""

from __future__ import annotations

import builtins
import dataclasses
import io
import os
import subprocess

import pytest

from lgn2hw.check.formal import obligations
from lgn2hw.check.formal.plan import GOLD_MODULE, Leaf, plan_proof
from lgn2hw.errors import ConfigError
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.synthetic import random_layered
from lgn2hw.passes.manager import optimize

AND, A, XOR, OR, FALSE, TRUE = 1, 3, 6, 7, 0, 15


def tied_pair() -> tuple[Netlist, Netlist]:
    """Four inputs, two classes of three outputs. a sums [g0, g1, in 2, FALSE gate, g3, g0];
    b sums [g0, g3, g5, g4, g2, g3]: a's g0 and g1 and b's g0 and g3 meet at positions 0, 1 and 5."""
    a = Netlist(4, 2, [AND, XOR, FALSE, OR], [0, 2, 0, 0], [1, 3, 0, 3], [4, 5, 2, 6, 7, 4])
    b = Netlist(4, 2, [AND, TRUE, OR, XOR, AND, A], [0, 0, 0, 2, 0, 2], [1, 0, 3, 3, 2, 2], [4, 7, 9, 8, 6, 7])
    return a, b


def test_plan_numbers_cut_classes_in_output_position_order():
    a, b = tied_pair()
    plan = plan_proof(a, b)
    w, i, c = (lambda g: Leaf("wire", g)), (lambda s: Leaf("in", s)), (lambda v: Leaf("const", v))
    assert plan.leaves_a == (w("g0"), w("g1"), i(2), c(0), w("g3"), w("g0"))
    assert plan.leaves_b == (w("g0"), w("g3"), w("g5"), w("g4"), w("g2"), w("g3"))
    assert plan.positions == (0, 1, 2, 3, 4, 5)
    assert plan.wires_a == ("g0", "g1", "g3") and plan.wires_b == ("g0", "g2", "g3", "g4", "g5")
    assert [(cls.members, cls.value) for cls in plan.classes] == [
        ((("a", "wire", "g0"), ("a", "wire", "g1"), ("b", "wire", "g0"), ("b", "wire", "g3")), Leaf("var", 0)),
        ((("a", "in", 2), ("b", "wire", "g5")), i(2)),  # a wire shown equal to an input bit is that bit
        ((("a", "const", 0), ("b", "wire", "g4")), c(0)),  # ... and to a folded constant, that constant
        ((("a", "wire", "g3"), ("b", "wire", "g2")), Leaf("var", 1)),
    ]
    assert plan.num_vars == 2 and plan.conflict is None
    assert plan.cut_a == (("g0", Leaf("var", 0)), ("g1", Leaf("var", 0)), ("g3", Leaf("var", 1)))
    assert dict(plan.cut_b) == {"g0": Leaf("var", 0), "g2": Leaf("var", 1), "g3": Leaf("var", 0), "g4": c(0), "g5": i(2)}
    assert (plan.ports.num_inputs, plan.ports.num_classes, plan.ports.score_width, plan.ports.class_id_width) == (4, 2, 2, 1)


def test_obligations_wire_the_plan_into_the_wrappers():
    plan = plan_proof(*tied_pair())
    files = dict(obligations.decomposed(plan).files)
    step_a, step_b = files["step_a.v"], files["step_b.v"]
    assert "assign d[2] = in_bits[2] ^ b_g5;" in step_a and "assign d[3] = 1'b0 ^ b_g4;" in step_a
    assert step_a.count("assign d[") == len(plan.positions)
    assert "input wire [1:0] v, output wire diff" in step_b
    for conn in (".g1(v[0])", ".g3(v[1])", ".g4(1'b0)", ".g5(in_bits[2])", ".g2(v[1])"):
        assert conn in step_b
    assert files["leaves_b.sel"] == "".join(f"lgn2hw_formal_b/{g}\n" for g in ("g0", "g2", "g3", "g4", "g5"))
    for text in (step_a, step_b, files["step_c.v"]):  # one output: ABC's &cec -m reads only the first
        assert text.splitlines()[0].count("output ") == 1


def test_two_fixed_values_in_one_class_are_a_conflict():
    a = Netlist(2, 1, [FALSE], [0], [0], [2])  # a sums a constant 0 ...
    b = Netlist(2, 1, [AND], [0], [1], [1])  # ... where b sums input bit 1
    plan = plan_proof(a, b)
    assert plan.positions == (0,) and plan.num_vars == 0
    assert plan.conflict == (("a", "const", 0), ("b", "in", 1))


def test_plan_is_pure(monkeypatch, tmp_path):
    """Same inputs give equal (and equally hashed) plans; computing one opens no file and starts no tool."""
    raw = random_layered(20, 3, 60, 4, seed=3)
    opt = optimize(raw, 2).netlist

    def forbidden(*args, **kwargs):
        raise AssertionError("the plan must not touch files or start tools")

    monkeypatch.chdir(tmp_path)
    for owner, name in ((builtins, "open"), (io, "open"), (os, "open"), (subprocess, "Popen")):
        monkeypatch.setattr(owner, name, forbidden)
    first, second = plan_proof(raw, opt), plan_proof(raw.copy(), opt.copy())
    work_first, work_second = obligations.decomposed(first), obligations.decomposed(second)
    monkeypatch.undo()
    assert first == second and hash(first) == hash(second)
    assert work_first == work_second
    assert list(tmp_path.iterdir()) == []
    assert first.positions and first.num_vars > 0  # a plan with something in it
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.num_vars = 0


@pytest.mark.parametrize("name", [GOLD_MODULE, "lgn2hw_step_a", "lgn2hw_miter"])
def test_reserved_module_names_are_refused(name):
    a, b = tied_pair()
    with pytest.raises(ConfigError, match="reserved by the formal check"):
        plan_proof(a, b, module_b=name)
