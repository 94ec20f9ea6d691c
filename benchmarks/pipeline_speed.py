"""Speed of every stage of the pipeline, side by side in one run.

    python benchmarks/pipeline_speed.py [--layers 6] [--width 8000] [--quick]

Prints: training samples/s (Hard-ST + CAGE, batch 100, per thread count), compile time split into
freeze / optimize / emit, reference-simulator gate evaluations per second on 10k samples, and cocotb
on Icarus vectors per second on the optimized RTL. Random-wired, random-op network of the given shape
(trained for a few steps only: speeds do not depend on accuracy) on Fashion-MNIST shapes (2352 inputs
= 784 pixels x 3 thresholds, 10 classes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.backend.verilog import emit_verilog
from lgn2hw.frontend.freeze import freeze
from lgn2hw.frontend.model import LogicNet, NetConfig
from lgn2hw.passes.manager import optimize
from lgn2hw.ir.simulate import Simulator
from lgn2hw.check.cosim import verify_rtl
from train_speed import measure  # benchmarks/ is on sys.path when this script runs


def train_speed(config: NetConfig, steps: int, threads: int) -> float:
    torch.set_num_threads(threads)
    net = LogicNet(config)
    return measure(net, config.num_inputs, steps, batch=100, after_step=net.update_cage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--width", type=int, default=8000)
    parser.add_argument("--inputs", type=int, default=2352)
    parser.add_argument("--quick", action="store_true", help="fewer steps and vectors")
    args = parser.parse_args()
    config = NetConfig(num_inputs=args.inputs, num_classes=10, widths=[args.width] * args.layers, tau=20.0)
    steps = 5 if args.quick else 20
    print(f"network: {args.layers} x {args.width} gates, {args.inputs} inputs, 10 classes; torch {torch.__version__}")

    for threads in sorted({1, torch.get_num_threads()}):
        print(f"train  Hard-ST+CAGE, batch 100, {threads} thread(s): {train_speed(config, steps, threads):,.0f} samples/s")
    torch.set_num_threads(max(1, torch.get_num_threads()))

    net = LogicNet(config)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pt"
        Checkpoint(model=net).save(path)
        t0 = time.perf_counter()
        raw = freeze(Checkpoint.load(path).model)
        t_freeze = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = optimize(raw, level=2)
        t_opt = time.perf_counter() - t0
        t0 = time.perf_counter()
        files = emit_verilog(report.netlist)
        t_emit = time.perf_counter() - t0
        print(f"compile: load+freeze {t_freeze:.2f} s, optimize -O2 {t_opt:.2f} s "
              f"({raw.num_gates:,} -> {report.netlist.num_gates:,} gates), emit {t_emit:.2f} s, "
              f"total {t_freeze + t_opt + t_emit:.2f} s")

        samples = 10000
        bits = np.random.default_rng(0).integers(0, 2, size=(samples, args.inputs), dtype=np.uint8)
        sim = Simulator(raw)
        sim.scores(bits[:256])
        t0 = time.perf_counter()
        sim.scores(bits)
        t_sim = time.perf_counter() - t0
        print(f"simulator: {raw.num_gates:,} gates x {samples:,} samples in {t_sim:.3f} s = "
              f"{raw.num_gates * samples / t_sim:,.3e} gate-evaluations/s")

        rtl = Path(tmp) / "lgn_top.v"
        rtl.write_text(files["lgn_top.v"])
        vectors = 300 if args.quick else 2000
        result = verify_rtl(report.netlist, [rtl], bits[:vectors], work_dir=Path(tmp) / "verify")
        print(f"cocotb/icarus: {result.summary()}; build {result.build_seconds:.1f} s, "
              f"{result.vectors_per_second:,.0f} vectors/s on {report.netlist.num_gates:,} gates")


if __name__ == "__main__":
    main()
