"""The Xilinx carry-chain popcount (popcount="carry4"): its plan counts exactly, its LUT INITs are the
documented functions, the emitted RTL is bit-exact in Icarus with Yosys's models of LUT6_2 and CARRY4,
and synth_xilinx maps it to fewer LUTs than the 6:3 counter tree."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import numpy as np
import pytest

from lgn2hw.backend.verilog import emit_verilog, pipeline_latency, write_rtl
from lgn2hw.backend.verilog.carry_head import GROUP_BITS, carry_luts, lut_init, plan_counters
from lgn2hw.check.cosim import verify_rtl
from lgn2hw.toolchain.yosys import find_yosys
from test_popcount import _head_netlist


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")


def _cells_sim():
    _require("yosys")
    return find_yosys().share_file("xilinx/cells_sim.v")


def _lut(init: str, inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(O6, O5) of a LUT6_2 with ``init`` (64'hXXXX) on 0/1 arrays I0..I5, as UG953 defines them."""
    value = int(init.split("'h")[1], 16)
    table = np.array([value >> i & 1 for i in range(64)], dtype=np.int64)
    index = sum(x.astype(np.int64) << i for i, x in enumerate(inputs))
    return table[index], table[index & 31]


def _eval_plan(leaves: int, width: int, offset: int, values: np.ndarray) -> np.ndarray:
    """Evaluate the plan gate by gate: each counter's LUTs from their INIT strings and its CARRY4 from the
    carry rule (O = S ^ carry in, carry out = S ? carry in : DI), then the final two-row add."""
    names = [f"l{i}" for i in range(leaves)]
    stages, cols = plan_counters("t", names, width, offset)
    n = values.shape[0]
    env = {name: values[:, i].astype(np.int64) for i, name in enumerate(names)}
    env["1'b0"], env["1'b1"] = np.zeros(n, np.int64), np.ones(n, np.int64)
    for counter in (c for stage in stages for c in stage):
        group = [env[b] for b in counter.group] + [env["1'b0"]] * (GROUP_BITS - len(counter.group))
        carry = env[counter.cin]
        outs = []
        for j in range(counter.length):
            s, d = _lut(lut_init(len(counter.group), j), group + [env[counter.i5(j)]])
            outs.append(s ^ carry)
            carry = np.where(s == 1, carry, d)
        outs.append(carry)  # the unused position passes the carry out to O[length]
        for bit in range(counter.outputs):
            env[counter.output(bit)] = outs[bit]
    total = sum(env[b] << j for j, col in enumerate(cols) for b in col)
    return total & ((1 << width) - 1)


@pytest.mark.parametrize("leaves", [1, 2, 3, 5, 6, 7, 9, 12])
def test_plan_counts_exhaustively(leaves):
    width = leaves.bit_length()
    values = np.array(list(itertools.product((0, 1), repeat=leaves)), dtype=np.int64)
    assert np.array_equal(_eval_plan(leaves, width, 0, values), values.sum(axis=1))


@pytest.mark.parametrize("leaves,offset", [(40, 0), (100, 3), (400, 0), (1000, 17)])
def test_plan_counts_random_patterns_with_offsets(leaves, offset):
    width = (leaves + offset).bit_length()
    rng = np.random.default_rng(leaves)
    values = (rng.random((500, leaves)) < rng.random((500, 1))).astype(np.int64)
    values[0], values[1] = 0, 1
    assert np.array_equal(_eval_plan(leaves, width, offset, values), values.sum(axis=1) + offset)


def test_lut_init_is_the_count_in_two_redundant_digits():
    """Position 0: O5 = parity of the group, O6 = O5 ^ I5; position 1 (I5 tied to 1): O5 + O6 = the
    count's upper digit [c >= 2] + [c >= 4], so DI + (DI ^ S) over both positions is the count (+ I5)."""
    assert lut_init(5, 0) == "64'h6996966996696996"  # O5: parity of 5; O6: parity of 6
    ones = np.ones(1, np.int64)
    for size in range(GROUP_BITS + 1):
        for pattern in range(32):
            group = [ones * (pattern >> i & 1) for i in range(5)]
            count = bin(pattern & ((1 << size) - 1)).count("1")
            for extra in (0, 1):
                s0, d0 = _lut(lut_init(size, 0), group + [ones * extra])
                assert int(d0[0]) == count & 1 and int(s0[0]) == (count & 1) ^ extra
            s0, d0 = _lut(lut_init(size, 0), group + [ones * 0])
            s1, d1 = _lut(lut_init(size, 1), group + [ones])
            digits = int(d0[0]) + int(d0[0] ^ s0[0]) + 2 * (int(d1[0]) + int(d1[0] ^ s1[0]))
            assert digits == count, (size, pattern)
            assert int(d1[0]) == int(count >= 2) and int(s1[0]) == int(2 <= count < 4)


def test_counters_take_seven_bits_and_400_bits_cost_under_0p53_lut_per_bit():
    """Each first-stage counter takes 7 bits of column 0 (5 counted, 1 on I5, 1 on CYINIT) with two
    LUTs; short columns get full adders (one LUT). 400 bits: <= 0.53 LUT per bit in all."""
    stages, _ = plan_counters("t", [f"x{i}" for i in range(403)], 9)
    first = stages[0]
    assert len(first) == 58  # 57 counters of 7 bits, then a full adder over 3 of the last 4
    assert all(len(c.group) == GROUP_BITS and c.extra != "1'b0" and c.length == 2 for c in first[:-1])
    assert first[-1].length == 1 and len(first[-1].group) == 1
    assert carry_luts(400, 9) <= 0.53 * 400
    assert carry_luts(100, 7) <= 0.55 * 100


def test_carry4_rtl_is_bit_exact_in_icarus(tmp_path):
    """Every input pattern of a 3-class head (7 + 3 + 2 bits, offsets), then 600 random vectors of a
    3-class 40/37/9-bit head, combinational and pipelined, through Yosys's primitive models."""
    _require("iverilog")
    cells = _cells_sim()
    small = _head_netlist([7, 3, 2], [1, 3, 0])
    bits = np.array(list(itertools.product((0, 1), repeat=small.num_inputs)), dtype=np.uint8)
    paths = write_rtl(small, tmp_path / "small", popcount="carry4")
    assert "CARRY4" in paths[0].read_text() and "LUT6_2 #(.INIT(64'h" in paths[0].read_text()
    result = verify_rtl(small, [*paths, cells], bits, work_dir=tmp_path / "vs")
    assert result.passed, result.first_mismatches

    netlist = _head_netlist([40, 37, 9], [0, 2, 3])
    rng = np.random.default_rng(5)
    bits = (rng.random((600, netlist.num_inputs)) < rng.random((600, 1))).astype(np.uint8)
    bits[0], bits[1] = 0, 1
    for pipeline in (0, 2):
        paths = write_rtl(netlist, tmp_path / f"p{pipeline}", popcount="carry4", pipeline=pipeline)
        result = verify_rtl(netlist, [*paths, cells], bits, work_dir=tmp_path / f"v{pipeline}",
                            latency=pipeline_latency(netlist, pipeline))
        assert result.passed, (pipeline, result.first_mismatches)


def test_carry4_is_deterministic():
    netlist = _head_netlist([40, 37, 9], [0, 2, 3])
    assert emit_verilog(netlist, popcount="carry4") == emit_verilog(netlist, popcount="carry4")


def test_synth_xilinx_maps_carry4_to_fewer_luts_than_the_6_3_tree(tmp_path):
    """Yosys synth_xilinx (the xilinx flow) on one 200-bit group: the carry-chain counters keep their
    LUT6_2 (the plan's count exactly) and cost <= 0.6 LUT per bit, under half the 6:3 tree."""
    _require("yosys")
    k = 200
    luts = {}
    for kind in ("compressor", "carry4"):
        path = tmp_path / f"{kind}.v"
        path.write_text(emit_verilog(_head_netlist([k], [0]), module_name=kind, popcount=kind)[f"{kind}.v"])
        stat = tmp_path / f"{kind}.json"
        subprocess.run(["yosys", "-q", "-p", f"read_verilog {path}; synth_xilinx -flatten -nowidelut -noiopad "
                        f"-top {kind}; tee -q -o {stat} stat -json"], check=True, capture_output=True, timeout=600)
        cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
        luts[kind] = sum(int(v) for c, v in cells.items() if c.startswith("LUT"))
    assert luts["carry4"] == carry_luts(k, k.bit_length())
    assert luts["carry4"] <= 0.6 * k
    assert luts["carry4"] < 0.5 * luts["compressor"]


def test_missing_primitive_models_are_one_clear_error(tmp_path):
    from lgn2hw.errors import ToolError
    from lgn2hw.toolchain.yosys import Yosys

    fake = Yosys(str(tmp_path / "bin" / "yosys"), None, "Yosys 0.0")
    with pytest.raises(ToolError, match=r"xilinx/cells_sim.v not found beside .*apt-get install -y yosys"):
        fake.share_file("xilinx/cells_sim.v")
