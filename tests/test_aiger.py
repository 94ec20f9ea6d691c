"""The AIGER back end (``lgn2hw export --target aiger``): the AIG read back and simulated against the
netlist simulator on every score and class_id bit, the binary format against the AIGER spec, Yosys's
proof against the compiled Verilog (combinational, pipelined, raw-input, scores only), ABC reading and
optimizing it, and the export folder's rules (manifest, determinism, one-line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_one_line_error, invoke, layered, random_gates

from lgn2hw.backend.aiger import aiger_bytes, export_aiger, lower, plan_aiger
from lgn2hw.backend.aiger.graph import Aig
from lgn2hw.backend.aiger.lower import AigModel, gate_literal
from lgn2hw.check.aiger import prove_aiger, simulate_aiger
from lgn2hw.errors import NetlistError, VerificationError
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.aiger import read_aiger
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.gates import GATES
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import expected_outputs
from lgn2hw.ir.synthetic import random_layered
from lgn2hw.toolchain.yosys import find_yosys

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")


def _decode(out: np.ndarray, c: int, w: int, k: int) -> tuple[np.ndarray, np.ndarray | None]:
    """AIG output bits -> (scores (samples, c), class ids or None)."""
    out = out.astype(np.int64)
    scores = np.stack([(out[:, i * w : (i + 1) * w] << np.arange(w)).sum(1) for i in range(c)], axis=1)
    ids = (out[:, c * w : c * w + k] << np.arange(k)).sum(1) if out.shape[1] > c * w else None
    return scores, ids


def _assert_bit_exact(net: Netlist, bits: np.ndarray, outputs: str = "all", inputs: np.ndarray | None = None,
                      raw_bits: int = 0) -> None:
    model = lower(net, raw_bits, outputs)
    aig = read_aiger(aiger_bytes(model))
    got = aig.simulate(bits if inputs is None else inputs)
    scores, ids = _decode(got, model.num_classes, model.score_width, model.id_width)
    want_scores, want_ids = expected_outputs(net, bits)
    np.testing.assert_array_equal(scores, want_scores)
    if outputs == "all":
        np.testing.assert_array_equal(ids, want_ids)
    else:
        assert ids is None and got.shape[1] == model.num_classes * model.score_width


# ------------------------------------------------------------------------------- lowering + simulation
def test_every_gate_is_its_truth_table_in_at_most_three_ands():
    for gate in GATES:
        aig = Aig(2)
        lit = gate_literal(aig, gate.id, aig.input(0), aig.input(1))
        ands, (out,) = aig.compact([lit])
        model = AigModel(2, tuple(ands), (out,), ("in_bits[0]", "in_bits[1]"), ("scores[0]",), (), 1, 1, 1, 0)
        values = read_aiger(aiger_bytes(model)).simulate(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
        assert "".join(str(v) for v in values[:, 0]) == gate.truth_table, gate.name
        expected_ands = 0 if not (gate.uses_a and gate.uses_b) else (3 if gate.name in ("xor", "xnor") else 1)
        assert len(ands) == expected_ands, gate.name


def test_adders_cost_seven_and_three_ands():
    aig = Aig(3)
    x, y, z = (aig.input(i) for i in range(3))
    ands, outs = aig.compact(list(aig.full_adder(x, y, z)))
    assert len(ands) == 7
    model = AigModel(3, tuple(ands), tuple(outs), ("a", "b", "c"), ("sum", "carry"), (), 1, 1, 1, 0)
    inputs = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=np.uint8)
    got = read_aiger(aiger_bytes(model)).simulate(inputs)
    np.testing.assert_array_equal(got[:, 0] + 2 * got[:, 1], inputs.sum(1))
    aig = Aig(2)
    assert len(aig.compact(list(aig.half_adder(aig.input(0), aig.input(1))))[0]) == 3


@pytest.mark.parametrize("net", [
    random_gates(0, 16, (30, 24), 4),
    random_gates(1, 40, (60, 60, 30), 3),
    layered(20, [40, 30], 3, seed=1),  # all 16 ops, constant gates among the outputs
    layered(12, [10, 7], 7, seed=2),  # 7 classes of 1 output: odd argmax tree
    layered(9, [8, 5], 1, seed=4),  # one class: class_id is the constant 0
    random_layered(64, 3, [500, 500, 400], 10, seed=3),  # demo-shaped, smaller
], ids=["4x6", "3x10", "constants", "7x1", "1class", "10x40"])
def test_aig_is_bit_exact_with_the_simulator_on_random_vectors(net):
    bits = np.random.default_rng(7).integers(0, 2, (3000, net.num_inputs), dtype=np.uint8)
    _assert_bit_exact(net, bits)
    _assert_bit_exact(net, bits[:500], outputs="scores")


def test_ties_go_to_the_lowest_class():
    """Outputs that are copies of the same input make every class score equal on many vectors."""
    net = Netlist(3, 4, np.array([3, 3, 5, 5]), np.array([0, 1, 0, 2]), np.array([0, 1, 1, 2]),
                  np.array([3, 4, 5, 6, 3, 4, 5, 6]))
    bits = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=np.uint8)
    _assert_bit_exact(net, bits)


def _thermometer(seed: int, features: int, widths, classes: int) -> Netlist:
    enc = ThresholdEncoding.thermometer(features, 3)
    net = random_layered(enc.num_bits, len(widths), list(widths), classes, seed=seed)
    doc = enc.to_json()
    doc["threshold"][0], doc["threshold"][1], doc["threshold"][2] = -4, 255, 127.5  # constant 1, constant 0, fraction
    net.input_encoding = doc
    net.validate()
    return net


def _raw_inputs(features: np.ndarray, raw_bits: int) -> np.ndarray:
    return ((features.astype(np.int64)[:, :, None] >> np.arange(raw_bits)) & 1).reshape(features.shape[0], -1)


def test_raw_input_aig_includes_the_comparators_bit_exact_at_threshold_edges():
    net = _thermometer(5, 30, (120, 80), 4)
    enc = ThresholdEncoding.from_json(net.input_encoding)
    rng = np.random.default_rng(1)
    uniform = rng.integers(0, 256, (1000, enc.num_features))
    picks = np.floor(enc.threshold[rng.integers(0, enc.num_bits, (1000, enc.num_features))]).astype(np.int64)
    edges = np.clip(picks + rng.integers(-1, 2, picks.shape), 0, 255)  # on and beside every threshold
    features = np.concatenate([uniform, edges]).astype(np.uint8)
    _assert_bit_exact(net, enc.encode(features), inputs=_raw_inputs(features, 8), raw_bits=8)


def test_raw_input_aig_is_bit_exact_on_fashion_mnist_test_images():
    if not FASHION.is_file():
        pytest.skip("dataset-fashion-mnist is not installed")
    from lgn2hw.frontend.data.datasets import load_dataset

    net = _thermometer(4, 784, (600, 500, 400), 10)
    images = load_dataset("fashion-mnist", limit_test=2000).test_x.reshape(2000, -1)
    enc = ThresholdEncoding.from_json(net.input_encoding)
    _assert_bit_exact(net, enc.encode(images), inputs=_raw_inputs(images, 8), raw_bits=8)


# ------------------------------------------------------------------------------------ binary format
def test_binary_format_follows_the_aiger_spec_byte_for_byte():
    """in_bits[0] & in_bits[1], one class of one output: header, outputs, delta-coded AND, symbols, comments."""
    net = Netlist(2, 1, np.array([1]), np.array([0]), np.array([1]), np.array([2]))
    data = aiger_bytes(lower(net))
    head = (b"aig 3 2 0 2 1\n" b"6\n0\n" b"\x02\x02"
            b"i0 in_bits[0]\ni1 in_bits[1]\no0 scores[0]\no1 class_id[0]\nc\n")
    assert data.startswith(head)
    comments = data[len(head):].decode().splitlines()
    assert comments[0].startswith("Generated by lgn2hw") and f"netlist sha256: {net.sha256()}" in comments


def test_large_deltas_use_several_bytes_and_the_output_is_deterministic():
    net = random_layered(200, 2, [300, 200], 5, seed=9)
    model = lower(net)
    data = aiger_bytes(model)
    assert data == aiger_bytes(lower(net))
    m, i, latches, o, a = (int(x) for x in data.split(b"\n", 1)[0].split()[1:])
    assert (latches, i, o, m) == (0, 200, 5 * model.score_width + model.id_width, i + a)
    back = read_aiger(data)
    assert back.num_ands == a and np.all(back.ands[:, 0] > back.ands[:, 1]) and np.all(back.ands[:, 1] >= back.ands[:, 2])
    assert (back.ands[:, 0] - back.ands[:, 1] >= 128).any()  # some delta needs two bytes
    assert back.input_names[199] == "in_bits[199]" and back.output_names[o - 1] == f"class_id[{model.id_width - 1}]"
    with pytest.raises(NetlistError, match="latches"):
        read_aiger(b"aig 1 0 1 0 0\n2\n")


# ------------------------------------------------------------------------ compiled builds + Yosys
def _compile(root: Path, name: str, net: Netlist, **options) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    net.save(root / f"{name}.json")
    compile_source(root / f"{name}.json", root / name, opt_level=0, check_vectors=None, **options)
    return root / name


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("aiger_builds")
    tiny = random_gates(0, 16, (30, 24), 4)
    return {
        "comb": _compile(root, "comb", tiny),
        "piped": _compile(root, "piped", layered(20, [40, 30], 3, seed=1), pipeline=1),
        "raw": _compile(root, "raw", _thermometer(2, 6, (30, 24), 3), raw_inputs=True, raw_bits=8),
    }


@pytest.mark.parametrize("build,outputs", [("comb", "all"), ("comb", "scores"), ("piped", "all"), ("raw", "all")])
def test_yosys_proves_the_aig_equal_to_the_verilog(builds, tmp_path, build, outputs):
    export = plan_aiger(builds[build], tmp_path / "out", outputs)
    assert simulate_aiger(export, 2000) == 2000
    reference, tool, seconds = prove_aiger(export, seconds=120)
    assert tool.startswith("Yosys") and seconds < 120
    assert ("compiled directory" in reference) == (build != "piped")


def test_the_proof_catches_a_wrong_aig(builds, tmp_path):
    export = plan_aiger(builds["comb"], tmp_path / "out")
    data = bytearray(export.data)
    line_end = data.index(b"\n", data.index(b"\n") + 1)  # the first output literal's line
    first = int(data[data.index(b"\n") + 1 : line_end])
    flipped = str(first ^ 1).encode()
    assert len(flipped) == line_end - data.index(b"\n") - 1
    data[data.index(b"\n") + 1 : line_end] = flipped
    export.data = bytes(data)
    with pytest.raises(VerificationError, match="scores"):
        simulate_aiger(export, 500)
    with pytest.raises(VerificationError, match="NOT equivalent"):
        prove_aiger(export, seconds=120)


def test_abc_optimizes_it_and_the_result_is_still_exact(builds, tmp_path):
    yosys = find_yosys("this test", need_abc=True)
    export = export_aiger(builds["raw"], tmp_path / "out")
    run = yosys.run_abc("read model.aig; strash; print_stats; dc2; print_stats; write_aiger -s out.aig; "
                        "cec model.aig out.aig", cwd=tmp_path / "out")
    assert run.returncode == 0 and "Networks are equivalent" in run.output, run.output
    ands = [int(x) for x in __import__("re").findall(r"and\s*=\s*(\d+)", run.output)]
    assert ands[0] == export.info()["ands"] and ands[1] <= ands[0]
    before, after = read_aiger(export.data), read_aiger((tmp_path / "out" / "out.aig").read_bytes())
    assert after.output_names == before.output_names
    inputs = np.random.default_rng(0).integers(0, 2, (1000, before.num_inputs), dtype=np.uint8)
    np.testing.assert_array_equal(after.simulate(inputs), before.simulate(inputs))


# ------------------------------------------------------------------------------------------- CLI
def test_cli_writes_the_folder_and_checks(builds, tmp_path):
    out = tmp_path / "aig"
    result = invoke("export", builds["comb"], "--target", "aiger", "--check", "--vectors", 1000, "-o", out)
    assert result.exit_code == 0, result.output
    assert "export aiger:" in result.output and "1,000 random vectors bit-exact" in result.output
    assert "proven equivalent to lgn_top.v of the compiled directory" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [".lgn2hw.json", "README.md", "aiger.json", "model.aig"]
    info = json.loads((out / "aiger.json").read_text())
    assert info["ands"] == read_aiger((out / "model.aig").read_bytes()).num_ands and info["latches"] == 0
    assert "abc -c" in (out / "README.md").read_text() and "read_aiger" in (out / "README.md").read_text()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = invoke("export", builds["comb"], "--target", "aiger", "-o", out)  # its own folder: replaced
    assert again.exit_code == 0, again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # byte-identical
    piped = invoke("export", builds["piped"], "--target", "aiger", "--aiger-outputs", "scores", "-o", tmp_path / "p")
    assert piped.exit_code == 0 and "latency is not represented" in piped.output, piped.output
    assert "scores only" in piped.output


def test_cli_bad_input_is_one_error_line_and_writes_nothing(builds, tmp_path):
    comb = builds["comb"]
    assert_one_line_error(invoke("export", tmp_path / "missing", "--target", "aiger", "-o", tmp_path / "x"),
                          "no such directory")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert_one_line_error(invoke("export", comb, "--target", "aiger", "-o", foreign), "not written by lgn2hw")
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    for args, needle in ((["--part", "x"], "--part"), (["--clock-mhz", 50], "--clock-mhz"),
                         (["--c-variant", "single"], "--c-variant"), (["--vectors", 5], "--vectors"),
                         (["--check-seconds", 5], "--check-seconds")):
        assert_one_line_error(invoke("export", comb, "--target", "aiger", *args, "-o", tmp_path / "y"), needle)
    for args in (["--check"], ["--aiger-outputs", "scores"]):
        assert_one_line_error(invoke("export", comb, "--target", "c", *args, "-o", tmp_path / "z"), args[0])
    assert_one_line_error(invoke("export", comb, "--target", "aiger", "-o", comb), "would replace the compiled")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
