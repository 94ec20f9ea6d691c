"""The speed benchmark's references compute the same network as ours, so its ratios compare like with like."""

import importlib.util
from pathlib import Path

import pytest
import torch

from lgn2hw.ir.gates import GATES
from lgn2hw.frontend.model import LogicNet, NetConfig

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "train_speed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_speed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_difflogic_bin_op_follows_the_gate_table(bench):
    a = torch.tensor([0.0, 0.0, 1.0, 1.0])
    b = torch.tensor([0.0, 1.0, 0.0, 1.0])
    for gate in GATES:
        expected = torch.tensor([float(ch) for ch in gate.truth_table])
        assert torch.equal(bench.difflogic_bin_op(a, b, gate.id), expected), gate.name
        assert torch.equal(torch.stack(bench.relaxed_gates(a, b))[gate.id], expected), gate.name


@pytest.mark.parametrize("name", ["naive", "difflogic-py", "naive, summed"])
def test_references_equal_our_soft_mix_forward_and_gradient(bench, name):
    widths = [48, 40]
    ours = LogicNet(NetConfig(num_inputs=30, num_classes=4, widths=widths, estimator="soft-mix", cage=False))
    reference = bench.REFERENCES[name](30, widths, 4, seed=3)
    reference.wiring = [(layer.idx_a, layer.idx_b) for layer in ours.layers]
    with torch.no_grad():
        for w, layer in zip(reference.weights, ours.layers):
            w.copy_(layer.weights)
    x = torch.rand(16, 30, generator=torch.Generator().manual_seed(5))  # real-valued: every gate's relaxation matters
    expected, got = ours(x), reference(x)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    expected.square().sum().backward()
    got.square().sum().backward()
    for w, layer in zip(reference.weights, ours.layers):
        torch.testing.assert_close(w.grad, layer.weights.grad, rtol=1e-4, atol=1e-5)
