"""The command line on bad input: one clear error line, exit status != 0, nothing half-written."""

import json
import shutil

import numpy as np
import pytest
import torch

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.cli import main
from lgn2hw.ir.encoder_cost import encoder_cost
from lgn2hw.ir.netlist import Netlist
from lgn2hw.frontend.data.idx import write_idx
from lgn2hw.frontend.model import LogicNet, NetConfig

from helpers import assert_one_line_error, invoke


@pytest.fixture
def checkpoint_path(tmp_path):
    net = LogicNet(NetConfig(num_inputs=12, num_classes=3, widths=[24, 12], seed=1))
    path = tmp_path / "model.pt"
    Checkpoint(model=net).save(path)
    return path


@pytest.mark.parametrize("name", ["train", "compile", "verify", "run"])
def test_help_explains_every_option(name):
    command = main.commands[name]
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{name} {param.opts} has no help text"
    result = invoke(name, "--help")
    assert result.exit_code == 0 and "Example" in result.output


def test_compile_missing_file(tmp_path):
    out = tmp_path / "out"
    result = invoke("compile", tmp_path / "missing.pt", "-o", out)
    assert_one_line_error(result, "missing.pt", "no such file")
    assert not out.exists()


def test_compile_truncated_checkpoint(tmp_path, checkpoint_path):
    data = checkpoint_path.read_bytes()
    checkpoint_path.write_bytes(data[: len(data) // 3])
    out = tmp_path / "out"
    result = invoke("compile", checkpoint_path, "-o", out)
    assert_one_line_error(result, "model.pt", "truncated or corrupt")
    assert not out.exists()


def test_compile_foreign_checkpoint(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "foreign.pt", "not an lgn2hw checkpoint")
    assert not (tmp_path / "out").exists()


def test_compile_unknown_gate_id(tmp_path, netlist_doc):
    netlist_doc["gates"][1][0] = 16
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(netlist_doc))
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "bad.json", "unknown gate id 16")
    assert not (tmp_path / "out").exists()


def test_compile_forward_reference(tmp_path, netlist_doc):
    netlist_doc["gates"][0] = [1, 0, 4]
    path = tmp_path / "fwd.json"
    path.write_text(json.dumps(netlist_doc))
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "fwd.json", "forward reference")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda d: d["gates"].__setitem__(1, [6, 1, 4]), "a cycle"),  # gate 1 reads its own signal
        (lambda d: d.pop("outputs"), "missing key 'outputs'"),
        (lambda d: d.__setitem__("outputs", []), "non-empty list"),
        (lambda d: d.__setitem__("outputs", [3, 4, 5, 9]), "names no signal"),
        (lambda d: d.__setitem__("num_classes", 3), "equal class groups"),
    ],
    ids=["self-loop", "no-outputs", "empty-outputs", "output-out-of-range", "groups-do-not-divide"],
)
def test_compile_rejects_malformed_netlists(tmp_path, netlist_doc, edit, needle):
    edit(netlist_doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(netlist_doc))
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "bad.json", needle)
    assert not (tmp_path / "out").exists()


def test_compile_rejects_negative_pipeline_depth(tmp_path, netlist_doc):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(netlist_doc))
    result = invoke("compile", path, "-o", tmp_path / "out", "--pipeline", -1)
    assert_one_line_error(result, "--pipeline")
    assert not (tmp_path / "out").exists()


def test_compile_corrupt_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "lgn2hw-netlist", "gates": [[1, 0')
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "broken.json", "not valid JSON")


def test_compile_bad_module_name(tmp_path, checkpoint_path):
    for name in ("module", "3top", "a-b"):
        result = invoke("compile", checkpoint_path, "-o", tmp_path / "out", "--module-name", name)
        assert_one_line_error(result, name)
        assert not (tmp_path / "out").exists()


def test_failed_compile_keeps_previous_output(tmp_path, checkpoint_path, netlist_doc):
    out = tmp_path / "out"
    assert invoke("compile", checkpoint_path, "-o", out, "--check-vectors", 256).exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    netlist_doc["gates"][0][0] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(netlist_doc))
    assert invoke("compile", bad, "-o", out).exit_code != 0
    assert sorted(p.name for p in out.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_compile_netlist_json_and_verify_random(tmp_path, netlist_doc):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(netlist_doc))
    out = tmp_path / "rtl"
    result = invoke("compile", path, "-o", out, "--report")
    assert result.exit_code == 0, result.output
    assert (out / "netlist.json").is_file() and (out / "lgn_top.v").is_file()
    result = invoke("verify", out, "--random", 64)
    assert result.exit_code == 0, result.output
    assert "bit-exact: 69/69 vectors" in result.output  # 64 random + 5 corners (zeros, ones, 3 one-hot)
    assert json.loads((out / "verify.json").read_text())["mismatches"] == 0


def test_verify_detects_tampered_rtl(tmp_path, netlist_doc):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(netlist_doc))
    out = tmp_path / "rtl"
    assert invoke("compile", path, "-o", out, "-O0").exit_code == 0
    rtl = out / "lgn_top.v"
    text = rtl.read_text()
    assert " ^ " in text
    rtl.write_text(text.replace(" ^ ", " & ", 1))
    result = invoke("verify", out, "--random", 64)
    assert result.exit_code != 0
    assert "MISMATCH" in result.output
    assert json.loads((out / "verify.json").read_text())["mismatches"] > 0


def test_verify_missing_directory(tmp_path):
    assert_one_line_error(invoke("verify", tmp_path / "nothing"), "no such directory")


def test_train_bad_temperature(tmp_path):
    result = invoke("train", "--no-cage", "--temperature", 0, "--thresholds", 1, "--layers", 1, "--width", 400,
                    "--limit-train", 100, "--limit-test", 100, "-o", tmp_path / "m.pt")
    assert_one_line_error(result, "temperature")


def test_train_wrong_magic_number(tmp_path, mnist_dir):
    data = mnist_dir
    bad = data / "train-labels-idx1-ubyte"
    raw = bytearray(bad.read_bytes())
    raw[2:4] = b"\x08\x03"  # an images magic number on a labels file
    bad.write_bytes(bytes(raw))
    result = invoke("train", "--dataset", "mnist", "--data-dir", data, "--thresholds", 1, "--layers", 1,
                    "--width", 400, "-o", tmp_path / "m.pt")
    assert_one_line_error(result, "train-labels-idx1-ubyte")
    assert not (tmp_path / "m.pt").exists()


def test_netlist_loader_rejects_group_mismatch(tmp_path, netlist_doc):
    netlist_doc["outputs"] = [3, 4, 5]
    path = tmp_path / "g.json"
    path.write_text(json.dumps(netlist_doc))
    result = invoke("compile", path, "-o", tmp_path / "out")
    assert_one_line_error(result, "equal class groups")


# --- train: bad input fails with one line before any training ------------------------------------------

@pytest.fixture
def mnist_dir(tmp_path):
    """A tiny MNIST in the real IDX format (use with --no-checksums: it is not the official set)."""
    data = tmp_path / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        write_idx(data / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(data / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    return data


def mnist_args(data, *extra):
    return ["train", "--dataset", "mnist", "--data-dir", data, "--no-checksums", "--thresholds", 1, "--layers", 1,
            "--width", 400, "--epochs", 1, "--no-progress", *extra]


@pytest.mark.parametrize("extra, needle", [
    (["--grad-factor", 0], "--grad-factor"),
    (["--grad-factor", -2], "--grad-factor"),
    (["--estimator", "straight-through"], "--estimator"),
    (["--no-cage", "--temperature", -1], "--temperature"),
    (["--no-cage", "--temperature", "nan"], "--temperature"),
    (["--no-cage", "--temperature", "inf"], "--temperature"),
    (["--lr", "inf"], "--lr"),
    (["--grad-factor", "nan"], "--grad-factor"),
    (["--width", "1000000000000"], "--width"),
    (["--estimator", "soft-mix", "--cage"], "CAGE applies to straight-through"),
    (["--width", 0], "--width"),
    (["--width", 405], "not divisible by 10 classes"),
    (["--epochs", 0], "--epochs"),
    (["--batch-size", 0], "--batch-size"),
    (["--lr", 0], "--lr"),
    (["--thresholds", 0], "--thresholds"),
])
def test_train_bad_option_is_one_line_before_training(tmp_path, mnist_dir, no_training, extra, needle):
    out = tmp_path / "m.pt"
    assert_one_line_error(invoke(*mnist_args(mnist_dir, *extra), "-o", out), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist"]


def test_train_truncated_data_file(tmp_path, mnist_dir, no_training):
    images = mnist_dir / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    assert_one_line_error(invoke(*mnist_args(mnist_dir), "-o", tmp_path / "m.pt"), "t10k-images-idx3-ubyte", "truncated")
    assert not (tmp_path / "m.pt").exists()


def test_train_label_out_of_range(tmp_path, mnist_dir, no_training):
    labels = np.zeros(60, dtype=np.uint8)
    labels[17] = 10
    write_idx(mnist_dir / "train-labels-idx1-ubyte", labels)
    assert_one_line_error(invoke(*mnist_args(mnist_dir), "-o", tmp_path / "m.pt"), "label 17 is 10")
    assert not (tmp_path / "m.pt").exists()


def test_train_official_checksums_reject_own_files(tmp_path, mnist_dir, no_training):
    args = [a for a in mnist_args(mnist_dir) if a != "--no-checksums"]
    result = invoke(*args, "-o", tmp_path / "m.pt")
    assert_one_line_error(result, "checksum")
    assert not (tmp_path / "m.pt").exists()


def test_train_writes_checkpoint_and_metrics_csv(tmp_path, mnist_dir):
    out = tmp_path / "m.pt"
    result = invoke(*mnist_args(mnist_dir, "--epochs", 2, "--grad-factor", 1.5, "--lr-schedule", "cosine"), "-o", out)
    assert result.exit_code == 0, result.output
    assert "epoch 2:" in result.output and "selection gap +0.00 pts" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.metrics.csv", "m.metrics.jsonl", "m.pt", "mnist"]
    ckpt = Checkpoint.load(out)
    assert ckpt.model.config.grad_factor == 1.5
    assert len((tmp_path / "m.metrics.csv").read_text().splitlines()) == 3
    lrs = [json.loads(line)["lr"] for line in (tmp_path / "m.metrics.jsonl").read_text().splitlines()]
    assert lrs[0] < 0.01 and lrs[1] == pytest.approx(0.0, abs=1e-12)  # the cosine reached the CLI's optimizer


@pytest.mark.parametrize("content", [b"epoch,train_loss\n1,0.5\n", b"\x80\x02garbage", b""])
def test_compile_text_or_garbage_as_checkpoint_is_one_line(tmp_path, content):
    """torch's unpickler fails on such files with arbitrary exceptions (IndexError on CSV text)."""
    source = tmp_path / "model.pt"
    source.write_bytes(content)
    result = invoke("compile", source, "-o", tmp_path / "out")
    assert_one_line_error(result, "model.pt")
    assert not (tmp_path / "out").exists()


def test_run_checks_the_simulator_before_training(tmp_path, monkeypatch, no_training):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no iverilog
    result = invoke("run", "--preset", "tiny", "--no-progress", "-o", tmp_path / "out")
    assert_one_line_error(result, "iverilog")
    assert not (tmp_path / "out").exists()


def test_run_checks_its_output_before_training(tmp_path, no_training):
    (tmp_path / "out").write_text("a file, not a directory")
    result = invoke("run", "--preset", "tiny", "--no-progress", "-o", tmp_path / "out")
    assert_one_line_error(result, "is a file")
    assert (tmp_path / "out").read_text() == "a file, not a directory"


def test_run_synth_checks_yosys_before_training(tmp_path, monkeypatch, no_training):
    tools = tmp_path / "bin"  # a PATH with the simulator but without Yosys
    tools.mkdir()
    for tool in ("iverilog", "vvp"):
        (tools / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(tools))
    result = invoke("run", "--preset", "tiny", "--no-progress", "--synth", "-o", tmp_path / "out")
    assert_one_line_error(result, "yosys")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_run_raw_inputs_synth_counts_the_verified_design(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "--preset", "tiny", "--thresholds", "3", "--no-progress", "--raw-inputs", "--synth",
                    "--vectors", "300", "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "rtl" / "synth.json").read_text())
    (row,) = report["table"]
    assert row["flow"] == "generic" and row["luts"] > 0
    netlist = json.loads((out / "rtl" / "netlist.json").read_text())
    # raw uint8 in: the encoder is counted apart, only the comparators of input bits the gates still read;
    # x > 63 and x > 191 are one LUT6 each, x > 127 a wire, which encoder_cost knows exactly for
    # comparators of <= 6 bits
    assert sorted(set(netlist["input_encoding"]["threshold"])) == [63, 127, 191]
    live = Netlist.from_json_dict(netlist).live_signals()[: netlist["num_inputs"]]
    expected = encoder_cost(netlist["input_encoding"], live=live).lut6
    assert row["encoder_luts"] == expected
    assert 0 < expected < 2 * 784  # 2 x 400 random gates cannot read all 2,352 bits
    assert row["core_luts"] > 0 and row["blocks"]["popcount"]["luts"] > 0
    assert sum(block["luts"] for block in row["blocks"].values()) == row["luts"]  # merged included
    assert netlist["metadata"]["raw_inputs"]
    lines = result.output.splitlines()
    verified = next(i for i, line in enumerate(lines) if line.startswith("bit-exact:"))
    assert lines[verified + 1].startswith(f"synth lgn_top ({len(netlist['gates']):,} gates") and f"generic {row['luts']:,} LUT6" in lines[verified + 1]
