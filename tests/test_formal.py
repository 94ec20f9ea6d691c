"""Formal equivalence (lgn2hw.check.formal, ``lgn2hw verify --formal``) against the ground truth of exhaustive simulation.

A proof is only worth something if it can fail: next to "optimized netlists are proven equivalent" the
tests alter netlists (gate functions, wiring, outputs) and require a counterexample that the simulator
confirms, check every verdict against all 2^N input vectors on small nets, and check that a time
limit is reported as "not proven", never as a pass. Compiled directories: tests/test_formal_build.py.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from helpers import layered

from lgn2hw.check.formal import COUNTEREXAMPLE, NOT_PROVEN, PROVEN, prove_equivalent, sums
from lgn2hw.errors import NetlistError, ToolError
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.passes.manager import optimize

pytestmark = pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("yosys-abc") is None, reason="yosys (Debian package) not installed"
)


def all_vectors(n: int) -> np.ndarray:
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.uint8)


def same_scores_everywhere(x: Netlist, y: Netlist) -> bool:
    bits = all_vectors(x.num_inputs)
    return np.array_equal(Simulator(x).scores(bits), Simulator(y).scores(bits))


# ---------------------------------------------------------------------------------------- proven
@pytest.mark.parametrize("seed", range(4))
def test_optimized_random_netlists_are_proven(seed):
    raw = layered(14, [48, 48, 24], 3, seed=seed)
    opt = optimize(raw, level=2).netlist
    assert opt.num_gates < raw.num_gates
    result = prove_equivalent(raw, opt, timeout_s=120, labels=("raw", "optimized"))
    assert result.status == PROVEN, result.summary()
    assert result.proven and result.method == "decomposed"
    # Step B reads both scores as exact sums, 6:3 counter tree included (no BDD fallback needed).
    assert [(s.name[:2], s.engine, s.outcome) for s in result.steps if s.name[:2] in ("A:", "B:", "C:")] == [
        ("A:", "abc &cec", "proven"), ("B:", "sums over cut bits", "proven"), ("C:", "abc &cec", "proven")
    ]
    assert result.summary().startswith("formal: PROVEN")
    assert result.counterexample is None


def test_counters_whose_carry_the_score_drops_are_folded_exactly(monkeypatch):
    """The emitter cuts the carry of counters in a score's top columns (it cannot count there); step B
    folds such wrapping cells only when the dropped carry vanishes modulo the score width, and must
    still prove these scores as sums (no BDD fallback)."""
    wrapping = []
    upper_bound = sums._ModuleSums.upper_bound

    def spy(self, cname):
        bound = upper_bound(self, cname)
        if bound >= 1 << len(self.cells[cname]["connections"]["Y"]):
            wrapping.append(cname)
        return bound

    monkeypatch.setattr(sums._ModuleSums, "upper_bound", spy)
    raw = layered(16, [116, 58], 1, seed=0)
    result = prove_equivalent(raw, optimize(raw, level=2).netlist, timeout_s=120, labels=("raw", "optimized"))
    assert result.status == PROVEN, result.summary()
    assert ("B:", "sums over cut bits", "proven") in [(s.name[:2], s.engine, s.outcome) for s in result.steps]
    assert wrapping  # the path under test was taken


def test_outputs_permuted_within_a_class_are_proven_by_the_whole_miter():
    raw = layered(10, [30, 12], 2, seed=5)
    permuted = raw.copy()
    outputs = permuted.outputs.copy()
    outputs[[0, 4]] = outputs[[4, 0]]  # both in class 0 (k = 6): bits move, scores do not
    permuted.outputs = outputs
    result = prove_equivalent(raw, permuted, timeout_s=120)
    assert result.status == PROVEN, result.summary()
    assert result.method == "miter"
    step_a = next(s for s in result.steps if s.name.startswith("A:"))
    assert step_a.outcome == "counterexample"  # the bits differ; the decomposition hands over


def test_score_step_falls_back_to_bdds(monkeypatch):
    def not_linear(*args, **kwargs):
        raise sums.NotLinear("forced by the test")

    monkeypatch.setattr(sums, "linear_scores", not_linear)
    raw = layered(12, [40, 40, 20], 4, seed=7)
    result = prove_equivalent(raw, optimize(raw, 2).netlist, timeout_s=120)
    assert result.status == PROVEN, result.summary()
    engines = [(s.name, s.engine, s.outcome) for s in result.steps if s.name.startswith("B:")]
    assert engines == [
        ("B: score wires equal", "sums over cut bits", "undecided"),
        ("B: score wires equal", "abc collapse (BDD)", "proven"),
    ]


# -------------------------------------------------------------------------------- counterexamples
def _altered(raw: Netlist, seed: int) -> tuple[Netlist, int]:
    """The optimized netlist with one gate's function changed so that some class score changes."""
    opt = optimize(raw, 2).netlist
    rng = np.random.default_rng(seed)
    for _ in range(200):
        bad = opt.copy()
        i = int(rng.integers(bad.num_gates))
        bad.ops[i] = (int(bad.ops[i]) + int(rng.integers(1, 16))) % 16
        if not same_scores_everywhere(raw, bad):
            return bad, i
    raise AssertionError("no score-changing alteration found")


@pytest.mark.parametrize("seed", range(3))
def test_altered_gate_gives_a_counterexample_the_simulator_confirms(seed):
    raw = layered(12, [40, 40, 18], 3, seed=seed)
    bad, gate = _altered(raw, seed)
    result = prove_equivalent(raw, bad, timeout_s=120, labels=("raw", "altered"))
    assert result.status == COUNTEREXAMPLE, f"gate {gate}: {result.summary()}"
    assert not result.proven
    x = result.counterexample_bits()
    assert x.shape == (1, raw.num_inputs)
    raw_scores, bad_scores = Simulator(raw).scores(x)[0], Simulator(bad).scores(x)[0]
    assert not np.array_equal(raw_scores, bad_scores)
    assert result.scores == {"raw": raw_scores.tolist(), "altered": bad_scores.tolist()}
    assert result.class_ids == {"raw": int(np.argmax(raw_scores)), "altered": int(np.argmax(bad_scores))}
    assert "COUNTEREXAMPLE" in result.summary() and str(raw_scores.tolist()) in result.summary()


def test_difference_in_the_last_output_only_is_found():
    """Regression: ABC's ``&cec -m`` checks only the first output of a miter; every miter here has one."""
    n = 6
    ops = [1] * 12
    a = [i % n for i in range(12)]
    b = [(i + 1) % n for i in range(12)]
    first = Netlist(n, 3, ops, a, b, np.arange(n, n + 12))
    last_changed = Netlist(n, 3, ops[:-1] + [7], a, b, np.arange(n, n + 12))
    result = prove_equivalent(first, last_changed, timeout_s=60)
    assert result.status == COUNTEREXAMPLE, result.summary()
    x = result.counterexample_bits()
    assert Simulator(first).scores(x)[0, 2] != Simulator(last_changed).scores(x)[0, 2]


def test_verdicts_match_exhaustive_simulation():
    """Mutations of all kinds on small nets: proven exactly when all 2^N inputs give equal scores."""
    rng = np.random.default_rng(2024)
    seen = set()
    for case in range(24):
        n, classes, k = int(rng.integers(3, 10)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        widths = [int(rng.integers(classes * k, 3 * classes * k + 4)) for _ in range(int(rng.integers(0, 3)))]
        raw = layered(n, widths + [classes * k], classes, seed=case)
        other = optimize(raw, 2).netlist if case % 3 else raw.copy()
        kind = ["none", "op", "wire", "swap", "output"][case % 5]
        if kind == "op" and other.num_gates:
            i = int(rng.integers(other.num_gates))
            other.ops[i] = int(rng.integers(16))
        elif kind == "wire" and other.num_gates:
            i = int(rng.integers(other.num_gates))
            other.a[i] = int(rng.integers(other.num_inputs + i))
        elif kind in ("swap", "output"):
            outputs = other.outputs.copy()
            i, j = rng.integers(len(outputs), size=2)
            if kind == "swap":
                outputs[[i, j]] = outputs[[j, i]]
            else:
                outputs[i] = int(rng.integers(other.num_signals))
            other.outputs = outputs
        truth = same_scores_everywhere(raw, other)
        result = prove_equivalent(raw, other, timeout_s=60)
        assert result.status == (PROVEN if truth else COUNTEREXAMPLE), f"case {case} ({kind}): {result.summary()}"
        if not truth:
            x = result.counterexample_bits()
            assert not np.array_equal(Simulator(raw).scores(x), Simulator(other).scores(x))
        seen.add(result.status)
    assert seen == {PROVEN, COUNTEREXAMPLE}


# ------------------------------------------------------------------------------------- time limits
def test_larger_network_proves_or_reports_the_time_limit():
    raw = layered(100, [1000, 1000], 10, seed=0)
    result = prove_equivalent(raw, optimize(raw, 2).netlist, timeout_s=120)
    assert result.status in (PROVEN, NOT_PROVEN)
    if result.status == NOT_PROVEN:
        assert "NOT PROVEN within 120 s" in result.summary() and "not a pass" in result.summary()
    assert result.seconds < 150


def test_time_limit_is_not_a_pass():
    raw = layered(40, [200, 200], 4, seed=1)
    result = prove_equivalent(raw, optimize(raw, 2).netlist, timeout_s=0.001)
    assert result.status == NOT_PROVEN and not result.proven
    assert result.summary().startswith("formal: NOT PROVEN within 0.001 s")
    assert "time limit" in result.reason
    assert any(s.outcome == "timeout" for s in result.steps)


# ---------------------------------------------------------------------------------------- errors
def test_missing_yosys_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no yosys, no yosys-abc
    raw = layered(4, [4], 2)
    with pytest.raises(ToolError, match=r"Debian package `yosys`") as info:
        prove_equivalent(raw, raw)
    assert str(info.value).startswith("yosys not found on PATH") and "\n" not in str(info.value)


def test_missing_abc_names_the_debian_package(monkeypatch, tmp_path):
    (tmp_path / "yosys").symlink_to(shutil.which("yosys"))  # Yosys without its ABC
    monkeypatch.setenv("PATH", str(tmp_path))
    raw = layered(4, [4], 2)
    with pytest.raises(ToolError, match=r"Debian package `yosys`") as info:
        prove_equivalent(raw, raw)
    assert str(info.value).startswith("yosys-abc not found on PATH") and "\n" not in str(info.value)


def test_different_interfaces_are_an_error():
    with pytest.raises(NetlistError, match="interfaces differ"):
        prove_equivalent(layered(6, [8], 2), layered(7, [8], 2))
