"""RTL verification speed: cocotb on Icarus vs. Verilator, three network sizes, side by side in one run.

    python benchmarks/verify_speed.py [--vectors 2000] [--sizes tiny,4x2000,6x8000] [--ten-k]

Per network: random-wired, random-op layers (lgn2hw.ir.synthetic.random_layered, seed 0, 10 classes),
optimized with -O2 and emitted as compile does; stimulus: the first --vectors Fashion-MNIST test images,
thermometer-encoded like the matching preset (tiny: 1 threshold, 784 inputs; the others: 3 thresholds,
2352 inputs), driven in the default low-switching order, one job. For each simulator: the build time
(iverilog; verilator + C++ with the runtime objects from lgn2hw's cache), the testbench's vector loop
in vectors/s, and the whole verify_rtl wall time. The Verilator C++ runtime, compiled into the first
build only (any design), is timed once on its own. --ten-k then verifies all 10,000 test images on the
6x8000 network with --jobs 2 on both simulators (Verilator re-using its build: relink only, as the
build time is already in the table).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from lgn2hw.frontend.data.datasets import load_dataset
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.backend.verilog import write_rtl
from lgn2hw.passes.manager import optimize
from lgn2hw.ir.synthetic import random_layered
from lgn2hw.check.cosim import verify_rtl
from lgn2hw.toolchain.verilator import find_verilator

SIZES = {  # name: (thresholds, layers, width)
    "tiny": (1, 2, 400),
    "4x2000": (3, 4, 2000),
    "6x8000": (3, 6, 8000),
}


@functools.cache
def test_images() -> np.ndarray:
    """The Fashion-MNIST test images, read once for every size."""
    return load_dataset("fashion-mnist", limit_train=1).test_x


def stimulus(thresholds: int, count: int) -> np.ndarray:
    return ThresholdEncoding.thermometer(784, thresholds, 255).encode(test_images()[:count])


def run(netlist, rtl, bits, simulator: str, work: Path, jobs: int = 1) -> dict:
    t0 = time.perf_counter()
    result = verify_rtl(netlist, rtl, bits, work_dir=work, simulator=simulator, jobs=jobs)
    wall = time.perf_counter() - t0
    assert result.passed, result.summary()
    return {"build": result.build_seconds, "vps": result.vectors_per_second, "wall": wall, "sim": result.sim_seconds}


def runtime_compile_seconds(tmp: Path) -> float:
    """Build time of a tiny design with the runtime cache off minus with it on: the runtime's share."""
    small = random_layered(8, 1, 10, 2, seed=0)
    rtl = write_rtl(small, tmp / "rt" / "rtl")
    bits = np.eye(8, dtype=np.uint8)
    saved = os.environ.get("LGN2HW_CACHE_DIR")
    os.environ["LGN2HW_CACHE_DIR"] = "off"
    try:
        cold = run(small, rtl, bits, "verilator", tmp / "rt" / "cold")["build"]
    finally:
        if saved is None:
            del os.environ["LGN2HW_CACHE_DIR"]
        else:
            os.environ["LGN2HW_CACHE_DIR"] = saved
    run(small, rtl, bits, "verilator", tmp / "rt" / "fill")  # fills the cache when it is empty
    warm = run(small, rtl, bits, "verilator", tmp / "rt" / "warm")["build"]
    return cold - warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--ten-k", action="store_true", help="also verify all 10,000 test images on 6x8000 (jobs 2)")
    args = parser.parse_args()
    verilator = find_verilator()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs; Verilator {verilator.version_text} "
          f"({verilator.origin}); Icarus: {shutil.which('iverilog')}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="verify-speed-") as tmp:
        tmp = Path(tmp)
        runtime = runtime_compile_seconds(tmp)
        print(f"Verilator C++ runtime (first build only): {runtime:.1f} s", flush=True)
        nets = {}
        for name in args.sizes.split(","):
            thresholds, layers, width = SIZES[name]
            raw = random_layered(784 * thresholds, layers, width, 10, seed=0)
            netlist = optimize(raw, level=2).netlist
            rtl = write_rtl(netlist, tmp / name / "rtl")
            nets[name] = (netlist, rtl)
            bits = stimulus(thresholds, args.vectors)
            icarus = run(netlist, rtl, bits, "icarus", tmp / name / "icarus")
            verilator_run = run(netlist, rtl, bits, "verilator", tmp / name / "verilator")
            rows.append((name, raw.num_gates, netlist.num_gates, netlist.num_inputs, len(bits), icarus, verilator_run))
            print(f"{name}: {raw.num_gates:,} -> {netlist.num_gates:,} gates; icarus {icarus['vps']:,.0f} vectors/s "
                  f"(build {icarus['build']:.1f} s, wall {icarus['wall']:.1f} s); verilator {verilator_run['vps']:,.0f} "
                  f"vectors/s (build {verilator_run['build']:.1f} s, wall {verilator_run['wall']:.1f} s)", flush=True)

        print()
        print("| network | gates (raw -> -O2) | inputs | vectors | Icarus build | Icarus vectors/s | Icarus wall "
              "| Verilator build | Verilator vectors/s | Verilator wall | Verilator / Icarus (loop) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, graw, gopt, inputs, count, ic, vl in rows:
            print(f"| {name} | {graw:,} -> {gopt:,} | {inputs} | {count} | {ic['build']:.1f} s | {ic['vps']:,.0f} | "
                  f"{ic['wall']:.1f} s | {vl['build']:.1f} s | {vl['vps']:,.0f} | {vl['wall']:.1f} s | "
                  f"{vl['vps'] / ic['vps']:.1f}x |")
        print(f"\nVerilator builds: + {runtime:.0f} s for the C++ runtime on the very first build (then cached).")

        if args.ten_k:
            thresholds = SIZES["6x8000"][0]
            if "6x8000" not in nets:
                raise SystemExit("--ten-k needs 6x8000 in --sizes")
            netlist, rtl = nets["6x8000"]
            bits = stimulus(thresholds, 10000)
            print()
            print("| 6x8000, all 10,000 test images, --jobs 2 | build in this call | vectors/s (both shards) | wall |")
            print("|---|---:|---:|---:|")
            for simulator in ("verilator", "icarus"):
                r = run(netlist, rtl, bits, simulator, tmp / "6x8000" / simulator, jobs=2)
                print(f"| {simulator} | {r['build']:.1f} s | {r['vps']:,.0f} | {r['wall']:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
