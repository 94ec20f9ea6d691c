"""``lgn2hw compile`` of large netlists through the CLI: wall time and peak memory of the command.

    python benchmarks/compile_scale.py [--sizes 1x1000000,5x1000000] [--layers 5] [--inputs 2352]
        [--check-vectors 10000] [--keep DIR]

Each size ``Rx G`` is a random layered netlist of G gates in 5 layers (lgn2hw.ir.synthetic.random_layered,
seed 0, 10 classes) written as netlist.json; then the user's command runs as a child process:

    lgn2hw compile netlist.json -o OUT -O2

with its default checks (the agreement check of the raw and optimized netlists on --check-vectors
random vectors, the strict netlist.json reader, build metadata). Wall time is the child's, from start to
exit; peak memory is the child's maximum resident set size (``resource.getrusage(RUSAGE_CHILDREN)``
after it exits; this benchmark's own process, which built the netlist, is not counted). The issue's
targets are printed beside the figures: 1,000,000 gates <= 15 s and <= 1.5 GiB, 5,000,000 gates
<= 2 min and <= 8 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lgn2hw.ir.synthetic import random_layered

TARGETS = {1_000_000: (15.0, 1.5), 5_000_000: (120.0, 8.0)}  # gates -> (seconds, GiB)


def run_compile(netlist_path: Path, out: Path, check_vectors: int) -> tuple[float, float, str]:
    """Run the CLI once in a fresh child; (wall seconds, child peak RSS GiB, last output line)."""
    cmd = [sys.executable, "-m", "lgn2hw", "compile", str(netlist_path), "-o", str(out), "-O2",
           "--check-vectors", str(check_vectors)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"lgn2hw compile failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak < before:  # ru_maxrss of children is the largest child so far; sizes run smallest first
        peak = before
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return wall, peak / 2**20, lines[-1] if lines else ""


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for item in text.split(","):
        count, _, gates = item.partition("x")
        sizes.append(int(count) * int(gates) if gates else int(count))
    return sorted(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1x1000000,5x1000000", help="gate counts, e.g. 1x1000000,5x1000000")
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--inputs", type=int, default=2352)
    parser.add_argument("--check-vectors", type=int, default=10_000)
    parser.add_argument("--keep", default=None, help="keep the netlists and outputs in this directory")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lgn2hw_scale_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}")
    print(f"{'gates':>11}  {'netlist.json':>12}  {'wall':>8}  {'peak RSS':>9}  target")
    try:
        for gates in parse_sizes(args.sizes):
            width = gates // args.layers
            path = root / f"netlist_{gates}.json"
            if not path.exists():
                random_layered(args.inputs, args.layers, width, 10).save(path)
            out = root / f"rtl_{gates}"
            wall, peak_gib, last = run_compile(path, out, args.check_vectors)
            target = TARGETS.get(gates)
            verdict = ""
            if target:
                ok = wall <= target[0] and peak_gib <= target[1]
                verdict = f"<= {target[0]:.0f} s, <= {target[1]} GiB: {'met' if ok else 'missed'}"
            size_mib = path.stat().st_size / 2**20
            print(f"{gates:>11,}  {size_mib:>9.0f} MiB  {wall:>6.1f} s  {peak_gib:>5.2f} GiB  {verdict}")
            print(f"             {last}")
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
