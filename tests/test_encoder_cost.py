"""Encoder cost: comparator gates and LUT6 against brute force and Yosys; the cheap thresholds."""

import json
import math

import numpy as np
import pytest

from lgn2hw.errors import ConfigError, ToolError
from lgn2hw.frontend.data.thresholds import THRESHOLD_KINDS, cheap_levels, threshold_encoding
from lgn2hw.ir.encoder_cost import comparator_gates, comparator_lut6, comparator_support, encoder_cost
from lgn2hw.ir.encoding import ThresholdEncoding, thermometer


def brute_force_support(t: int, bits: int) -> int:
    """Bits i of x such that flipping bit i changes x > t for some x (over all 2**bits values)."""
    xs = np.arange(1 << bits)
    return sum(bool(((xs > t) != ((xs ^ (1 << i)) > t)).any()) for i in range(bits))


def chain(t: int, bits: int):
    """The comparator as the module doc builds it: gt over the bits above t's trailing ones, from the
    lowest up (the first one a wire), OR where t has a 0 and AND where it has a 1. Returns
    (number of two-input gates, function of x)."""
    k = (t ^ (t + 1)).bit_length() - 1
    ops = [(t >> i) & 1 for i in range(k + 1, bits)]

    def f(x):
        gt = (x >> k) & 1
        for i, one in enumerate(ops, start=k + 1):
            gt = (((x >> i) & 1) & gt) if one else (((x >> i) & 1) | gt)
        return gt

    return len(ops), f


@pytest.mark.parametrize("bits", range(1, 9))
def test_comparator_cost_is_the_brute_force_minimum(bits):
    """support == brute-force support; gates == support - 1 is achieved (the chain computes x > t on every
    x) and no fewer two-input gates can read that many bits; LUT6 == ceil((support - 1) / 5)."""
    xs = np.arange(1 << bits)
    for t in range(-2, (1 << bits) + 1):
        support = comparator_support(t, bits)
        assert support == brute_force_support(t, bits), (bits, t)
        assert comparator_gates(t, bits) == max(0, support - 1)
        assert comparator_lut6(t, bits) == (0 if support <= 1 else math.ceil((support - 1) / 5))
        if 0 <= t < (1 << bits) - 1:
            gates, f = chain(t, bits)
            assert gates == comparator_gates(t, bits)
            assert all(f(int(x)) == int(x > t) for x in xs), (bits, t)


def test_the_documented_examples():
    assert [comparator_gates(t) for t in (127, 63, 191, 0, 254, 200)] == [0, 1, 1, 7, 7, 7]
    assert [comparator_lut6(t) for t in (127, 63, 31, 3, 1, 0)] == [0, 1, 1, 1, 2, 2]
    assert comparator_gates(127.9) == 0 and comparator_gates(-0.5) == 0 and comparator_gates(255) == 0


def test_encoder_cost_counts_live_bits_and_matches_the_demo_encoder():
    """Uniform, 3 thresholds on 784 pixels: 63, 127, 191 = 1 + 0 + 1 gates, 1 + 0 + 1 LUT6 per pixel;
    1,568 LUT6 is what Yosys counted for the demo's encoder alone (docs/synthesis.md)."""
    enc = thermometer(784, 3)
    cost = encoder_cost(enc)
    assert (cost.comparators, cost.wires, cost.gates, cost.lut6) == (2352, 784, 1568, 1568)
    assert encoder_cost(enc.to_json()) == cost
    live = np.zeros(2352, dtype=bool)
    live[784:1568] = True  # only level 1, the wire x > 127
    assert encoder_cost(enc, live=live).to_json() == {"comparators": 784, "wires": 784, "gates": 0, "lut6": 0}
    with pytest.raises(ValueError, match="live mask"):
        encoder_cost(enc, live=live[:10])


@pytest.mark.parametrize("t_count", range(1, 33))
def test_cheap_thresholds_are_distinct_spread_and_cost_what_the_rule_says(t_count):
    levels = cheap_levels(t_count)
    assert levels == sorted(set(levels)) and len(levels) == t_count and 0 <= levels[0] and levels[-1] < 255
    read = math.ceil(math.log2(t_count + 1))
    assert all(comparator_support(t) <= read for t in levels)
    uniform = thermometer(1, t_count).threshold.tolist()
    step = 1 << (8 - read)
    assert all(abs(c - u) <= step for c, u in zip(levels, uniform))  # within one grid step of uniform
    assert encoder_cost(ThresholdEncoding.from_levels(1, levels)).gates <= encoder_cost(thermometer(1, t_count)).gates
    if t_count + 1 == 1 << read:
        assert levels == uniform  # T + 1 a power of two: the kinds agree


def test_threshold_encoding_kinds_and_bad_input():
    assert set(THRESHOLD_KINDS) == {"uniform", "cheap"}
    assert threshold_encoding(10, 5, "uniform") == thermometer(10, 5)
    cheap = threshold_encoding(10, 5, "cheap")
    assert cheap.threshold.tolist() == np.repeat([31, 95, 127, 159, 223], 10).tolist()
    assert cheap.feature.tolist() == list(range(10)) * 5
    for bad in (0, 256):
        with pytest.raises(ConfigError):
            threshold_encoding(10, bad, "cheap")
    with pytest.raises(ConfigError, match="unknown threshold kind"):
        threshold_encoding(10, 3, "median")


def yosys_luts(tmp_path, thresholds) -> int:
    """$lut cells of Yosys 'synth -lut 6' for one 8-bit feature per threshold (nothing to share)."""
    from lgn2hw.toolchain.yosys import find_yosys

    try:
        yosys = find_yosys("this test")
    except ToolError as exc:
        pytest.skip(str(exc))
    n = len(thresholds)
    lines = [f"module enc(input [{8 * n - 1}:0] x, output [{n - 1}:0] y);"]
    for i, t in enumerate(thresholds):
        expr = "1'b1" if t < 0 else "1'b0" if t >= 255 else f"x[{8 * i} +: 8] > 8'd{t}"
        lines.append(f"  assign y[{i}] = {expr};")
    (tmp_path / "enc.v").write_text("\n".join(lines + ["endmodule"]) + "\n")
    run = yosys.run_commands("read_verilog enc.v; synth -top enc -lut 6; tee -q -o stat.json stat -json", cwd=tmp_path)
    assert run.returncode == 0, run.output
    return json.loads((tmp_path / "stat.json").read_text())["modules"]["\\enc"]["num_cells_by_type"].get("$lut", 0)


def test_lut6_estimate_against_yosys(tmp_path):
    """Comparators of <= 6 bits (every cheap threshold for T <= 63, constants, the wire 127): Yosys uses
    exactly the estimate. Wider ones: the estimate is the minimum, Yosys 0.23 uses 2 or 3 LUT6 each
    (docs/architectures.md: 549 vs 446 over all 255 thresholds)."""
    narrow = [t for t in range(-1, 256) if comparator_support(t) <= 6]
    assert len(narrow) == 65
    assert yosys_luts(tmp_path, narrow) == encoder_cost(ThresholdEncoding(np.arange(65), np.array(narrow))).lut6 == 62
    wide = [0, 2, 100, 150, 200, 254, 85, 170]
    estimate = encoder_cost(ThresholdEncoding(np.arange(len(wide)), np.array(wide))).lut6
    (tmp_path / "wide").mkdir()
    assert estimate == 2 * len(wide) <= yosys_luts(tmp_path / "wide", wide) <= 3 * len(wide)
