"""What the trained gates of checkpoints became, layer by layer: wires, constants or real two-input gates.

    python benchmarks/gate_usage.py CHECKPOINT [CHECKPOINT ...]

For every gate layer (tree convolutions and dense layers of a conv network, the layers of a dense
one): trained gates, the share that are a wire (pass-through of a or b), an inverter (NOT a / NOT b),
a constant, or a gate that reads both inputs, the share still passing operand a (the residual
initialization's gate), its mean logit and the mean margin between the two largest logits. A layer
that is mostly wires after training learned little there (docs/conv.md, "Measured").
"""

from __future__ import annotations

import argparse

import lgn2hw  # noqa: F401  first: sets OMP_WAIT_POLICY before torch starts its threads
import torch

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.ir.gates import FALSE, NOT_A, NOT_B, PASS_A, PASS_B, TRUE


def layer_rows(model) -> list[tuple[str, torch.Tensor]]:
    layers = model.gate_layers if hasattr(model, "gate_layers") else list(model.layers)
    return [(f"{i}:{type(layer).__name__}", layer.weights.detach()) for i, layer in enumerate(layers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    args = parser.parse_args()
    print(f"{'layer':<18} {'gates':>7} {'wire':>6} {'not':>6} {'const':>6} {'2-input':>7} {'pass a':>6} "
          f"{'logit a':>7} {'margin':>6}")
    for path in args.checkpoints:
        print(f"{path}: {getattr(Checkpoint.load(path).model.config, 'arch', 'dense')}")
        for name, weights in layer_rows(Checkpoint.load(path).model):
            ops = weights.argmax(dim=-1)

            def share(*ids):
                return float(sum((ops == i).sum() for i in ids)) / ops.numel()

            wire, inv, const = share(PASS_A, PASS_B), share(NOT_A, NOT_B), share(FALSE, TRUE)
            top2 = weights.topk(2, dim=-1).values
            print(f"{name:<18} {ops.numel():>7,} {wire:>6.1%} {inv:>6.1%} {const:>6.1%} {1 - wire - inv - const:>7.1%} "
                  f"{share(PASS_A):>6.1%} {float(weights[:, PASS_A].mean()):>7.2f} {float((top2[:, 0] - top2[:, 1]).mean()):>6.2f}")


if __name__ == "__main__":
    main()
