"""Step B's sum check (lgn2hw.check.formal.sums) on small Yosys netlists: what it reads as an exact sum,
and the adders it must refuse (a refused netlist goes to the BDD engine, never to a wrong proof)."""

from __future__ import annotations

import re
import shutil

import pytest

from lgn2hw.check.formal.plan import Leaf
from lgn2hw.check.formal.sums import NotLinear, linear_scores
from lgn2hw.toolchain.yosys import find_yosys

pytestmark = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys (Debian package) not installed")


def write_json(directory) -> None:
    """Yosys's word-level netlist of ``directory/m.v`` as ``directory/m.json``."""
    done = find_yosys("the sum-check tests").run_commands("read_verilog m.v; write_json m.json", cwd=directory)
    assert done.returncode == 0, done.output


def test_cut_wires_take_the_values_of_their_cut_class(tmp_path):
    """A cut wire is a free variable ``v[i]``, an input bit (the same variable as that bit read directly)
    or a constant, as the plan's cut classes say."""
    (tmp_path / "m.v").write_text(
        "module m(input wire [1:0] in_bits, input wire g0, input wire g1, input wire g2, output wire [2:0] score0);\n"
        "    assign score0 = {2'b0, g0} + {2'b0, g1} + {2'b0, g2} + {2'b0, in_bits[1]};\n"
        "endmodule\n"
    )
    write_json(tmp_path)
    cut = {"m": {"g0": Leaf("var", 0), "g1": Leaf("in", 1), "g2": Leaf("const", 1)}}
    assert linear_scores(tmp_path / "m.json", ["m"], cut, 1) == {"m": [(1, {"v[0]": 1, "in_bits[1]": 2})]}
    with pytest.raises(NotLinear, match="unexpected cut value"):
        linear_scores(tmp_path / "m.json", ["m"], {"m": {"g0": Leaf("wire", "g7")}}, 1)


def test_linear_scores_refuses_a_sum_that_can_wrap(tmp_path):
    """Step B only trusts an adder whose maximum fits its width; a 2-bit sum of four bits can wrap."""
    (tmp_path / "m.v").write_text(
        "module m(input wire [3:0] in_bits, output wire [1:0] score0);\n"
        "    assign score0 = {1'b0, in_bits[0]} + {1'b0, in_bits[1]} + {1'b0, in_bits[2]} + {1'b0, in_bits[3]};\n"
        "endmodule\n"
        "module ok(input wire [2:0] in_bits, output wire [1:0] score0);\n"
        "    assign score0 = {1'b0, in_bits[0]} + {1'b0, in_bits[1]};\n"
        "endmodule\n"
    )
    write_json(tmp_path)
    found = linear_scores(tmp_path / "m.json", ["ok"], {}, 1)
    assert found["ok"] == [(0, {"in_bits[0]": 1, "in_bits[1]": 1})]
    with pytest.raises(NotLinear, match="overflow"):
        linear_scores(tmp_path / "m.json", ["m"], {}, 1)


def test_linear_scores_reads_counter_bits_only_at_their_weights(tmp_path):
    """A 6:3 counter's bits may go to different consumers; only whole, correctly weighted use is a sum."""
    counter = "    wire [2:0] c = " + " + ".join(f"{{2'b0, in_bits[{i}]}}" for i in range(6)) + ";\n"
    (tmp_path / "m.v").write_text(
        "module split(input wire [6:0] in_bits, output wire [3:0] score0);\n" + counter +
        "    wire [1:0] t = ({1'b0, c[0]} + {1'b0, in_bits[6]}) | 2'b0;\n"
        "    assign score0 = {1'b0, c[2], c[1], 1'b0} + {2'b0, t};\n"
        "endmodule\n"
        "module swapped(input wire [6:0] in_bits, output wire [2:0] score0);\n" + counter +
        "    assign score0 = {c[1], c[2], c[0]};\n"
        "endmodule\n"
        "module partial(input wire [6:0] in_bits, output wire [2:0] score0);\n" + counter +
        "    assign score0 = {1'b0, c[1], c[0]};\n"
        "endmodule\n"
    )
    write_json(tmp_path)
    found = linear_scores(tmp_path / "m.json", ["split"], {}, 1)
    assert found["split"] == [(0, {f"in_bits[{i}]": 1 for i in range(7)})]
    for module in ("swapped", "partial"):
        with pytest.raises(NotLinear, match="not a weighted sum"):
            linear_scores(tmp_path / "m.json", [module], {}, 1)


def test_linear_scores_drops_a_carry_only_where_the_score_drops_it(tmp_path):
    """A 1-bit sum (a + b wraps) read at weight 2: its lost carry weighs 4. In a 2-bit score that carry
    is dropped by the score too, but the score itself can then wrap (refused); in a 3-bit score the
    carry would count (refused)."""
    (tmp_path / "m.v").write_text(
        "module two(input wire [1:0] in_bits, output wire [1:0] score0);\n"
        "    wire c = in_bits[0] + in_bits[1];\n"
        "    assign score0 = {c, 1'b0};\n"
        "endmodule\n"
        "module three(input wire [1:0] in_bits, output wire [2:0] score0);\n"
        "    wire c = in_bits[0] + in_bits[1];\n"
        "    assign score0 = {1'b0, c, 1'b0};\n"
        "endmodule\n"
    )
    write_json(tmp_path)
    with pytest.raises(NotLinear, match="score can overflow its 2 bits"):
        linear_scores(tmp_path / "m.json", ["two"], {}, 1)
    with pytest.raises(NotLinear, match="can overflow its 1 bits"):
        linear_scores(tmp_path / "m.json", ["three"], {}, 1)


def _primitive_head_module(popcount: str, bits: int, offset: int = 0) -> str:
    """A module ``c`` whose score0 is the popcount="carry4" or "ccu2c" head of in_bits (+ offset), with
    Yosys's models of the primitives beside it (what the proof reads)."""
    from lgn2hw.backend.verilog import carry_head, ccu2c_head
    from lgn2hw.backend.verilog.heads import two_row_sum
    from lgn2hw.backend.verilog.primitives import primitive_models

    head, family = (carry_head, "xilinx") if popcount == "carry4" else (ccu2c_head, "ecp5")
    width = (bits + offset).bit_length()
    nets, instances, cols = head.primitive_tree("p", [f"in_bits[{i}]" for i in range(bits)], width, offset)
    body = "".join(f"    {n.text}\n" for n in nets) + "".join(line + "\n" for i in instances for line in i.lines("    "))
    return (f"module c(input wire [{bits - 1}:0] in_bits, output wire [{width - 1}:0] score0);\n{body}"
            f"    assign score0 = {two_row_sum(cols, width)};\nendmodule\n" + primitive_models(family))


def _carry_head_module(bits: int, offset: int = 0) -> str:
    return _primitive_head_module("carry4", bits, offset)


def _assert_refused(tmp_path, text: str, mutation, message: str) -> None:
    """The mutated module is never read as a sum (NotLinear naming ``message``): BDDs decide."""
    broken = mutation(text)
    assert broken != text
    (tmp_path / "m.v").write_text(broken)
    write_json(tmp_path)
    with pytest.raises(NotLinear, match=re.escape(message)):
        linear_scores(tmp_path / "m.json", ["c"], {}, 1)


@pytest.mark.parametrize("bits, offset", [(7, 0), (23, 0), (40, 3)])
def test_carry_chain_counters_read_as_exact_sums(tmp_path, bits, offset):
    """compile --popcount carry4: each CARRY4 is folded into the bits its LUTs read (carry_sums.py)."""
    (tmp_path / "m.v").write_text(_carry_head_module(bits, offset))
    write_json(tmp_path)
    assert linear_scores(tmp_path / "m.json", ["c"], {}, 1) == {"c": [(offset, {f"in_bits[{i}]": 1 for i in range(bits)})]}


def _flip_second_init(text: str, mask: int) -> str:
    """The RTL with ``mask`` XORed into the second LUT6_2's INIT (the first counter's position 1)."""
    second = list(re.finditer(r"INIT\(64'h([0-9A-F]{16})\)", text))[1]
    flipped = f"INIT(64'h{int(second.group(1), 16) ^ mask:016X})"
    return text[: second.start()] + flipped + text[second.end():]


def _swap_second_lut_i0_i1(text: str) -> str:
    """The RTL with I0 and I1 of the second LUT6_2 (the first counter's position 1) exchanged."""
    second = list(re.finditer(r"LUT6_2 #[^;]*;", text))[1]
    pins = dict(re.findall(r"\.(I[01])\(([^)]*)\)", second.group(0)))
    swapped = second.group(0).replace(f".I0({pins['I0']})", ".I0(@)").replace(f".I1({pins['I1']})", f".I1({pins['I0']})")
    return text[: second.start()] + swapped.replace(".I0(@)", f".I0({pins['I1']})") + text[second.end():]


@pytest.mark.parametrize("mutation, message", [
    # O5 of the first LUT miscounts one input pattern (INIT bit 1: I0 = 1, the others 0; O6 = O5 ^ I5 kept)
    (lambda t: re.sub(r"INIT\(64'h([0-9A-F]{16})\)", lambda m: f"INIT(64'h{int(m.group(1), 16) ^ (0x2 | 0x2 << 32):016X})",
                      t, count=1),
     "not the count of their inputs"),
    # O6 no longer O5 ^ I5 (the upper half's bit 0 flipped)
    (lambda t: re.sub(r"INIT\(64'h([0-9A-F]{16})\)", lambda m: f"INIT(64'h{int(m.group(1), 16) ^ (1 << 32):016X})", t,
                      count=1), "O6 is not O5 ^ I5"),
    # the upper digit of the first counter (position 1, I5 tied to 1) miscounts I0 = I1 = 1
    (lambda t: _flip_second_init(t, 0x8 << 32), "not the count of their inputs"),
    # the upper digit's LUT reads a signal on I5 (O6 is then no longer a second function of I0..I4)
    (lambda t: t.replace(".I5(1'b1)", ".I5(in_bits[0])", 1), "O6 is not O5 ^ I5"),
    # the first counter's two LUTs read their group in different orders (refused, though symmetric)
    (lambda t: _swap_second_lut_i0_i1(t), "read different I0..I4"),
    # a carry coming in on CI
    (lambda t: t.replace(".CI(1'b0)", ".CI(in_bits[0])", 1), "CI is not 0"),
    # DI and S swapped at the first counter
    (lambda t: re.sub(r"\.DI\(([^)]*)\), \.S\(([^)]*)\)", r".DI(\2), .S(\1)", t, count=1), "not driven by O5/O6"),
])
def test_carry_chain_counters_that_are_not_sums_are_refused(tmp_path, mutation, message):
    """A changed carry-chain counter is never read as a sum: the BDD engine decides (and finds the bug)."""
    _assert_refused(tmp_path, _carry_head_module(23), mutation, message)


def test_a_carry_position_whose_lut_has_i5_tied_to_0_adds_its_o5(tmp_path):
    """I5 = 0: O6 = O5 (INIT[31:0]), so the position's digit is O5 alone. A hand-built counter over three
    bits (position 0: parity + the bit on I5; position 1: [count >= 2] with I5 tied to 0) plus CYINIT
    is read as the sum of its five inputs."""
    from lgn2hw.backend.verilog.carry_head import lut_init
    from lgn2hw.backend.verilog.primitives import primitive_models

    zero_high = lambda init: "64'h00000000" + init.split("'h")[1][8:]  # noqa: E731 - the upper half is unused
    text = ("module c(input wire [4:0] in_bits, output wire [2:0] score0);\n"
            "    wire [1:0] s, d;\n    wire [3:0] o;\n"
            f"    LUT6_2 #(.INIT({lut_init(3, 0)})) l0(.O6(s[0]), .O5(d[0]), .I0(in_bits[0]), .I1(in_bits[1]), "
            ".I2(in_bits[2]), .I3(1'b0), .I4(1'b0), .I5(in_bits[3]));\n"
            f"    LUT6_2 #(.INIT({zero_high(lut_init(3, 1))})) l1(.O6(s[1]), .O5(d[1]), .I0(in_bits[0]), "
            ".I1(in_bits[1]), .I2(in_bits[2]), .I3(1'b0), .I4(1'b0), .I5(1'b0));\n"
            "    CARRY4 c4(.CO(), .O(o), .CI(1'b0), .CYINIT(in_bits[4]), .DI({2'b0, d}), .S({2'b0, s}));\n"
            "    assign score0 = o[2:0];\nendmodule\n" + primitive_models("xilinx"))
    (tmp_path / "m.v").write_text(text)
    write_json(tmp_path)
    assert linear_scores(tmp_path / "m.json", ["c"], {}, 1) == {"c": [(0, {f"in_bits[{i}]": 1 for i in range(5)})]}
    # the same counter with position 1's O5 miscounting one pattern is refused
    broken = text.replace(zero_high(lut_init(3, 1)), zero_high(lut_init(3, 1))[:-1] + "9", 1)
    assert broken != text
    (tmp_path / "m.v").write_text(broken)
    write_json(tmp_path)
    with pytest.raises(NotLinear, match="not the count of their inputs"):
        linear_scores(tmp_path / "m.json", ["c"], {}, 1)


@pytest.mark.parametrize("bits, offset", [(5, 0), (23, 0), (40, 3), (100, 0), (130, 5)])
def test_ccu2c_chains_read_as_exact_sums(tmp_path, bits, offset):
    """compile --popcount ccu2c: each logical chain is folded into the bits its positions read
    (ccu2c_sums.py), including chains whose top bit lies above the score (read nowhere)."""
    (tmp_path / "m.v").write_text(_primitive_head_module("ccu2c", bits, offset))
    write_json(tmp_path)
    assert linear_scores(tmp_path / "m.json", ["c"], {}, 1) == {"c": [(offset, {f"in_bits[{i}]": 1 for i in range(bits)})]}


def _ccu2c_init(text: str, index: int, change) -> str:
    """The RTL with the ``index``-th INIT0/INIT1 value (in text order) v replaced by change(v)."""
    found = list(re.finditer(r"INIT[01]\(16'h([0-9A-F]{4})\)", text))[index]
    return text[: found.start(1)] + f"{change(int(found.group(1), 16)):04X}" + text[found.end(1):]


def _first_pair_upper(text: str) -> int:
    """The text-order index of the first pair's upper position (its INIT is neither a link's nor an add's)."""
    inits = re.findall(r"INIT[01]\(16'h([0-9A-F]{4})\)", text)
    return next(i for i, v in enumerate(inits) if v not in ("000A", "6668", "6996"))


@pytest.mark.parametrize("mutation, message", [
    # the upper digit of the first pair miscounts A = B = 1, C = D = 0 (INIT bit 3, also its generate)
    (lambda t: _ccu2c_init(t, _first_pair_upper(t), lambda v: v ^ 0x8), "do not add up their inputs"),
    # the first link carries NOT A into its chain
    (lambda t: _ccu2c_init(t, re.findall(r"INIT[01]\(16'h([0-9A-F]{4})\)", t).index("000A"), lambda v: 0x0005),
     "not one of its inputs"),
    # the carry in is gated (INJECT1_0 = "YES")
    (lambda t: t.replace('.INJECT1_0("NO")', '.INJECT1_0("YES")', 1), "INJECT1_0"),
    # one carry out feeding two CCU2Cs (the second's carry in taken from the first's)
    (lambda t: re.sub(r"\.CIN\((\w+)_k\[1\]\)", r".CIN(\1_k[0])", t, count=1), "its carry in also drives"),
])
def test_ccu2c_chains_that_are_not_sums_are_refused(tmp_path, mutation, message):
    """A changed CCU2C chain is never read as a sum: the BDD engine decides (and finds the bug)."""
    _assert_refused(tmp_path, _primitive_head_module("ccu2c", 23), mutation, message)


def test_a_ccu2c_chain_whose_carry_out_is_open_is_not_read_as_the_whole_sum(tmp_path):
    """One CCU2C adding in0 + in1 and 2 (in2 + in3) to a carry in (in4), COUT open: its S bits are the sum
    modulo 4 only, so a 3-bit score of them is refused (the dropped carry matters), and unconnected or
    self-reading pins are refused too, never a crash."""
    from lgn2hw.backend.verilog.ccu2c_head import position_init
    from lgn2hw.backend.verilog.primitives import primitive_models

    add = position_init("add")
    cell = (f"    CCU2C #(.INIT0({add}), .INIT1({add}), .INJECT1_0(\"NO\"), .INJECT1_1(\"NO\")) k(.CIN(in_bits[4]), "
            ".A0(in_bits[0]), .B0(in_bits[1]), .C0(1'b0), .D0(1'b1), .A1(in_bits[2]), .B1(in_bits[3]), .C1(1'b0), "
            ".D1(1'b1), .S0(s[0]), .S1(s[1]), .COUT());\n")
    text = ("module c(input wire [4:0] in_bits, output wire [2:0] score0);\n    wire [1:0] s;\n" + cell
            + "    assign score0 = {1'b0, s};\nendmodule\n" + primitive_models("ecp5"))
    (tmp_path / "m.v").write_text(text)
    write_json(tmp_path)
    with pytest.raises(NotLinear, match="can overflow its 2 bits"):
        linear_scores(tmp_path / "m.json", ["c"], {}, 1)
    _assert_refused(tmp_path, text, lambda t: t.replace(".D0(1'b1)", ".D0()"), "D0 is not connected")
    _assert_refused(tmp_path, text, lambda t: t.replace(".A1(in_bits[2])", ".A1(s[0])"), "reads its own sum bits")
