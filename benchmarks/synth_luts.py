"""Raw (-O0) vs optimized (-O2) gate and LUT counts, side by side, with lgn2hw synth (Yosys).

Usage: python benchmarks/synth_luts.py [SOURCE] [--flow generic|xilinx|ice40|all] [--layers L --width W]
SOURCE is a checkpoint (.pt) or a netlist.json; without it a random layered network (uniform random ops
and wiring; harsher than a trained one) of L x W gates, 784 inputs, 10 classes is used. Each level is
compiled into a temporary directory and synthesized with the gate core vs popcount/argmax split.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lgn2hw.flows.compile import compile_source
from lgn2hw.backend.synth import FLOWS, available_flows, synthesize
from lgn2hw.ir.synthetic import random_layered


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path)
    parser.add_argument("--flow", choices=FLOWS + ("all",), default="generic")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--width", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    flows = available_flows() if args.flow == "all" else (args.flow,)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lgn2hw-synth-bench-") as tmp:
        source = args.source
        if source is None:
            source = Path(tmp) / "random.json"
            random_layered(784, args.layers, args.width, 10, args.seed).save(source)
            print(f"random layered network: {args.layers} x {args.width} gates, 784 inputs, 10 classes, seed {args.seed}")
        for level in (0, 2):
            out = Path(tmp) / f"O{level}"
            result = compile_source(source, out, opt_level=level, check_vectors=None)
            t0 = time.perf_counter()
            report = synthesize(out, flows=flows, timeout_s=args.timeout)
            rows.append((level, result.netlist.num_gates, report, time.perf_counter() - t0))
    print(f"{rows[0][2].yosys_version}; head = full - core (docs/synthesis.md)")
    print(f"{'flow':8} {'level':>5} {'gates':>8} {'LUTs':>8} {'core':>8} {'head':>8} {'depth':>6} {'pnr':>28}")
    for flow in flows:
        for level, gates, report, _ in rows:
            r = next(x for x in report.table() if x["flow"] == flow)
            pnr = ""
            if flow == "ice40" and report.pnr is not None:
                p = report.pnr
                pnr = f"{p.logic_cells_used}/{p.logic_cells_available} LC {p.critical_path_ns} ns" if p.status == "routed" else p.status
            print(f"{flow:8} {'-O' + str(level):>5} {gates:>8,} {r['luts']:>8,} {r['core_luts']:>8,} {r['head_luts']:>8,} "
                  f"{r['depth'] if r['depth'] is not None else 'n/a':>6} {pnr:>28}")
    print("synthesis seconds: " + ", ".join(f"-O{level} {sec:.1f}" for level, _, _, sec in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
