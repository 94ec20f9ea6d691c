"""Does the convolutional trunk learn? A preset trained as usual beside the same network with its trunk frozen at init.

    nice -n 10 python benchmarks/conv_trunk_ablation.py [--preset fashion-conv] [--limit-train 10000]
        [--limit-test 2000] [--epochs 2]

Both runs use the preset's network, initialization, learning rate and tau, Hard-ST + CAGE, batch 100,
the same seed and sample order; the only difference is that the second one gives the tree
convolutions' logits no gradient (they stay at their initialization: with residual init, every tree
passes its first leaf through), so only the dense layers learn. Prints hard test accuracy and mean
training loss per epoch. If the two are close, the trunk is contributing little that it learned.
"""

from __future__ import annotations

import argparse

import lgn2hw  # noqa: F401  first: sets OMP_WAIT_POLICY before torch starts its threads
import torch

from lgn2hw.frontend.model import ConvLogicNet
from lgn2hw.frontend.model.alloc import tune_allocator
from lgn2hw.frontend.presets import PRESETS, resolve
from lgn2hw.frontend.settings import net_config_from
from lgn2hw.frontend.train import encode_dataset, make_adam


def run(config, data, epochs: int, lr: float, train_trunk: bool) -> list[tuple[float, float]]:
    torch.manual_seed(0)
    net = ConvLogicNet(config)
    if not train_trunk:
        for layer in net.gate_layers[: len(net.gate_layers) - len(net.head)]:
            layer.weights.requires_grad_(False)
    optimizer = make_adam([p for p in net.parameters() if p.requires_grad], lr)
    order_gen = torch.Generator().manual_seed(0)
    n = data.train_bits.shape[0]
    history = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=order_gen)
        total = 0.0
        for start in range(0, n, 100):
            idx = order[start : start + 100]
            loss = torch.nn.functional.cross_entropy(net(data.train_bits[idx].float()) / config.tau, data.train_y[idx], reduction="sum")
            optimizer.zero_grad(set_to_none=True)
            (loss / idx.numel()).backward()
            optimizer.step()
            net.update_cage()
            total += float(loss.detach())
        pred = net.hard_scores(data.test_bits).argmax(dim=1)
        history.append((float((pred == data.test_y).float().mean()), total / n))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fashion-conv", choices=[k for k, v in PRESETS.items() if "arch" in v])
    parser.add_argument("--limit-train", type=int, default=10000)
    parser.add_argument("--limit-test", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    tune_allocator()
    settings = resolve(args.preset, {})
    data = encode_dataset(settings["dataset"], args.data_dir, settings["thresholds"], args.limit_train, args.limit_test)
    config = net_config_from(settings, data)
    for train_trunk in (True, False):
        history = run(config, data, args.epochs, settings["lr"], train_trunk)
        label = "trunk trained" if train_trunk else "trunk frozen at init"
        print(f"{label:21s} " + "  ".join(f"epoch {i + 1}: {100 * acc:.2f} % (loss {loss:.4f})" for i, (acc, loss) in enumerate(history)), flush=True)


if __name__ == "__main__":
    main()
