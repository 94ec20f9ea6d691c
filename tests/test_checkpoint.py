"""Checkpoints: round trip, and every kind of bad file gives one clear CheckpointError."""

import os
import pickle

import pytest
import torch

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.errors import CheckpointError
from lgn2hw.frontend.model import LogicNet, NetConfig


def make_checkpoint(tmp_path):
    net = LogicNet(NetConfig(num_inputs=20, num_classes=2, widths=[16, 8], seed=5))
    ckpt = Checkpoint(model=net, input_encoding={"kind": "threshold", "feature": list(range(20)), "threshold": [127] * 20},
                      dataset="fashion-mnist", metrics=[{"epoch": 1, "loss": 0.5}])
    path = tmp_path / "model.pt"
    ckpt.save(path)
    return net, path


def test_round_trip(tmp_path):
    net, path = make_checkpoint(tmp_path)
    loaded = Checkpoint.load(path)
    assert loaded.model.config == net.config
    for k, v in net.state_dict().items():
        assert torch.equal(v, loaded.model.state_dict()[k])
    assert loaded.dataset == "fashion-mnist" and loaded.metrics == [{"epoch": 1, "loss": 0.5}]
    x = (torch.rand(10, 20) > 0.5).float()
    assert torch.equal(net(x, hard=True), loaded.model(x, hard=True))


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        Checkpoint.load(tmp_path / "nope.pt")


def test_truncated_file(tmp_path):
    _, path = make_checkpoint(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        Checkpoint.load(path)


def test_not_our_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not an lgn2hw checkpoint"):
        Checkpoint.load(path)


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/lgn2hw-should-not-exist",))


def test_pickle_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "lgn2hw-checkpoint", "payload": _RunsCode()}, path)
    with pytest.raises(CheckpointError, match="refused to load"):
        Checkpoint.load(path)
    assert not os.path.exists("/tmp/lgn2hw-should-not-exist")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch warns about the very file this test refuses
def test_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(_RunsCode()))
    with pytest.raises(CheckpointError):
        Checkpoint.load(path)
    assert not os.path.exists("/tmp/lgn2hw-should-not-exist")


def test_config_state_mismatch(tmp_path):
    _, path = make_checkpoint(tmp_path)
    doc = torch.load(path, weights_only=True)
    doc["config"]["widths"] = [16, 16]
    torch.save(doc, path)
    with pytest.raises(CheckpointError, match="do not match"):
        Checkpoint.load(path)
