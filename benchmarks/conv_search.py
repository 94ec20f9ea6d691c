"""Accuracy search for convolutional networks: several training runs side by side for a fixed time each.

    python benchmarks/conv_search.py --device cuda --budget 270 [--data-dir DIR] [--runs NAME,NAME,...] [--out DIR]

Each run is ``lgn2hw.frontend.train.train`` on the full Fashion-MNIST (the same library call as
``lgn2hw train --dataset fashion-mnist --thresholds T --arch A --init I --residual-logit R --lr L``,
constant learning rate, batch 100, seed 0) in its own process, all started together (one GPU is far
from busy with one small network); a run stops after the first epoch that ends past ``--budget``
seconds. With a constant learning rate the first N epochs are exactly those of an N-epoch run.
Every epoch goes to OUT/NAME.jsonl and to stdout. Before the runs, a check that the device's hard
scores equal the CPU's and the frozen netlist's, and that gradients agree (docs/conv.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time

import lgn2hw  # noqa: F401  first: sets OMP_WAIT_POLICY before torch starts its threads
import torch

S_ARCH = "conv(16,k5,p0)-pool-conv(48)-pool-conv(144)-pool-dense(20480)-dense(10240)-dense(5120)"
RUNS = {
    "S_T3_rl1": dict(arch=S_ARCH, thr=3, init="residual", rl=1.0),
    "S_T3_gauss": dict(arch=S_ARCH, thr=3, init="gaussian"),
    "S_T1_rl1": dict(arch=S_ARCH, thr=1, init="residual", rl=1.0),
    "S_T3_rl2": dict(arch=S_ARCH, thr=3, init="residual", rl=2.0),
    "S_T3_rl1_lr02": dict(arch=S_ARCH, thr=3, init="residual", rl=1.0, lr=0.02),
    "M_T3_rl1": dict(arch="conv(16,k3)-pool-conv(64)-pool-dense(8000)-dense(8000)", thr=3, init="residual", rl=1.0),
}


class _Stop(Exception):
    pass


def check(device: str) -> None:
    from lgn2hw.frontend.freeze import freeze
    from lgn2hw.frontend.model import ConvLogicNet, ConvNetConfig
    from lgn2hw.ir.simulate import scores

    cfg = ConvNetConfig(3 * 784, 10, [3, 28, 28], S_ARCH, tau=20, init="gaussian", seed=4)
    cpu, dev = ConvLogicNet(cfg), ConvLogicNet(cfg).to(device)
    x = (torch.rand(64, 3 * 784, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(1))
    hc, hd = cpu.hard_scores(x), dev.hard_scores(x.to(device)).cpu()
    netlist = torch.from_numpy(scores(freeze(cpu), x.numpy().astype("uint8")))
    print(f"hard scores {device} == cpu == netlist: {torch.equal(hc, hd)} {torch.equal(hc, netlist)}", flush=True)
    for net, xx, yy in ((cpu, x, y), (dev, x.to(device), y.to(device))):
        torch.nn.functional.cross_entropy(net(xx) / 20, yy).backward()
    worst = max(float((a.weights.grad - b.weights.grad.cpu()).abs().max() / (a.weights.grad.abs().max() + 1e-12))
                for a, b in zip(cpu.gate_layers, dev.gate_layers))
    print(f"gradients {device} vs cpu: worst relative difference {worst:.2e}", flush=True)


def run(name: str, args) -> None:
    from lgn2hw.frontend.model import ConvNetConfig
    from lgn2hw.frontend.train import TrainConfig, encode_dataset, train

    spec = RUNS[name]
    data = encode_dataset("fashion-mnist", args.data_dir, spec["thr"])
    cfg = ConvNetConfig(data.num_inputs, 10, list(data.image_shape), spec["arch"], tau=20.0, init=spec["init"],
                        residual_logit=spec.get("rl", 5.0))
    start = time.time()
    with open(os.path.join(args.out, f"{name}.jsonl"), "w") as log:
        def on_epoch(h):
            keys = ("epoch", "loss", "hard_test_acc", "soft_test_acc", "selection_gap", "mean_confidence", "seconds")
            line = json.dumps({k: h[k] for k in keys})
            log.write(line + "\n")
            log.flush()
            print(name, line, flush=True)
            if time.time() - start > args.budget:
                raise _Stop()

        try:
            train(cfg, data, TrainConfig(epochs=1000, batch_size=100, lr=spec.get("lr", 0.01), device=args.device,
                                         gap_samples=2000 if name == "S_T3_rl1" else 0), progress=False, on_epoch=on_epoch)
        except _Stop:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget", type=float, default=270.0, help="seconds per run (the last epoch finishes)")
    parser.add_argument("--data-dir", default=None, help="Fashion-MNIST IDX folder [default: the Debian package's]")
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--out", default=os.environ.get("OUT", "conv_search"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    check(args.device)
    spawn = multiprocessing.get_context("spawn")  # fresh processes: CUDA cannot be forked
    procs = [spawn.Process(target=run, args=(name, args)) for name in args.runs.split(",")]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
