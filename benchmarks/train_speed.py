"""Training speed: samples/s for the four estimators at three network sizes, beside a naive reference.

    python benchmarks/train_speed.py [--threads 1] [--steps 10] [--sizes 4x2000,4x8000,6x16000]

The naive reference is what the original research code does in pure PyTorch: compute all 16 relaxed
gate outputs per neuron, then their softmax-weighted sum. Ours computes per-gate multilinear
coefficients (softmax @ 16x4) and four multiply-adds per gate. Same inputs, batch, thread count and
optimizer (Adam) in the same run; one full step = forward + backward + Adam + CAGE update.
"""

from __future__ import annotations

import argparse
import time

import torch

from lgn2hw.model import ESTIMATORS, LogicNet, NetConfig
from lgn2hw.model.network import random_wiring


def relaxed_gates(a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
    """The 16 real-valued gates written out, as difflogic's bin_op does (difflogic order)."""
    ab = a * b
    return [
        torch.zeros_like(a), ab, a - ab, a, b - ab, b, a + b - 2 * ab, a + b - ab,
        1 - (a + b - ab), 1 - (a + b - 2 * ab), 1 - b, 1 - b + ab, 1 - a, 1 - a + ab, 1 - ab, torch.ones_like(a),
    ]


class NaiveNet(torch.nn.Module):
    """Soft-mix LGN the naive way: 16 gate outputs per neuron, then the weighted sum."""

    def __init__(self, num_inputs: int, widths: list[int], num_classes: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        dims = [num_inputs, *widths]
        self.wiring = [random_wiring(dims[i], dims[i + 1], g) for i in range(len(widths))]
        self.weights = torch.nn.ParameterList(torch.nn.Parameter(torch.randn(w, 16, generator=g)) for w in widths)
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for (ia, ib), w in zip(self.wiring, self.weights):
            a, b = x[:, ia], x[:, ib]
            probs = torch.softmax(w, dim=-1)
            x = sum(g * probs[:, i] for i, g in enumerate(relaxed_gates(a, b)))
        return x.reshape(x.shape[0], self.num_classes, -1).sum(-1)


def measure(model: torch.nn.Module, num_inputs: int, steps: int, batch: int, after_step=None) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = (torch.rand(batch, num_inputs, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    y = torch.randint(0, 10, (batch,), generator=torch.Generator().manual_seed(2))

    def step():
        loss = torch.nn.functional.cross_entropy(model(x) / 20.0, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if after_step:
            after_step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--inputs", type=int, default=784)
    parser.add_argument("--sizes", default="4x2000,4x8000,6x16000")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}, {args.inputs} inputs, 10 classes")
    header = f"{'network':>10} | {'naive (16 outputs)':>18} | " + " | ".join(f"{e:>11}" for e in ESTIMATORS) + " | speed-up of hard-st"
    print(header)
    print("-" * len(header))
    for size in args.sizes.split(","):
        layers, width = (int(v) for v in size.lower().split("x"))
        widths = [width] * layers
        naive = measure(NaiveNet(args.inputs, widths, 10), args.inputs, max(2, args.steps // 3), args.batch)
        row = {}
        for est in ESTIMATORS:
            cfg = NetConfig(num_inputs=args.inputs, num_classes=10, widths=widths, tau=20.0, estimator=est,
                            cage=est in ("hard-st", "gumbel-st"))
            net = LogicNet(cfg)
            row[est] = measure(net, args.inputs, args.steps, args.batch, after_step=net.update_cage)
        cells = " | ".join(f"{row[e]:>11,.0f}" for e in ESTIMATORS)
        print(f"{size:>10} | {naive:>18,.0f} | {cells} | {row['hard-st'] / naive:.1f}x")


if __name__ == "__main__":
    main()
