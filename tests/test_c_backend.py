"""The C back end: its gate expressions against the gate table, and every class score and class id of the
built library (batch and single-sample variants, raw-feature and packed-bit entry points, SIMD and plain
C code paths) against the netlist simulator, on random, boundary and test-set-like vectors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lgn2hw.backend.c.encode import ge_thresholds, plan_encode
from lgn2hw.backend.c.fuse import fused_expression, truth3, uses_y
from lgn2hw.backend.c.kernels import gate_word_kernels, truth_nibble, word_kernels
from lgn2hw.backend.c.lower import SINGLE_MAX_SIGNALS, lower
from lgn2hw.backend.c.print import render_sources
from lgn2hw.backend.c.schedule import plan_batch
from lgn2hw.errors import ConfigError, ToolError
from lgn2hw.flows.predict import build_c_library, load_c_library
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.gates import GATES
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.ir.synthetic import random_layered
from lgn2hw.toolchain.cc import find_cc

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")


def _cpu_has(flag: str) -> bool:
    try:
        return any(line.startswith("flags") and f" {flag}" in line for line in Path("/proc/cpuinfo").read_text().splitlines())
    except OSError:
        return False


# ------------------------------------------------------------------------------------ netlists
def _encoded(netlist: Netlist, encoding: ThresholdEncoding) -> Netlist:
    netlist.input_encoding = encoding.to_json()
    netlist.validate()
    return netlist


def thermometer_net(seed: int = 0) -> Netlist:
    """784 features x 3 thresholds, 3 layers: the shape of the demo model, smaller (all 16 ops)."""
    enc = ThresholdEncoding.thermometer(784, 3)
    return _encoded(random_layered(enc.num_bits, 3, [600, 500, 400], 10, seed=seed), enc)


def edge_net() -> Netlist:
    """What trained, optimized networks contain and random ones rarely do: copy chains, constant gates
    among the outputs (many times), repeated outputs, an input read directly as an output, and a
    hand-made encoding: a run of 30 consecutive features with one threshold (compared as a block),
    then features out of order and repeated, float thresholds, thresholds below 0 (bit
    always 1) and at or above 255 (never 1), 75 inputs (not a multiple of 8 or 64), 40 features (< 64)."""
    rng = np.random.default_rng(5)
    n = 75
    feature = rng.integers(0, 40, n)
    feature[:30] = np.arange(10, 40)  # one long consecutive run
    threshold = rng.integers(0, 255, n).astype(np.float64)
    threshold[:30] = 100.0  # the run compares 64 features at a time
    threshold[30:35] = [-1.0, -0.5, 255.0, 300.0, 127.5]
    threshold[35:40] += 0.25
    enc = ThresholdEncoding(feature, threshold)
    base = random_layered(n, 2, [90, 60], 3, seed=7, op_range=(1, 15))  # no constants but ours
    ops, a, b = list(base.ops), list(base.a), list(base.b)
    first = n + len(ops)
    ops += [3, 5, 3, 0, 15, 12]  # copy a; copy b of the copy; copy of that; FALSE; TRUE; NOT
    a += [n + 100, 0, first + 1, 1, 2, first + 2]
    b += [4, first, 9, 3, 4, 6]
    last = n + len(ops)
    k = 22
    outputs = []
    for c in range(3):
        group = list(rng.integers(n + 90, n + 150, k - 10))
        group += [first + 3] * 3 + [first + 4] * (2 + c) + [first + 2, first + 5, 7] + [group[0]] * (2 - c % 2)
        outputs += group[:k] + [first + 4] * (k - len(group[:k]))
    net = Netlist(n, 3, np.array(ops), np.array(a), np.array(b), np.array(outputs[: 3 * k]))
    assert last == net.num_signals
    return _encoded(net, enc)


def one_class_net() -> Netlist:
    """A single class of 16 outputs (the bit-sliced argmax has nothing to compare; the Harley-Seal loop
    runs exactly once)."""
    enc = ThresholdEncoding.thermometer(70, 1)
    return _encoded(random_layered(70, 2, [40, 16], 1, seed=3), enc)


def raw_vectors(encoding: ThresholdEncoding, count: int, seed: int) -> np.ndarray:
    """Uniform bytes, then samples whose features sit exactly on and next to the thresholds (where an
    off-by-one in the comparison shows), then test-set-like samples (mostly 0, a few blobs of 255)."""
    rng = np.random.default_rng(seed)
    f = encoding.num_features
    uniform = rng.integers(0, 256, (count, f), dtype=np.uint8)
    ge = ge_thresholds(encoding)
    edges = np.zeros((count, f), dtype=np.int64)
    for i in range(count):
        pick = rng.integers(0, encoding.num_bits, f)
        edges[i] = ge[pick] + rng.integers(-1, 1, f)
    edges = np.clip(edges, 0, 255).astype(np.uint8)
    sparse = (rng.random((count, f)) < 0.3) * rng.integers(100, 256, (count, f))
    return np.concatenate([uniform, edges, sparse.astype(np.uint8)])


# ----------------------------------------------------------------------------------- expressions
def test_word_kernels_compute_the_gate_table():
    for kernel in word_kernels():
        x, y = 0b1100, 0b1010
        value = eval(kernel.expr, {}, {"x": x, "y": y}) & 0xF  # noqa: S307 - the generator's own text
        assert "".join(str(value >> i & 1) for i in range(4)) == GATES[kernel.gate].truth_table, kernel
    for gate in GATES:
        kernel, swap = gate_word_kernels()[gate.id]
        for a in (0, 1):
            for b in (0, 1):
                x, y = (b, a) if swap else (a, b)
                assert eval(kernel.expr, {}, {"x": x, "y": y}) & 1 == gate.output(a, b), (gate.name, a, b)
        assert all((truth_nibble(gate.id) >> (2 * a + b)) & 1 == gate.output(a, b) for a in (0, 1) for b in (0, 1))


def test_fused_kernels_compose_the_two_gates():
    two_operand = [k for k in word_kernels() if uses_y(k)]
    for outer in two_operand:
        for inner in two_operand:
            for inner_is_x in (True, False):
                truth = truth3(fused_expression(outer, inner, inner_is_x))
                for x, y, z in itertools.product((0, 1), repeat=3):
                    mid = GATES[inner.gate].output(x, y)
                    want = GATES[outer.gate].output(mid, z) if inner_is_x else GATES[outer.gate].output(z, mid)
                    assert truth >> (4 * x + 2 * y + z) & 1 == want, (outer.name, inner.name, inner_is_x, x, y, z)


def test_fusion_folds_single_reader_gates_only():
    net = thermometer_net()
    fused, plain = plan_batch(net), plan_batch(net, fuse=False)
    assert plain.num_fused == 0 and fused.num_fused > 0
    assert fused.num_evaluated + fused.num_fused == plain.num_evaluated  # each pair replaces two entries
    assert all(g.kernel.arity == 3 for g in fused.groups if g.kernel.name.startswith("f"))


def test_batch_plan_reads_through_copies_and_folds_constants():
    net = edge_net()
    plan = plan_batch(net)
    assert plan.num_evaluated <= int(np.sum(~np.isin(net.ops, [3, 5])))  # copies are never evaluated
    assert all(g.kernel.name != "copy" for g in plan.groups)
    assert [c.offset for c in plan.counts] == [2, 3, 4]  # the TRUE gate's output bits per class
    k, false_gate = net.group_size, net.num_inputs + 90 + 60 + 3
    for count, group in zip(plan.counts, net.outputs.reshape(3, k)):
        # every output bit counted exactly once: weight-1 rows + weighted rows + TRUE bits + FALSE bits
        weight = len(count.rows) + sum(1 << bit for _, bit in count.weighted) + count.offset
        assert weight + int(np.sum(group == false_gate)) == k
    # classes 0 and 2 read their first signal three times or more: some row carries a weight >= 2
    assert plan.counts[0].weighted and plan.counts[2].weighted


def test_encode_pieces_cover_every_bit_once():
    enc = edge_net().input_encoding
    plan = plan_encode(ThresholdEncoding.from_json(enc))
    covered = np.zeros(plan.words * 64, dtype=int)
    for word in plan.wide:
        for p in word:
            mask = int(p.mask.removeprefix("UINT64_C(").removesuffix(")"), 16)
            for j in range(64):
                covered[p.word * 64 + p.shift + j] += mask >> j & 1
    for word in plan.narrow:
        for p in word:
            covered[p.word * 64 + p.shift: p.word * 64 + p.shift + p.length] += 1
    never = plan.bit_ge >= 256
    assert np.all(covered[: plan.num_bits][~never] == 1) and np.all(covered[: plan.num_bits][never] == 0)
    assert plan.pad_features == 64  # 40 features: the compare reads a padded copy


def test_sources_are_deterministic_and_the_single_variant_has_a_size_limit():
    net = thermometer_net()
    assert render_sources(lower(net)) == render_sources(lower(net.copy()))
    big = random_layered(100, 1, [SINGLE_MAX_SIGNALS], 5)
    with pytest.raises(ConfigError, match="single-sample C variant holds at most 65,535"):
        lower(big, "single")
    assert lower(big, "auto").single is None and lower(big, "auto").batch is not None


# ------------------------------------------------------------------------------ built libraries
def _require_cc():
    try:
        find_cc()
    except ToolError as exc:
        pytest.skip(f"no C compiler: {exc}")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LGN2HW_CACHE_DIR", str(tmp_path / "cache"))


def _assert_all_entry_points_exact(net: Netlist, flags: tuple[str, ...] | None, raw: np.ndarray, single_limit: int):
    library = load_c_library(net, build_c_library(net, "both", flags=flags))
    enc = ThresholdEncoding.from_json(net.input_encoding, net.num_inputs)
    bits = enc.encode(raw)
    expected = Simulator(net).scores(bits)
    ids = np.argmax(expected, axis=1)
    for entry in (library.predict_raw(raw), library.predict_bits(bits)):
        scores, classes = entry
        np.testing.assert_array_equal(scores, expected)
        np.testing.assert_array_equal(classes, ids)
    _, classes_only = library.predict_raw(raw, scores=False)
    np.testing.assert_array_equal(classes_only, ids)
    for count in (1, 63, 513):  # partial blocks
        scores, classes = library.predict_raw(raw[:count])
        np.testing.assert_array_equal(scores, expected[:count])
    for entry in (library.classify_raw(raw[:single_limit]), library.classify_bits(bits[:single_limit])):
        np.testing.assert_array_equal(entry[0], expected[:single_limit])
        np.testing.assert_array_equal(entry[1], ids[:single_limit])


def test_c_library_is_bit_exact_on_a_thermometer_network():
    _require_cc()
    net = thermometer_net()
    raw = raw_vectors(ThresholdEncoding.from_json(net.input_encoding), 400, seed=1)
    _assert_all_entry_points_exact(net, None, raw, single_limit=300)


def test_c_library_is_bit_exact_on_edge_cases():
    _require_cc()
    for net in (edge_net(), one_class_net()):
        raw = raw_vectors(ThresholdEncoding.from_json(net.input_encoding), 250, seed=2)
        _assert_all_entry_points_exact(net, None, raw, single_limit=750)


@pytest.mark.parametrize("flags", [
    ("-O2",),  # the SSE2 compare, vector types without AVX
    ("-O2", "-U__SSE2__", "-DLGN_NO_VECTOR_EXTENSIONS"),  # plain C99: byte loop, one word a row
    ("-O2", "-mavx2", "-mno-avx512f"),  # the AVX2 compare
], ids=["sse2", "plain-c", "avx2"])
def test_every_code_path_is_bit_exact(flags):
    _require_cc()
    if "-mavx2" in flags and not _cpu_has("avx2"):
        pytest.skip("this CPU has no AVX2")
    net = edge_net()
    raw = raw_vectors(ThresholdEncoding.from_json(net.input_encoding), 200, seed=3)
    _assert_all_entry_points_exact(net, flags, raw, single_limit=60)


def test_c_library_is_bit_exact_on_fashion_mnist_test_images():
    _require_cc()
    if not FASHION.is_file():
        pytest.skip("dataset-fashion-mnist is not installed")
    from lgn2hw.frontend.data.datasets import load_dataset

    net = thermometer_net(seed=4)
    raw = load_dataset("fashion-mnist", limit_test=2000).test_x
    _assert_all_entry_points_exact(net, None, raw, single_limit=200)
