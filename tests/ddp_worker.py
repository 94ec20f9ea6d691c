"""One rank of a data-parallel training run, started by tests/test_distributed.py through torchrun.

    torchrun --standalone --nproc-per-node 2 tests/ddp_worker.py SPEC.json

SPEC.json names the data (a torch.save'd dict of tensors), the network and training settings and an
output folder. Every rank trains with lgn2hw.frontend.train.train, asks it to write metrics to a rank-specific
path (only rank 0 may actually write), and saves what it ended with as OUT/rank<r>.pt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from lgn2hw.frontend import distributed
from lgn2hw.frontend.model import NetConfig
from lgn2hw.frontend.train import EncodedData, TrainConfig, train


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    out = Path(spec["out"])
    info = distributed.setup_from_env("cpu")
    d = torch.load(spec["data"], weights_only=True)
    data = EncodedData("synthetic", d["train_bits"], d["train_y"], d["test_bits"], d["test_y"], int(d["num_classes"]),
                       {"kind": "threshold", "feature": [], "threshold": []})
    epochs_seen = []
    result = train(NetConfig(**spec["net"]), data, TrainConfig(**spec["train"]),
                   metrics_path=out / f"rank{info.rank}" / "m.metrics.jsonl", progress=False, on_epoch=epochs_seen.append)
    torch.save({"rank": info.rank, "world_size": info.world_size, "state": result.checkpoint.model.state_dict(),
                "cage": result.checkpoint.model.cage.state_dict() if result.checkpoint.model.cage else None,
                "history": result.history, "on_epoch_calls": len(epochs_seen)}, out / f"rank{info.rank}.pt")
    distributed.teardown()


if __name__ == "__main__":
    main()
