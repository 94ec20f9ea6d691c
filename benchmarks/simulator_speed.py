"""Reference simulator speed: gate evaluations per second on a random layered network, one process.

Usage: python benchmarks/simulator_speed.py [--layers 6] [--width 8000] [--samples 10000] [--repeat 5]

Network: lgn2hw.ir.synthetic.random_layered (uniform random ops and wiring; Fashion-MNIST shapes: 2352
inputs = 784 pixels x 3 thresholds, 10 classes), not optimized, so every gate is evaluated. Samples are
uniformly random bits. Reported, best of --repeat runs after one warm-up:

- ``scores``: ``Simulator.scores(bits)`` end to end (pack the (samples, inputs) uint8 array, evaluate,
  unpack the outputs, popcount per class): what ``lgn2hw verify`` and accuracy reports call;
- ``run_packed``: the gate evaluation alone on already packed inputs.

gate-evaluations/s = gates x samples / seconds. numpy is single-threaded here (bitwise ufuncs do not
use BLAS threads); pin the process to one core (``taskset -c 1``) for a clean number.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from lgn2hw.ir.simulate import Simulator, pack_bits
from lgn2hw.ir.synthetic import random_layered


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--width", type=int, default=8000)
    parser.add_argument("--inputs", type=int, default=2352)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    netlist = random_layered(args.inputs, args.layers, args.width, 10, seed=args.seed)
    bits = np.random.default_rng(args.seed).integers(0, 2, size=(args.samples, args.inputs), dtype=np.uint8)
    t0 = time.perf_counter()
    sim = Simulator(netlist)
    t_init = time.perf_counter() - t0
    packed = pack_bits(bits)
    evals = netlist.num_gates * args.samples
    t_scores = best_of(lambda: sim.scores(bits), args.repeat)
    t_packed = best_of(lambda: sim.run_packed(packed), args.repeat)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    print(f"network: {args.layers} x {args.width} = {netlist.num_gates:,} gates (depth {netlist.depth()}), "
          f"{args.inputs} inputs; {args.samples:,} samples; numpy {np.__version__}; CPUs {affinity}")
    print(f"Simulator() setup {t_init:.3f} s")
    print(f"scores     {t_scores:.4f} s = {evals / t_scores:.3e} gate-evaluations/s")
    print(f"run_packed {t_packed:.4f} s = {evals / t_packed:.3e} gate-evaluations/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
