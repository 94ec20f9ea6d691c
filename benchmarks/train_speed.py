"""Training speed: samples/s for the four estimators at three network sizes, beside three references.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/train_speed.py [--threads 1] [--steps 12]
        [--rounds 3] [--sizes 4x2000,4x8000,6x16000] [--batch 100] [--no-malloc-tuning]
        [--batch-sweep 25,50,100,250,1000 --sizes 4x8000]
        [--pools 8,16 --sizes 4000+4000+1000,2000+2000+500 --inputs 2352]

``--pools`` measures only the default path (Hard-ST + CAGE) with random wiring beside learned
connections from pools of each size, at equal gates (docs/architectures.md, "Speed"). A size is
``LAYERSxWIDTH`` or the widths joined by ``+``.

``--batch-sweep`` measures only the default path (Hard-ST + CAGE) at each batch size instead: samples/s
and ms per step, to see what larger batches buy per sample (docs/training.md, "Batch size").

References, all pure PyTorch and batch-major as the research code is, with plain Adam:

* ``naive``: the issue's naive reference, "16 relaxed gate outputs, then the weighted sum": the 16
  real-valued gates are computed and stacked into a (batch, gates, 16) tensor, which is weighted by
  softmax(logits) and summed.
* ``difflogic-py``: the research code's own pure-PyTorch path, difflogic's ``bin_op`` / ``bin_op_s``
  as published (a loop over the 16 gates that adds each weighted output into the result; every gate
  recomputes a * b). The issue calibrates the naive reference by it ("the research code's own
  pure-PyTorch path is about 2x the naive one"); the ratio is printed as a check.
* ``naive, summed``: the 16 outputs with a * b computed once, summed gate by gate with their weights
  without stacking. It is *faster* than difflogic-py, so it is no longer what anyone would call naive;
  it stays as the strongest reference for comparison with earlier measurements (docs/training.md).

Ours (lgn2hw.frontend.model) gathers rows of feature-major activations, computes per-gate multilinear
coefficients (selection @ 16x4) and four multiply-adds per gate in one autograd function with a
hand-written backward. Same inputs, batch, thread count in the same process; one full step = forward +
backward + Adam (ours fused where available, as lgn2hw.frontend.train uses it) + the CAGE update for the
straight-through estimators, as training runs them.

Timing: every step is timed on its own with the process's CPU time (user + system) and the median
step is reported, so a machine shared with other jobs (where wall time measures the other jobs too)
still gives comparable numbers; the models are measured in interleaved rounds so that slow phases of
the machine hit all of them alike. The wall-clock rate is printed too. docs/training.md ("Speed")
has measured numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lgn2hw.frontend.model import ESTIMATORS, STRAIGHT_THROUGH, LogicNet, NetConfig
from lgn2hw.frontend.model.alloc import tune_allocator
from lgn2hw.frontend.model.network import random_wiring
from lgn2hw.frontend.train import make_adam


def relaxed_gates(a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
    """The 16 real-valued gates written out with a * b computed once (difflogic's gate order)."""
    ab = a * b
    return [
        torch.zeros_like(a), ab, a - ab, a, b - ab, b, a + b - 2 * ab, a + b - ab,
        1 - (a + b - ab), 1 - (a + b - 2 * ab), 1 - b, 1 - b + ab, 1 - a, 1 - a + ab, 1 - ab, torch.ones_like(a),
    ]


def difflogic_bin_op(a: torch.Tensor, b: torch.Tensor, i: int) -> torch.Tensor:
    """difflogic.functional.bin_op: gate i of the relaxation (its shape asserts left out)."""
    if i == 0:
        return torch.zeros_like(a)
    if i == 1:
        return a * b
    if i == 2:
        return a - a * b
    if i == 3:
        return a
    if i == 4:
        return b - a * b
    if i == 5:
        return b
    if i == 6:
        return a + b - 2 * a * b
    if i == 7:
        return a + b - a * b
    if i == 8:
        return 1 - (a + b - a * b)
    if i == 9:
        return 1 - (a + b - 2 * a * b)
    if i == 10:
        return 1 - b
    if i == 11:
        return 1 - b + a * b
    if i == 12:
        return 1 - a
    if i == 13:
        return 1 - a + a * b
    if i == 14:
        return 1 - a * b
    return torch.ones_like(a)


def difflogic_bin_op_s(a: torch.Tensor, b: torch.Tensor, i_s: torch.Tensor) -> torch.Tensor:
    """difflogic.functional.bin_op_s: the weighted sum of the 16 gates, accumulated gate by gate."""
    r = torch.zeros_like(a)
    for i in range(16):
        r = r + i_s[..., i] * difflogic_bin_op(a, b, i)
    return r


class ReferenceNet(torch.nn.Module):
    """Soft-mix LGN in the research code's layout (batch-major, fancy-indexed operands); subclasses
    differ only in how one layer mixes its 16 relaxed gates."""

    def __init__(self, num_inputs: int, widths: list[int], num_classes: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        dims = [num_inputs, *widths]
        self.wiring = [random_wiring(dims[i], dims[i + 1], g) for i in range(len(widths))]
        self.weights = torch.nn.ParameterList(torch.nn.Parameter(torch.randn(w, 16, generator=g)) for w in widths)
        self.num_classes = num_classes

    def mix(self, a: torch.Tensor, b: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for (ia, ib), w in zip(self.wiring, self.weights):
            x = self.mix(x[:, ia], x[:, ib], torch.softmax(w, dim=-1))
        return x.reshape(x.shape[0], self.num_classes, -1).sum(-1)


class NaiveNet(ReferenceNet):
    """16 relaxed gate outputs stacked, then the weighted sum."""

    def mix(self, a, b, probs):
        return (torch.stack(relaxed_gates(a, b), dim=-1) * probs).sum(-1)


class DifflogicPyNet(ReferenceNet):
    """difflogic's pure-PyTorch training path."""

    def mix(self, a, b, probs):
        return difflogic_bin_op_s(a, b, probs)


class SummedNaiveNet(ReferenceNet):
    """16 outputs (a * b shared), summed gate by gate with their weights, nothing stacked."""

    def mix(self, a, b, probs):
        return sum(g * probs[:, i] for i, g in enumerate(relaxed_gates(a, b)))


REFERENCES = {"naive": NaiveNet, "difflogic-py": DifflogicPyNet, "naive, summed": SummedNaiveNet}


class Bench:
    """One model with its optimizer and fixed batch; ``run(k)`` times k steps one by one."""

    def __init__(self, model: torch.nn.Module, num_inputs: int, batch: int, after_step=None, ours: bool = True):
        self.model, self.after_step = model, after_step
        # Ours: the optimizer lgn2hw.frontend.train uses (fused Adam where available); references: plain Adam, as the research code.
        self.opt = make_adam(list(model.parameters()), 0.01) if ours else torch.optim.Adam(model.parameters(), lr=0.01)
        self.x = (torch.rand(batch, num_inputs, generator=torch.Generator().manual_seed(1)) > 0.5).float()
        self.y = torch.randint(0, 10, (batch,), generator=torch.Generator().manual_seed(2))
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.step()  # warm-up: first-call allocations and kernel selection
        self.step()

    def step(self) -> None:
        loss = torch.nn.functional.cross_entropy(self.model(self.x) / 20.0, self.y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.after_step:
            self.after_step()

    def run(self, k: int) -> None:
        for _ in range(k):
            c, w = time.process_time(), time.perf_counter()
            self.step()
            self.cpu.append(time.process_time() - c)
            self.wall.append(time.perf_counter() - w)

    def rate(self, batch: int) -> tuple[float, float]:
        """(samples per CPU second of the median step, samples per wall second over all steps)."""
        return batch / statistics.median(self.cpu), batch * len(self.wall) / sum(self.wall)


DEFAULT = "hard-st + CAGE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=12, help="timed steps per model per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--inputs", type=int, default=784)
    parser.add_argument("--sizes", default="4x2000,4x8000,6x16000")
    parser.add_argument("--batch-sweep", default="", metavar="B1,B2,...",
                        help="only the default path (hard-st + CAGE), at each of these batch sizes")
    parser.add_argument("--pools", default="", metavar="K1,K2,...",
                        help="only the default path, random wiring beside learned connections from pools of these sizes")
    parser.add_argument("--no-malloc-tuning", action="store_true",
                        help="leave glibc's allocator defaults (lgn2hw.frontend.train tunes them; see lgn2hw/frontend/model/alloc.py)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tuned = False if args.no_malloc_tuning else tune_allocator()
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}, {args.inputs} inputs, 10 classes, "
          f"malloc tuning {'on' if tuned else 'off'}; samples/s per CPU second (median step) [wall-clock samples/s]")
    if args.batch_sweep:
        batch_sweep([int(b) for b in args.batch_sweep.split(",")], args)
        return
    if args.pools:
        pool_sweep([int(k) for k in args.pools.split(",")], args)
        return
    ours = [e + (" + CAGE" if e in STRAIGHT_THROUGH else "") for e in ESTIMATORS]
    names = [*REFERENCES, *ours]
    ratios = [f"default / {r}" for r in REFERENCES] + ["difflogic-py / naive"]
    header = f"{'network':>9} | " + " | ".join(f"{n:>18}" for n in names) + " | " + " | ".join(ratios)
    print(header)
    print("-" * len(header))
    for size in args.sizes.split(","):
        layers, width = (int(v) for v in size.lower().split("x"))
        widths = [width] * layers
        benches = {name: Bench(cls(args.inputs, widths, 10), args.inputs, args.batch, ours=False) for name, cls in REFERENCES.items()}
        for est, name in zip(ESTIMATORS, ours):
            net = LogicNet(NetConfig(num_inputs=args.inputs, num_classes=10, widths=widths, tau=20.0, estimator=est,
                                     cage=est in STRAIGHT_THROUGH))
            benches[name] = Bench(net, args.inputs, args.batch, after_step=net.update_cage)
        for _ in range(args.rounds):
            for name, bench in benches.items():
                # The references are slow: fewer steps per round, still several per model for the median.
                bench.run(max(3, args.steps // 3) if name in REFERENCES else args.steps)
        rates = {name: bench.rate(args.batch) for name, bench in benches.items()}
        cells = " | ".join(f"{rates[n][0]:>8,.0f} [{rates[n][1]:>7,.0f}]" for n in names)
        default = rates[DEFAULT][0]
        shares = [default / rates[r][0] for r in REFERENCES] + [rates["difflogic-py"][0] / rates["naive"][0]]
        print(f"{size:>9} | {cells} | " + " | ".join(f"{s:>{len(h) - 1}.1f}x" for s, h in zip(shares, ratios)), flush=True)


def batch_sweep(batches: list[int], args) -> None:
    """Samples/s of the default path per batch size, every size measured in the same interleaved rounds."""
    print(f"{'network':>9} | " + " | ".join(f"{f'batch {b}':>22}" for b in batches) + "   (samples/s per CPU s [ms per step])")
    for size in args.sizes.split(","):
        layers, width = (int(v) for v in size.lower().split("x"))
        benches = {}
        for b in batches:
            net = LogicNet(NetConfig(num_inputs=args.inputs, num_classes=10, widths=[width] * layers, tau=20.0))
            benches[b] = Bench(net, args.inputs, b, after_step=net.update_cage)
        for _ in range(args.rounds):
            for bench in benches.values():
                bench.run(args.steps)
        cells = []
        for b, bench in benches.items():
            rate = bench.rate(b)[0]
            cells.append(f"{rate:>10,.0f} [{1000 * b / rate:>8.1f} ms]")
        print(f"{size:>9} | " + " | ".join(cells), flush=True)


def parse_widths(size: str) -> list[int]:
    """``4x8000`` -> [8000] * 4; ``4000+4000+1000`` -> those widths."""
    if "x" in size.lower():
        layers, width = (int(v) for v in size.lower().split("x"))
        return [width] * layers
    return [int(w) for w in size.split("+")]


def pool_sweep(pools: list[int], args) -> None:
    """Samples/s of Hard-ST + CAGE with random wiring and with learned connections (each pool size),
    same widths, measured in the same interleaved rounds."""
    names = ["random", *(f"learned, pool {k}" for k in pools)]
    print(f"{'network':>22} | " + " | ".join(f"{n:>22}" for n in names) + "   (samples/s per CPU s [ms per step]; learned / random)")
    for size in args.sizes.split(","):
        widths = parse_widths(size)
        benches = {}
        for name, k in zip(names, [None, *pools]):
            net = LogicNet(NetConfig(num_inputs=args.inputs, num_classes=10, widths=widths, tau=20.0,
                                     connections="random" if k is None else "learned", pool=k or 8))
            benches[name] = Bench(net, args.inputs, args.batch, after_step=net.update_cage)
        for _ in range(args.rounds):
            for bench in benches.values():
                bench.run(args.steps)
        rates = {name: bench.rate(args.batch)[0] for name, bench in benches.items()}
        cells = [f"{r:>8,.0f} [{1000 * args.batch / r:>6.1f} ms] {r / rates['random']:.2f}x" for r in rates.values()]
        print(f"{size:>22} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
