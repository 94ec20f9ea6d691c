"""Data-parallel training (torch.distributed, gloo on CPU) with 2 local processes started by torchrun.

What is asserted (and documented in docs/training.md, "Data-parallel training"):
* both ranks end with bit-identical parameters and CAGE state (one all-reduced gradient, one Adam step);
* against one process with the same global batch the parameters agree to float32 rounding (the
  gradient is summed in another order), the frozen gates and the per-epoch accuracies are identical;
* only rank 0 writes metrics and calls on_epoch.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from lgn2hw.frontend import distributed
from lgn2hw.cli import main
from lgn2hw.frontend.data.idx import write_idx
from lgn2hw.errors import ConfigError
from lgn2hw.frontend.model import NetConfig
from lgn2hw.frontend.train import EncodedData, TrainConfig, train

from helpers import assert_one_line_error

WORKER = Path(__file__).with_name("ddp_worker.py")
TORCHRUN = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))


def synthetic(n_train=1000, n_test=400):
    g = torch.Generator().manual_seed(0)
    bits = torch.randint(0, 2, (n_train + n_test, 16), generator=g, dtype=torch.uint8)
    y = (bits[:, 0].long() + bits[:, 1].long() * (1 - bits[:, 2].long()) + bits[:, 3].long() * bits[:, 4].long()) % 3
    return dict(train_bits=bits[:n_train], train_y=y[:n_train], test_bits=bits[n_train:], test_y=y[n_train:], num_classes=3)


def env_without_torchrun():
    env = {k: v for k, v in os.environ.items() if k not in (*distributed.ENV_VARS, "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    return env


def run_ddp_and_single(tmp_path, estimator, epochs=3):
    d = synthetic()
    torch.save(d, tmp_path / "data.pt")
    net = dict(num_inputs=16, num_classes=3, widths=[48, 48, 30], tau=3.0, seed=5, estimator=estimator,
               cage=estimator in ("hard-st", "gumbel-st"))
    tr = dict(epochs=epochs, batch_size=50, lr=0.05, seed=1, device="cpu", gap_samples=300)
    out = tmp_path / "out"
    (tmp_path / "spec.json").write_text(json.dumps(dict(out=str(out), data=str(tmp_path / "data.pt"), net=net, train=tr)))
    proc = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node", "2", str(WORKER), str(tmp_path / "spec.json")],
                          capture_output=True, text=True, env=env_without_torchrun(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    data = EncodedData("synthetic", d["train_bits"], d["train_y"], d["test_bits"], d["test_y"], 3, {})
    single = train(NetConfig(**net), data, TrainConfig(**tr), progress=False)
    return out, ranks, single


def assert_ddp_matches(out, ranks, single):
    r0, r1 = ranks
    assert (r0["rank"], r0["world_size"], r1["rank"]) == (0, 2, 1)
    # Both ranks: identical, bit for bit.
    assert r0["state"].keys() == r1["state"].keys()
    for k in r0["state"]:
        assert torch.equal(r0["state"][k], r1["state"][k]), k
    if r0["cage"] is not None:
        assert torch.equal(r0["cage"]["ema"], r1["cage"]["ema"])
    # Against one process with the same global batch: float32 rounding only (measured after 60 steps:
    # 8e-7 Hard-ST + CAGE, 2.6e-6 Gumbel-ST + CAGE, 1.7e-5 Soft-Mix; Adam divides by sqrt(v), which
    # magnifies rounding differences of tiny gradients).
    ref = single.checkpoint.model.state_dict()
    for k, v in r0["state"].items():
        if k.endswith("weights"):
            assert torch.allclose(v, ref[k], rtol=0, atol=1e-4), (k, float((v - ref[k]).abs().max()))
            assert torch.equal(v.argmax(-1), ref[k].argmax(-1)), k  # the same deployed gates
        else:
            assert torch.equal(v, ref[k]), k  # wiring
    for mine, theirs in zip(r0["history"], single.history):
        for key in ("soft_test_acc", "hard_test_acc", "selection_gap", "gate_fractions"):
            assert mine[key] == theirs[key], key
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-5)
    # Only rank 0 writes files and reports epochs.
    assert r0["on_epoch_calls"] == len(single.history) and r1["on_epoch_calls"] == 0
    assert sorted(p.name for p in (out / "rank0").iterdir()) == ["m.metrics.csv", "m.metrics.jsonl"]
    assert not (out / "rank1").exists()
    lines = (out / "rank0" / "m.metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["hard_test_acc"] for line in lines] == [h["hard_test_acc"] for h in r0["history"]]


def test_two_ranks_hard_st_cage_agree_and_match_one_process(tmp_path):
    assert_ddp_matches(*run_ddp_and_single(tmp_path, "hard-st"))


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["gumbel-st", "soft-mix"])
def test_two_ranks_other_estimators(tmp_path, estimator):
    """Gumbel noise is per gate and drawn from the same seed on every rank, so it matches too."""
    assert_ddp_matches(*run_ddp_and_single(tmp_path, estimator))


def write_tiny_mnist(folder: Path, n_train=300, n_test=100):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        images[np.arange(n), labels, :] = 250  # class c: bright row c
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)


@pytest.mark.slow
def test_cli_train_under_torchrun_writes_one_checkpoint(tmp_path):
    from lgn2hw.frontend.checkpoint import Checkpoint

    write_tiny_mnist(tmp_path / "mnist")
    args = ["--dataset", "mnist", "--data-dir", tmp_path / "mnist", "--no-checksums", "--thresholds", 1, "--layers", 2,
            "--width", 400, "--epochs", 2, "--batch-size", 50, "--no-progress"]
    args = [str(a) for a in args]
    proc = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node", "2", "-m", "lgn2hw.cli", "train", "--ddp", *args,
                           "-o", str(tmp_path / "ddp.pt")], capture_output=True, text=True, env=env_without_torchrun(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("epoch 2:") == 1 and proc.stdout.count("trained 800 gates") == 1, proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp.metrics.csv", "ddp.metrics.jsonl", "ddp.pt", "mnist"]
    single = CliRunner().invoke(main, ["train", *args, "-o", str(tmp_path / "one.pt")])
    assert single.exit_code == 0, single.output
    a, b = Checkpoint.load(tmp_path / "ddp.pt"), Checkpoint.load(tmp_path / "one.pt")
    for (k, v), (k2, w) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert k == k2 and torch.allclose(v.float(), w.float(), atol=1e-5), k
    assert [m["hard_test_acc"] for m in a.metrics] == [m["hard_test_acc"] for m in b.metrics]


# --- without processes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("succeeded, calls", [(True, ["barrier", "destroy"]), (False, ["destroy"])])
def test_teardown_waits_for_every_rank_only_after_success(monkeypatch, succeeded, calls):
    """A barrier before destroying the gloo group (a rank leaving early can abort the other); none after
    a failure, where the other ranks may never arrive."""
    seen = []
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(distributed.dist, "barrier", lambda: seen.append("barrier"))
    monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: seen.append("destroy"))
    distributed.teardown(succeeded=succeeded)
    assert seen == calls


def test_cli_train_leaves_the_group_without_a_barrier_when_training_fails(tmp_path, monkeypatch):
    """lgn2hw train: a failing rank must not wait at the barrier for ranks that may never arrive."""
    from lgn2hw.errors import DataError
    from lgn2hw.frontend import settings

    def fail(*args, **kwargs):
        raise DataError("disk went away")

    calls = []
    monkeypatch.setattr(settings, "train_and_save", fail)
    monkeypatch.setattr(distributed, "teardown", lambda succeeded=True: calls.append(succeeded))
    result = CliRunner().invoke(main, ["train", "--preset", "tiny", "-o", str(tmp_path / "m.pt")])
    assert_one_line_error(result, "disk went away")
    assert calls == [False]


def test_shard_splits_a_batch_disjointly():
    idx = torch.arange(7)
    parts = [distributed.shard(idx, distributed.DistInfo(r, 3)) for r in range(3)]
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4], [5, 6]]
    assert distributed.shard(idx, distributed.DistInfo()) is idx


def test_not_distributed_by_default():
    info = distributed.current()
    assert (info.rank, info.world_size, info.enabled, info.is_main) == (0, 1, False, True)
    assert distributed.backend_for("cpu") == "gloo"


def test_ddp_flag_without_torchrun_is_one_error_line(tmp_path, monkeypatch):
    for name in distributed.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["train", "--ddp", "--preset", "tiny", "-o", str(tmp_path / "m.pt")])
    assert_one_line_error(result, "--ddp needs the environment torchrun sets")
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_run_and_sweep_refuse_torchrun(tmp_path, monkeypatch, command):
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = CliRunner().invoke(main, [command, "--preset", "tiny", "-o", str(tmp_path / "out")])
    assert_one_line_error(result, "data-parallel")
    assert not (tmp_path / "out").exists()


def test_bad_world_size_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ConfigError, match="WORLD_SIZE='two'"):
        distributed.launched_by_torchrun()


def test_an_explicit_gpu_index_is_refused_under_ddp():
    two_ranks = distributed.DistInfo(rank=1, world_size=2, local_rank=1)
    assert distributed.training_device(torch.device("cuda"), two_ranks) == torch.device("cuda", 1)
    assert distributed.training_device(torch.device("cpu"), two_ranks) == torch.device("cpu")
    with pytest.raises(ConfigError, match="every rank on one GPU"):
        distributed.training_device(torch.device("cuda", 1), two_ranks)
