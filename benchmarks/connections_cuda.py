"""Learned connections on CUDA: tie-breaking, the sparse kernel, zero selection gap, samples/s, Fashion-MNIST.

    python benchmarks/connections_cuda.py [--data-dir DIR] [--out DIR]

Checks that the CUDA argmax keeps the first of equal connection logits (as the CPU path does),
that torch.sparse.sampled_addmm runs on CUDA and equals the row-gather reference, and that for
every estimator the hard forward on CUDA equals the netlist simulator and the CPU hard forward
(Hard-ST: the training forward too); then times training steps of random vs learned connections
(pool 8, 16) at three sizes and batch 100 / 1000, and trains 4000,4000,1000 on Fashion-MNIST for 3
epochs each. Writes connections_cuda.json to --out. Numbers in docs/architectures.md.
"""
import argparse
import json
import os
import time

import torch

from lgn2hw.frontend.model import ESTIMATORS, STRAIGHT_THROUGH, LogicNet, NetConfig
from lgn2hw.frontend.model.connections import CandidatePattern, candidate_dots_by_gather, candidate_pools, first_argmax
from lgn2hw.frontend.freeze import freeze
from lgn2hw.frontend.train import TrainConfig, make_adam, train, encode_dataset
from lgn2hw.ir.simulate import scores as sim_scores

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", default=None, help="Fashion-MNIST IDX files [default: the Debian package's]")
parser.add_argument("--out", default=".", help="folder for connections_cuda.json")
args = parser.parse_args()
dev = torch.device("cuda")
report = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}
print(report, flush=True)

# 1. argmax ties on CUDA pick the first index, like the CPU loop
z = torch.zeros(8, 5000, device=dev)
r = torch.randint(0, 3, (8, 5000), device=dev).float()
report["cuda_argmax_first_on_ties"] = bool((z.argmax(0) == 0).all()) and torch.equal(first_argmax(r).cpu(), first_argmax(r.cpu()))
# 2. sampled_addmm on CUDA equals the gather reference
g = torch.Generator().manual_seed(0)
pa = candidate_pools(torch.randint(0, 3000, (2000,), generator=g), 3000, 16, g).to(dev)
pb = candidate_pools(torch.randint(0, 3000, (2000,), generator=g), 3000, 16, g).to(dev)
x = (torch.rand(3000, 100, device=dev) > 0.5).float(); grads = torch.randn(4000, 100, device=dev)
pat = CandidatePattern(pa, pb, 3000, torch.float32)
try:
    torch.sparse.sampled_addmm(pat.csr, grads, x.T, beta=0.0); report["sparse_kernel_on_cuda"] = True
except Exception as exc:  # noqa: BLE001 - report whatever the kernel raises
    report["sparse_kernel_on_cuda"] = f"{type(exc).__name__}: {str(exc)[:200]}"
d1, d2 = pat.dots(grads, x), candidate_dots_by_gather(grads, x, torch.cat([pa, pb]))
report["dots_max_abs_diff"] = float((d1 - d2).abs().max())
# 3. zero selection gap and frozen == netlist simulator, every estimator, on CUDA
xb = (torch.rand(512, 40, generator=torch.Generator().manual_seed(0)) > 0.5).float()
y = torch.randint(0, 4, (512,), generator=torch.Generator().manual_seed(1))
gaps = {}
for est in ESTIMATORS:
    for per_gate in (False, True):
        if per_gate and est not in STRAIGHT_THROUGH:
            continue
        net = LogicNet(NetConfig(num_inputs=40, num_classes=4, widths=[64, 64, 32], tau=4.0, seed=3, estimator=est,
                                 cage=est in STRAIGHT_THROUGH, cage_per_gate=per_gate, connections="learned", pool=8)).to(dev)
        opt = make_adam(list(net.parameters()), 0.05)
        xd, yd = xb.to(dev), y.to(dev)
        for _ in range(10):
            loss = torch.nn.functional.cross_entropy(net(xd) / 4, yd); opt.zero_grad(); loss.backward(); opt.step(); net.update_cage()
        hard = net(xd, hard=True)
        same_as_train = torch.equal(net(xd), hard) if est == "hard-st" else None
        sim = torch.from_numpy(sim_scores(freeze(net), xb.numpy()))
        cpu_hard = net.cpu()(xb, hard=True)
        gaps[f"{est}{'/per-gate' if per_gate else ''}"] = {
            "train_forward_equals_hard": same_as_train,
            "cuda_hard_equals_netlist": torch.equal(hard.cpu().round().long(), sim),
            "cpu_hard_equals_cuda_hard": torch.equal(cpu_hard, hard.cpu()),
        }
report["zero_gap"] = gaps
print(json.dumps(report, indent=1), flush=True)
# 4. speed: samples/s per step (forward + backward + Adam + CAGE), CUDA-synchronized
speed = []
for widths, inputs in (([4000, 4000, 1000], 2352), ([8000] * 4, 2352), ([24000] * 4, 5488)):
    for batch in (100, 1000):
        row = {"widths": widths, "inputs": inputs, "batch": batch}
        for name, conn, k in (("random", "random", 8), ("learned8", "learned", 8), ("learned16", "learned", 16)):
            net = LogicNet(NetConfig(num_inputs=inputs, num_classes=10, widths=widths, tau=20.0, connections=conn, pool=k)).to(dev)
            opt = make_adam(list(net.parameters()), 0.01)
            xs = (torch.rand(batch, inputs, device=dev) > 0.5).float(); ys = torch.randint(0, 10, (batch,), device=dev)
            def step():
                loss = torch.nn.functional.cross_entropy(net(xs) / 20, ys); opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); net.update_cage()
            for _ in range(5): step()
            torch.cuda.synchronize(); t = time.perf_counter(); n = 30
            for _ in range(n): step()
            torch.cuda.synchronize(); row[name] = round(batch * n / (time.perf_counter() - t))
        speed.append(row); print(row, flush=True)
report["speed_samples_per_s"] = speed
# 5. Fashion-MNIST training on CUDA: 3 epochs, 4000,4000,1000, tau 10, 3 thresholds
data = encode_dataset("fashion-mnist", args.data_dir, 3)
fm = {}
for name, conn, k in (("random", "random", 8), ("learned8", "learned", 8), ("learned16", "learned", 16)):
    cfg = NetConfig(num_inputs=data.num_inputs, num_classes=10, widths=[4000, 4000, 1000], tau=10.0, connections=conn, pool=k)
    res = train(cfg, data, TrainConfig(epochs=3, device="cuda"), progress=False)
    fm[name] = {"hard_test_acc": [h["hard_test_acc"] for h in res.history], "selection_gap": [h["selection_gap"] for h in res.history],
                "samples_per_s": round(res.samples_per_second), "seconds": round(res.seconds, 1)}
    print(name, fm[name], flush=True)
report["fashion_mnist_cuda"] = fm
with open(os.path.join(args.out, "connections_cuda.json"), "w") as f:
    json.dump(report, f, indent=1)
print("DONE", flush=True)
