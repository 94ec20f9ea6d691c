"""RTL verification with cocotb on Icarus: bit-exact passes, real mismatches, X/Z, tool failures."""

from __future__ import annotations

import itertools
import json
import re
import shutil

import numpy as np
import pytest

from lgn2hw.emit.verilog import write_rtl
from lgn2hw.errors import ConfigError, DataError, ToolError
from lgn2hw.gates import FALSE, TRUE, compose_id
from lgn2hw.netlist import Netlist
from lgn2hw.simulate import Simulator
from lgn2hw.verify import VerifyResult, low_switching_order, verify_rtl
from test_emit import random_netlist

pytestmark = pytest.mark.skipif(
    shutil.which("iverilog") is None or shutil.which("vvp") is None, reason="Icarus Verilog not installed"
)


def exhaustive(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8)[:, ::-1]


def expected_classes(netlist: Netlist, bits: np.ndarray) -> np.ndarray:
    return np.argmax(Simulator(netlist).scores(bits), axis=1)


@pytest.fixture(scope="module")
def small():
    """8 inputs, 3 classes, constant/repeated/input outputs; all 256 input vectors."""
    netlist = random_netlist(21, num_inputs=8, widths=(20, 20, 18), num_classes=3)
    return netlist, exhaustive(8)


def test_small_netlist_is_bit_exact_on_every_input(tmp_path, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path / "rtl")
    result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work")
    assert isinstance(result, VerifyResult)
    assert result.passed and result.mismatches == 0 and result.vectors == 256, result.first_mismatches
    assert result.simulator == "icarus" and result.seconds > 0 and result.sim_seconds > 0
    assert re.fullmatch(r"bit-exact: 256/256 vectors \(icarus, \d+\.\d s, \d+ vectors/s\)", result.summary())
    doc = json.loads(result.to_json())
    assert doc["vectors"] == 256 and doc["mismatches"] == 0 and doc["passed"] is True


def test_argmax_ties_resolve_to_the_lowest_class(tmp_path):
    # Class c counts input bits; with 4 classes of 2 bits each every vector has ties, and classes 0 and
    # 3 read the same bits, so class 3 can only ever tie with class 0 and must never win.
    outputs = np.array([0, 1, 2, 3, 4, 5, 0, 1])
    netlist = Netlist(6, 4, np.array([6]), np.array([0]), np.array([1]), outputs)
    bits = exhaustive(6)
    scores = Simulator(netlist).scores(bits)
    top = scores.max(axis=1, keepdims=True)
    assert ((scores == top).sum(axis=1) > 1).mean() > 0.5  # the stimulus really is full of ties
    assert 3 not in expected_classes(netlist, bits)
    result = verify_rtl(netlist, write_rtl(netlist, tmp_path), bits, work_dir=tmp_path / "work")
    assert result.passed and result.vectors == 64


@pytest.mark.parametrize(
    "netlist",
    [
        Netlist(3, 1, np.array([6]), np.array([0]), np.array([1]), np.array([3])),  # 1-bit scores and class_id
        Netlist(3, 2, np.array([6, 1]), np.array([0, 1]), np.array([1, 2]), np.array([3, 2, 4, 0])),  # 1-bit class_id
        Netlist(2, 2, np.array([TRUE, FALSE]), np.array([0, 0]), np.array([0, 0]), np.array([2, 3, 3, 2])),  # constant
    ],
    ids=["one_class_one_bit", "two_classes", "all_constant"],
)
def test_one_bit_ports_and_constant_scores(tmp_path, netlist):
    bits = exhaustive(netlist.num_inputs)
    result = verify_rtl(netlist, write_rtl(netlist, tmp_path), bits, work_dir=tmp_path / "work")
    assert result.passed and result.vectors == len(bits), result.first_mismatches


def test_thousands_of_gates_several_classes_random_vectors(tmp_path):
    netlist = random_netlist(22, num_inputs=64, widths=(1200, 1200, 1000), num_classes=5, constants=6, from_inputs=5, repeats=5)
    assert netlist.num_gates > 3000
    outs = netlist.outputs
    n = netlist.num_inputs
    assert (outs < n).any() and len(set(outs.tolist())) < len(outs)
    assert any(netlist.ops[s - n] in (TRUE, FALSE) for s in outs if s >= n)
    bits = np.random.default_rng(5).integers(0, 2, (300, netlist.num_inputs), dtype=np.uint8)
    result = verify_rtl(netlist, write_rtl(netlist, tmp_path), bits, work_dir=tmp_path / "work")
    assert result.passed and result.vectors == 300, result.first_mismatches


def _break_one_output_gate(netlist: Netlist, text: str) -> tuple[str, Netlist]:
    """Invert the expression of one output gate in the RTL text, and the same gate in a netlist copy."""
    n = netlist.num_inputs
    for s in netlist.outputs.tolist():
        if s >= n and netlist.ops[s - n] not in (TRUE, FALSE):
            i = s - n
            break
    pattern = re.compile(rf"^(\s*assign g{i} = )(.*);$", re.M)
    assert pattern.search(text)
    broken_text = pattern.sub(lambda m: f"{m.group(1)}~({m.group(2)});", text, count=1)
    ops = netlist.ops.copy()
    ops[i] = compose_id(int(ops[i]), invert_out=True)
    return broken_text, netlist.copy(ops=ops)


def test_broken_rtl_is_reported_with_the_first_failing_vector(tmp_path, small):
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    broken_text, broken_netlist = _break_one_output_gate(netlist, path.read_text())
    path.write_text(broken_text)

    good = Simulator(netlist).scores(bits)
    bad = Simulator(broken_netlist).scores(bits)
    differ = (good != bad).any(axis=1) | (np.argmax(good, 1) != np.argmax(bad, 1))
    assert differ.any()

    result = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "work", max_report=3)
    assert not result.passed
    assert result.mismatches == int(differ.sum())
    first = result.first_mismatches[0]
    i = int(np.flatnonzero(differ)[0])
    assert first["vector"] == i
    assert int(first["input_hex"], 16) == int("".join(str(b) for b in bits[i][::-1]), 2)
    assert first["expected_scores"] == good[i].tolist()
    assert first["actual_scores"] == bad[i].tolist()
    assert first["expected_class"] == int(np.argmax(good[i]))
    assert first["actual_class"] == int(np.argmax(bad[i]))
    assert len(result.first_mismatches) == min(3, result.mismatches)
    assert result.summary().startswith(f"MISMATCH: {result.mismatches}/256 vectors differ, first at vector {i}")


def test_wrong_expected_scores_are_mismatches(tmp_path, small):
    netlist, bits = small
    bits = bits[:20]
    scores = Simulator(netlist).scores(bits)
    scores[7, 1] += 1
    result = verify_rtl(netlist, write_rtl(netlist, tmp_path), bits, work_dir=tmp_path / "w", expected_scores=scores)
    assert result.mismatches == 1 and result.first_mismatches[0]["vector"] == 7


def test_undriven_output_bit_is_a_mismatch_not_a_crash(tmp_path, small):
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    n = netlist.num_inputs
    i = next(s - n for s in netlist.outputs.tolist() if s >= n and netlist.ops[s - n] not in (TRUE, FALSE))
    text = re.sub(rf"^\s*assign g{i} = .*;\n", "", path.read_text(), count=1, flags=re.M)
    path.write_text(text)  # g{i} is now an undriven (Z) wire: its class score becomes X
    result = verify_rtl(netlist, [path], bits[:10], work_dir=tmp_path / "work")
    assert result.mismatches == 10
    actual = result.first_mismatches[0]["actual_scores"]
    assert any(isinstance(v, str) and re.search("[xXzZ]", v) for v in actual), actual


# ------------------------------------------------------------------------------------ failures
def test_missing_simulator_names_the_debian_package(tmp_path, monkeypatch, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolError, match="iverilog"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work")


def test_compile_error_is_a_tool_error(tmp_path, small):
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    path.write_text(path.read_text().replace("endmodule", "assign oops = ;\nendmodule"))
    with pytest.raises(ToolError, match="compiling"):
        verify_rtl(netlist, [path], bits[:4], work_dir=tmp_path / "work")


def test_wrong_top_module_is_a_tool_error(tmp_path, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    with pytest.raises(ToolError):
        verify_rtl(netlist, rtl, bits[:4], work_dir=tmp_path / "work", module_name="not_there")


def test_timeout_is_a_tool_error_and_leaves_no_result(tmp_path, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    with pytest.raises(ToolError, match="timed out"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", timeout_s=0.05)
    assert not (tmp_path / "work" / "tb_result.json").exists()


def test_port_width_mismatch_is_a_tool_error(tmp_path, small):
    netlist, bits = small
    other = random_netlist(23, num_inputs=9, widths=(20, 20, 18), num_classes=3)
    rtl = write_rtl(other, tmp_path)  # RTL with 9 inputs checked against an 8-input netlist
    with pytest.raises(ToolError):
        verify_rtl(netlist, rtl, bits[:4], work_dir=tmp_path / "work")


def test_bad_arguments(tmp_path, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    with pytest.raises(ConfigError, match="simulator"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "w", simulator="modelsim")
    with pytest.raises(DataError, match="shape"):
        verify_rtl(netlist, rtl, bits[:, :5], work_dir=tmp_path / "w")
    with pytest.raises(DataError, match="no input vectors"):
        verify_rtl(netlist, rtl, bits[:0], work_dir=tmp_path / "w")
    with pytest.raises(DataError, match="0 or 1"):
        verify_rtl(netlist, rtl, bits * 2, work_dir=tmp_path / "w")
    with pytest.raises(DataError, match="no such RTL"):
        verify_rtl(netlist, [tmp_path / "missing.v"], bits, work_dir=tmp_path / "w")


# ------------------------------------------------------------------------------------ stimulus order
def test_low_switching_order_is_a_permutation_that_cuts_toggles():
    rng = np.random.default_rng(7)
    centres = rng.integers(0, 2, (8, 100), dtype=np.uint8)
    noise = (rng.random((600, 100)) < 0.05).astype(np.uint8)
    bits = centres[rng.integers(0, 8, 600)] ^ noise  # clustered, shuffled: like real images
    for block in (64, 4096):
        order = low_switching_order(bits, block=block)
        assert sorted(order.tolist()) == list(range(600))
        before = (bits[1:] != bits[:-1]).sum(axis=1).mean()
        after = (bits[order][1:] != bits[order][:-1]).sum(axis=1).mean()
        assert after < before / 2
    assert low_switching_order(bits[:1]).tolist() == [0]


def test_results_do_not_depend_on_the_drive_order(tmp_path, small):
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    broken_text, _ = _break_one_output_gate(netlist, path.read_text())
    path.write_text(broken_text)
    runs = [
        verify_rtl(netlist, [path], bits, work_dir=tmp_path / f"w{flag}", reorder=flag, max_report=5)
        for flag in (True, False)
    ]
    assert runs[0].mismatches == runs[1].mismatches > 0
    assert runs[0].first_mismatches == runs[1].first_mismatches
    assert [m["vector"] for m in runs[0].first_mismatches] == sorted(m["vector"] for m in runs[0].first_mismatches)
