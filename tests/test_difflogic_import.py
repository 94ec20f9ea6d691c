"""difflogic checkpoint import: the netlist computes what difflogic's own forward computes.

The reference below re-implements difflogic's eval-mode forward from its source (the 16 relaxed gates
written out as in difflogic/functional.py, operands gathered with ``x[..., indices[0]]``, a one-hot of
``weights.argmax(-1)``, GroupSum ``reshape(..., k, -1).sum(-1) / tau``), independently of lgn2hw's
gate table, so it also checks that both use the same gate order.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.flows.compile import load_source
from lgn2hw.errors import CheckpointError
from lgn2hw.frontend.importers import import_difflogic
from lgn2hw.frontend.model import LogicNet, NetConfig
from lgn2hw.ir.simulate import Simulator

from helpers import assert_one_line_error, invoke


# ------------------------------------------------------------------ a minimal difflogic look-alike
def bin_op(a, b, i):
    """difflogic.functional.bin_op: gate i's real-valued relaxation."""
    return [
        lambda: torch.zeros_like(a),
        lambda: a * b,
        lambda: a - a * b,
        lambda: a,
        lambda: b - a * b,
        lambda: b,
        lambda: a + b - 2 * a * b,
        lambda: a + b - a * b,
        lambda: 1 - (a + b - a * b),
        lambda: 1 - (a + b - 2 * a * b),
        lambda: 1 - b,
        lambda: 1 - b + a * b,
        lambda: 1 - a,
        lambda: 1 - a + a * b,
        lambda: 1 - a * b,
        lambda: torch.ones_like(a),
    ][i]()


class LogicLayer(nn.Module):
    """difflogic.LogicLayer (python implementation): weights are a parameter, indices a plain attribute."""

    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(out_dim, 16, generator=generator))
        self.indices = (
            torch.randint(0, in_dim, (out_dim,), generator=generator),
            torch.randint(0, in_dim, (out_dim,), generator=generator),
        )

    def forward(self, x):
        a, b = x[..., self.indices[0]], x[..., self.indices[1]]
        one_hot = nn.functional.one_hot(self.weights.argmax(-1), 16).to(torch.float32)
        return sum(one_hot[..., i] * bin_op(a, b, i) for i in range(16))


class GroupSum(nn.Module):
    def __init__(self, k: int, tau: float = 1.0):
        super().__init__()
        self.k, self.tau = k, tau

    def forward(self, x):
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau


def difflogic_model(num_inputs: int, widths: list[int], k: int, seed: int = 0, tau: float = 10.0) -> nn.Sequential:
    g = torch.Generator().manual_seed(seed)
    layers, previous = [], num_inputs
    for w in widths:
        layers.append(LogicLayer(previous, w, g))
        previous = w
    return nn.Sequential(nn.Flatten(), *layers, GroupSum(k, tau)).eval()


def save_checkpoint(model: nn.Sequential, path, forms=("stack",), extra: dict | None = None) -> dict:
    """model.state_dict() plus each layer's wiring, in the given forms (cycled over the layers)."""
    state = dict(model.state_dict())
    logic = [(name, m) for name, m in model.named_children() if isinstance(m, LogicLayer)]
    for j, (name, layer) in enumerate(logic):
        form = forms[j % len(forms)]
        if form == "stack":
            state[f"{name}.indices"] = torch.stack(layer.indices)
        elif form == "tuple":
            state[f"{name}.indices"] = tuple(layer.indices)
        elif form == "split":
            state[f"{name}.indices.0"], state[f"{name}.indices.1"] = layer.indices
        elif form == "idx":
            state[f"{name}.idx_a"], state[f"{name}.idx_b"] = layer.indices
    state.update(extra or {})
    torch.save(state, path)
    return state


def reference_scores(model: nn.Sequential, bits: np.ndarray) -> np.ndarray:
    tau = model[-1].tau
    with torch.no_grad():
        out = model(torch.from_numpy(bits).float()) * tau
    return out.round().long().numpy()


def random_bits(n: int, count: int = 2000, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=(count, n), dtype=np.uint8)


# ----------------------------------------------------------------------------------- import
@pytest.mark.parametrize("forms", [("stack",), ("tuple", "split", "idx")])
def test_imported_netlist_matches_difflogic_forward(tmp_path, forms):
    model = difflogic_model(64, [120, 120, 60], k=5, seed=3)
    path = tmp_path / "dl.pt"
    save_checkpoint(model, path, forms)
    netlist, reference = import_difflogic(path, num_classes=5, num_inputs=64)
    assert (netlist.num_inputs, netlist.num_classes, netlist.num_gates) == (64, 5, 300)
    assert netlist.metadata["imported_from"] == "difflogic"
    bits = random_bits(64)
    expected = reference_scores(model, bits)
    assert np.array_equal(Simulator(netlist).scores(bits), expected)
    assert np.array_equal(reference.hard_scores(torch.from_numpy(bits)).numpy(), expected)


def test_ties_take_the_first_maximal_logit(tmp_path):
    model = difflogic_model(16, [40, 20], k=2, seed=4)
    with torch.no_grad():
        model[1].weights[:, :] = 0.0  # every gate ties across all 16 functions: argmax picks 0 (FALSE)
        model[1].weights[:10, 6] = 1.0
        model[1].weights[:10, 9] = 1.0  # XOR and XNOR tie: XOR (6) wins
    path = tmp_path / "tie.pt"
    save_checkpoint(model, path)
    netlist, _ = import_difflogic(path, num_classes=2, num_inputs=16)
    assert netlist.ops[:10].tolist() == [6] * 10 and netlist.ops[10:40].tolist() == [0] * 30
    bits = random_bits(16)
    assert np.array_equal(Simulator(netlist).scores(bits), reference_scores(model, bits))


def test_layers_follow_natural_order_of_their_prefixes(tmp_path):
    model = difflogic_model(12, [16] * 11, k=4, seed=5)  # keys 1..11: "10" and "11" sort after "9"
    path = tmp_path / "deep.pt"
    save_checkpoint(model, path, ("split", "stack"))
    netlist, _ = import_difflogic(path, num_classes=4, num_inputs=12)
    assert netlist.metadata["difflogic_layers"] == [str(i) for i in range(1, 12)]
    bits = random_bits(12)
    assert np.array_equal(Simulator(netlist).scores(bits), reference_scores(model, bits))


def test_num_inputs_is_inferred_and_can_be_widened(tmp_path):
    model = difflogic_model(30, [40, 20], k=2, seed=6)
    path = tmp_path / "dl.pt"
    save_checkpoint(model, path)
    used = int(max(model[1].indices[0].max(), model[1].indices[1].max())) + 1
    inferred, _ = import_difflogic(path, num_classes=2)
    assert inferred.num_inputs == used
    widened, _ = import_difflogic(path, num_classes=2, num_inputs=40)
    assert widened.num_inputs == 40


def test_metadata_entries_in_the_file(tmp_path):
    model = difflogic_model(20, [30, 12], k=3, seed=7)
    path = tmp_path / "meta.pt"
    encoding = {"kind": "threshold", "feature": list(range(20)), "threshold": [0.5] * 20}
    save_checkpoint(model, path, extra={"num_classes": 3, "num_inputs": 20, "tau": 10.0, "input_encoding": encoding})
    netlist, _ = import_difflogic(path)
    assert (netlist.num_inputs, netlist.num_classes) == (20, 3)
    assert netlist.input_encoding == encoding


def test_nested_state_dict(tmp_path):
    model = difflogic_model(20, [30, 12], k=3, seed=8)
    state = save_checkpoint(model, tmp_path / "flat.pt")
    torch.save({"state_dict": state, "num_classes": 3}, tmp_path / "nested.pt")
    netlist, _ = import_difflogic(tmp_path / "nested.pt")
    bits = random_bits(netlist.num_inputs)
    padded = np.zeros((bits.shape[0], 20), dtype=np.uint8)
    padded[:, : netlist.num_inputs] = bits
    assert np.array_equal(Simulator(netlist).scores(bits), reference_scores(model, padded))


def test_load_source_tells_the_formats_apart(tmp_path):
    model = difflogic_model(20, [30, 12], k=3, seed=9)
    save_checkpoint(model, tmp_path / "dl.pt", extra={"num_classes": 3, "num_inputs": 20})
    source = load_source(tmp_path / "dl.pt")
    assert source.netlist.metadata["imported_from"] == "difflogic"
    net = LogicNet(NetConfig(num_inputs=12, num_classes=3, widths=[24, 12], seed=1))
    Checkpoint(model=net).save(tmp_path / "ours.pt")
    assert "imported_from" not in load_source(tmp_path / "ours.pt").netlist.metadata


# -------------------------------------------------------------------------------------- CLI
def test_cli_compiles_a_difflogic_checkpoint(tmp_path):
    model = difflogic_model(48, [96, 96, 40], k=4, seed=10)
    path = tmp_path / "dl.pt"
    save_checkpoint(model, path, ("split",))
    out = tmp_path / "rtl"
    result = invoke("compile", path, "--num-classes", 4, "--num-inputs", 48, "-o", out, "--check-vectors", 2000)
    assert result.exit_code == 0, result.output
    assert "== Python hard inference" in result.output
    doc = json.loads((out / "netlist.json").read_text())
    assert doc["num_inputs"] == 48 and doc["num_classes"] == 4
    assert (out / "lgn_top.v").is_file() and (out / "raw_netlist.json").is_file()
    report = json.loads((out / "compile_report.json").read_text())
    assert report["checks"]["torch_vs_netlist"] == "identical"


def _bad(tmp_path, mutate, extra=None):
    model = difflogic_model(16, [24, 12], k=3, seed=11)
    state = dict(model.state_dict())
    state["1.indices"] = torch.stack(model[1].indices)
    state["2.indices"] = torch.stack(model[2].indices)
    state.update(extra or {})
    mutate(state)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    return path


@pytest.mark.parametrize(
    "mutate, options, needles",
    [
        (lambda s: s.pop("2.indices"), ["--num-classes", 3], ["no wiring", "'2.indices'"]),
        (lambda s: s.update({"1.weights": torch.randn(24, 8)}), ["--num-classes", 3], ["(24, 8)", "(out_dim, 16)"]),
        (lambda s: s.update({"2.indices": torch.full((2, 12), 24)}), ["--num-classes", 3],
         ["index 24 is out of range", "24 outputs"]),
        (lambda s: None, ["--num-classes", 5], ["12 outputs", "5 equal GroupSum groups"]),
        (lambda s: None, [], ["--num-classes"]),
        (lambda s: s.update({"1.indices": s["1.indices"].float()}), ["--num-classes", 3], ["integer tensor"]),
        (lambda s: s.update({"1.indices.0": s["1.indices"][0]}), ["--num-classes", 3], ["wiring twice"]),
        (lambda s: s.update({"3.bias": torch.zeros(3)}), ["--num-classes", 3], ["unexpected entry '3.bias'"]),
        (lambda s: s.update({"2.indices": torch.zeros((2, 7), dtype=torch.long)}), ["--num-classes", 3], ["(2, 12)"]),
        (lambda s: s.update({"num_classes": 4}), ["--num-classes", 3], ["given as 3 but the file says 4"]),
        (lambda s: None, ["--num-classes", 3, "--num-inputs", 5], ["num_inputs is 5"]),
        (lambda s: s["2.weights"].__setitem__((0, 0), float("nan")), ["--num-classes", 3], ["NaN"]),
    ],
)
def test_bad_layouts_give_one_clear_error_line(tmp_path, mutate, options, needles):
    path = _bad(tmp_path, mutate)
    out = tmp_path / "out"
    assert_one_line_error(invoke("compile", path, *options, "-o", out), *needles)
    assert not out.exists()


def test_pickled_module_is_refused(tmp_path):
    path = tmp_path / "module.pt"
    torch.save(difflogic_model(8, [8, 4], k=2), path)  # the whole nn.Module: needs unsafe unpickling
    assert_one_line_error(invoke("compile", path, "--num-classes", 2, "-o", tmp_path / "out"), "refused to load")


def test_options_must_match_other_sources(tmp_path):
    net = LogicNet(NetConfig(num_inputs=12, num_classes=3, widths=[24, 12], seed=1))
    Checkpoint(model=net).save(tmp_path / "ours.pt")
    assert_one_line_error(
        invoke("compile", tmp_path / "ours.pt", "--num-classes", 4, "-o", tmp_path / "out"),
        "--num-classes 4 does not match the file (3)",
    )
    assert invoke("compile", tmp_path / "ours.pt", "--num-classes", 3, "-o", tmp_path / "ok").exit_code == 0


def test_difflogic_import_error_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="no '<layer>.weights'"):
        import_difflogic({"num_classes": 3})
