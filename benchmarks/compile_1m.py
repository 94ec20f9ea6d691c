"""Compile a 1,000,000-gate network (5 x 200k, random wiring and ops): time and peak memory per stage.

    python benchmarks/compile_1m.py [--layers 5] [--width 200000] [--inputs 2352]

Stages: build the netlist, save/load netlist.json, optimize -O2, emit Verilog. Peak memory is the
process's maximum resident set size after each stage (it only grows).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from lgn2hw.backend.verilog import write_rtl
from lgn2hw.ir.netlist import Netlist
from lgn2hw.passes.manager import optimize
from lgn2hw.ir.synthetic import random_layered


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--width", type=int, default=200_000)
    parser.add_argument("--inputs", type=int, default=2352)
    args = parser.parse_args()
    total = 0.0

    def stage(name, fn):
        nonlocal total
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        total += dt
        print(f"{name:<22} {dt:7.2f} s   peak RSS {peak_mib():8.0f} MiB")
        return out

    netlist = stage("build", lambda: random_layered(args.inputs, args.layers, args.width, 10))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "netlist.json"
        stage("save netlist.json", lambda: netlist.save(path))
        loaded = stage("load netlist.json", lambda: Netlist.load(path))
        report = stage("optimize -O2", lambda: optimize(loaded, level=2))
        files = stage("emit Verilog", lambda: write_rtl(report.netlist, Path(tmp) / "rtl"))
        size = sum(f.stat().st_size for f in files) / 2**20
    print(f"{netlist.num_gates:,} -> {report.netlist.num_gates:,} gates; RTL {size:.0f} MiB; total {total:.1f} s")


if __name__ == "__main__":
    main()
