"""Time the optimization passes on random layered networks (a CIFAR-size and an MNIST-size one).

Prints, per network, the time and gate count after every pass run, the -O2 compile report, and the
time of a random-vector equivalence check. Usage: python benchmarks/compile_passes.py [--seed S]
[--vectors V]. Random ops are uniform over the 16 gates and wiring is uniformly random between
consecutive layers, which is harsher than a trained network (more constants, more dead gates).
"""

from __future__ import annotations

import argparse
import time

from lgn2hw.ir.netlist import Netlist
from lgn2hw.passes import check_equivalent, optimize
from lgn2hw.ir.synthetic import random_layered  # also imported from here by other benchmarks


def bench(name: str, netlist: Netlist, vectors: int) -> None:
    print(f"== {name}: {netlist.num_inputs} inputs, {netlist.num_gates:,} gates, {netlist.num_classes} classes")
    for level in (1, 2):
        t0 = time.perf_counter()
        report = optimize(netlist, level=level, progress=(lambda run: print("  ", run)) if level == 2 else None)
        total = time.perf_counter() - t0
        print(report.format().rstrip())
        print(f"  optimize -O{level} wall time: {total:.2f} s")
    t0 = time.perf_counter()
    eq = check_equivalent(netlist, report.netlist, vectors=vectors, seed=1)
    print(f"  check_equivalent: {eq} ({time.perf_counter() - t0:.2f} s)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vectors", type=int, default=1024, help="random vectors for the equivalence check")
    args = parser.parse_args()
    bench("6 x 8000 (MNIST-size)", random_layered(784, 6, 8000, 10, args.seed), args.vectors)
    bench("5 x 200,000 (CIFAR-size)", random_layered(3072, 5, 200_000, 10, args.seed), args.vectors)


if __name__ == "__main__":
    main()
