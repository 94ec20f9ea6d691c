"""End to end on real Fashion-MNIST: train -> freeze -> optimize -> Verilog -> bit-exact on Icarus.

Small enough for CI (a subset of the data, a 2-layer network, one epoch), but every stage is the real
one: the console entry point, the IDX loader, training, compile checks and cocotb on Icarus.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
pytestmark = pytest.mark.skipif(not FASHION.exists(), reason="Debian package dataset-fashion-mnist is not installed")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "run"
    cmd = [sys.executable, "-m", "lgn2hw", "run", "--thresholds", "1", "--layers", "2", "--width", "1000",
           "--epochs", "1", "--limit-train", "10000", "--limit-test", "400", "--tau", "10", "--no-progress", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout


def test_run_prints_accuracy_gate_counts_and_bit_exact_line(demo_run):
    out, stdout = demo_run
    hard = float(re.search(r"hard test acc ([\d.]+)%", stdout).group(1))
    assert hard > 60.0, stdout  # 10 classes: chance is 10 %
    assert re.search(r"gates: 2,000 before optimization, [\d,]+ after", stdout), stdout
    assert "bit-exact: 400/400 vectors" in stdout
    assert "python hard inference == netlist simulator == optimized netlist on 400" in stdout


def test_run_writes_the_documented_files(demo_run):
    out, _ = demo_run
    assert (out / "model.pt").is_file() and (out / "model.metrics.jsonl").is_file()
    for name in ("netlist.json", "lgn_top.v", "compile_report.json", "verify.json", "verify.log"):
        assert (out / "rtl" / name).is_file(), name
    verify = json.loads((out / "rtl" / "verify.json").read_text())
    assert verify["vectors"] == 400 and verify["mismatches"] == 0 and verify["passed"]
    assert verify["log"] == "verify.log"
    netlist = Netlist.load(out / "rtl" / "netlist.json")
    assert netlist.input_encoding["kind"] == "threshold" and len(netlist.input_encoding["feature"]) == 784
    assert netlist.metadata["dataset"] == "fashion-mnist"
    report = json.loads((out / "rtl" / "compile_report.json").read_text())
    assert report["gates_raw"] == 2000 and report["gates_optimized"] == netlist.num_gates < 2000


def test_three_way_agreement_on_the_test_set(demo_run):
    """torch hard inference == netlist simulator (raw and optimized), on every score of every vector."""
    import torch

    from lgn2hw.check.agreement import encoded_test_set
    from lgn2hw.frontend.freeze import freeze

    out, _ = demo_run
    model = Checkpoint.load(out / "model.pt").model
    optimized = Netlist.load(out / "rtl" / "netlist.json")
    bits = encoded_test_set(optimized, "fashion-mnist")[:2000]
    torch_scores = model.hard_scores(torch.from_numpy(bits)).numpy()
    assert (torch_scores == Simulator(freeze(model)).scores(bits)).all()
    assert (torch_scores == Simulator(optimized).scores(bits)).all()
    metrics = [json.loads(line) for line in (out / "model.metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["discretization_gap"] == 0.0


def test_compile_is_deterministic(demo_run, tmp_path):
    out, _ = demo_run
    a = compile_source(out / "model.pt", tmp_path / "a", check_vectors=None)
    b = compile_source(out / "model.pt", tmp_path / "b", check_vectors=None)
    for name in ("netlist.json", "lgn_top.v"):
        assert (a.outdir / name).read_bytes() == (b.outdir / name).read_bytes(), name
    assert (a.outdir / "netlist.json").read_bytes() == (out / "rtl" / "netlist.json").read_bytes()
