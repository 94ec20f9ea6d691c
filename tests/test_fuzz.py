"""Fuzzing the real CLI with hypothesis: malformed netlists, checkpoints, data files and option values.

The promise checked for every generated input: the command either succeeds (some mutations are still
valid) or fails with exit status != 0, exactly one ``Error:`` line, no uncaught exception (a traceback
in a real run), and nothing left behind (no output directory, no staging or temporary files).

Profiles (``LGN2HW_FUZZ=deep`` or ``release`` for the longer ones): ``ci`` (the default run,
derandomized so CI is repeatable, about half a minute), ``deep`` (300 examples per test, random seeds)
and ``release`` (2000 per test).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgn2hw.cli import main

settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("release", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("deep", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("LGN2HW_FUZZ", "ci"))

VALID = {"format": "lgn2hw-netlist", "version": 1, "num_inputs": 3, "num_classes": 2,
         "gates": [[1, 0, 1], [6, 1, 2], [7, 3, 4]], "outputs": [3, 4, 5, 5],
         "input_encoding": {"kind": "threshold", "feature": [0, 1, 2], "threshold": [10, 20, 30]},
         "metadata": {"dataset": "fashion-mnist"}}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                           max_leaves=12)


def _mutations():
    """A valid document with one part replaced, removed, or a gate/output element replaced."""
    keys = st.sampled_from(sorted(VALID) + ["extra"])
    replace = st.tuples(st.just("replace"), keys, json_values)
    remove = st.tuples(st.just("remove"), keys, st.none())
    gate = st.tuples(st.just("gate"), st.tuples(st.integers(0, 2), st.integers(0, 2)), json_values)
    output = st.tuples(st.just("output"), st.integers(0, 3), json_values)
    encoding = st.tuples(st.just("encoding"), st.sampled_from(["kind", "feature", "threshold", "other"]), json_values)
    return st.lists(st.one_of(replace, remove, gate, output, encoding), min_size=1, max_size=3)


def _apply(mutations) -> dict:
    doc = json.loads(json.dumps(VALID))
    for kind, where, value in mutations:
        if kind == "replace":
            doc[where] = value
        elif kind == "remove":
            doc.pop(where, None)
        elif kind == "gate" and isinstance(doc.get("gates"), list) and len(doc["gates"]) > where[0] \
                and isinstance(doc["gates"][where[0]], list) and len(doc["gates"][where[0]]) > where[1]:
            doc["gates"][where[0]][where[1]] = value
        elif kind == "output" and isinstance(doc.get("outputs"), list) and len(doc["outputs"]) > where:
            doc["outputs"][where] = value
        elif kind == "encoding" and isinstance(doc.get("input_encoding"), dict):
            doc["input_encoding"][where] = value
    return doc


def _check_promise(result, workdir: Path, out: Path, before: set[str]) -> None:
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}")
    if result.exit_code == 0:
        return
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert not out.exists(), "a failed command left its output directory"
    assert {p.name for p in workdir.iterdir()} == before, "a failed command left files behind"


@given(mutations=_mutations())
def test_compile_of_malformed_netlists_keeps_the_promise(tmp_path_factory, mutations):
    work = tmp_path_factory.mktemp("nl")
    source = work / "n.json"
    try:
        text = json.dumps(_apply(mutations))
    except (ValueError, OverflowError):
        return
    source.write_text(text)
    out = work / "out"
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(out), "--check-vectors", "16"])
    _check_promise(result, work, out, {"n.json"})


@given(data=st.binary(max_size=300), gz=st.booleans())
def test_compile_of_arbitrary_bytes_keeps_the_promise(tmp_path_factory, data, gz):
    work = tmp_path_factory.mktemp("raw")
    source = work / "in.bin"
    source.write_bytes(gzip.compress(data) if gz else data)
    out = work / "out"
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(out)])
    _check_promise(result, work, out, {"in.bin"})
    assert result.exit_code != 0  # bytes are never a valid checkpoint or netlist by accident here


def _checkpoint_doc():
    from lgn2hw.frontend.model import LogicNet, NetConfig

    net = LogicNet(NetConfig(num_inputs=6, num_classes=2, widths=[8, 4], seed=0))
    return {"format": "lgn2hw-checkpoint", "version": 1, "lgn2hw_version": "0.1.0", "config": net.config.to_dict(),
            "state_dict": {k: v.clone() for k, v in net.state_dict().items()}, "cage": None, "input_encoding": None,
            "dataset": None, "metrics": []}


tensor_values = st.one_of(
    st.sampled_from([float("nan"), float("inf"), -1e30, 0.0]).map(lambda v: torch.full((8, 16), v)),
    st.just(torch.zeros(3, 3)), st.just(torch.zeros(8, 16, dtype=torch.complex64)), st.just(torch.arange(5)),
)


@given(config_key=st.sampled_from(["num_inputs", "num_classes", "widths", "tau", "estimator", "seed", "init"]),
       config_value=json_values, tensor=tensor_values, which=st.sampled_from(["config", "state", "format", "both"]))
def test_compile_of_malformed_checkpoints_keeps_the_promise(tmp_path_factory, config_key, config_value, tensor, which):
    work = tmp_path_factory.mktemp("ckpt")
    doc = _checkpoint_doc()
    if which in ("config", "both"):
        doc["config"][config_key] = config_value
    if which in ("state", "both"):
        name = sorted(doc["state_dict"])[0]
        doc["state_dict"][name] = tensor
    if which == "format":
        doc["version"] = config_value
    torch.save(doc, work / "m.pt")
    out = work / "out"
    result = CliRunner().invoke(main, ["compile", str(work / "m.pt"), "-o", str(out), "--check-vectors", "16"])
    _check_promise(result, work, out, {"m.pt"})


def _idx(dims, payload: bytes) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(int(d).to_bytes(4, "big") for d in dims) + payload


@given(header=st.binary(min_size=0, max_size=20), payload=st.binary(max_size=64), gz=st.booleans(),
       which=st.sampled_from(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                              "t10k-labels-idx1-ubyte"]))
def test_training_on_malformed_idx_files_keeps_the_promise(tmp_path_factory, monkeypatch, header, payload, gz, which):
    import lgn2hw.frontend.settings

    def no_training(*args, **kw):
        raise SystemExit(0)  # the data were read and accepted: that is all this test is about

    monkeypatch.setattr(lgn2hw.frontend.settings, "train", no_training)
    work = tmp_path_factory.mktemp("idx")
    data = work / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte": _idx((20, 28, 28), rng.integers(0, 256, 20 * 784, dtype=np.uint8).tobytes()),
             "train-labels-idx1-ubyte": _idx((20,), bytes(range(10)) * 2),
             "t10k-images-idx3-ubyte": _idx((10, 28, 28), rng.integers(0, 256, 10 * 784, dtype=np.uint8).tobytes()),
             "t10k-labels-idx1-ubyte": _idx((10,), bytes(range(10)))}
    files[which] = header + payload
    for name, content in files.items():
        (data / name).write_bytes(gzip.compress(content) if gz and name == which else content)
    out = work / "m.pt"
    result = CliRunner().invoke(main, ["train", "--dataset", "mnist", "--data-dir", str(data), "--no-checksums",
                                       "--layers", "1", "--width", "400", "--epochs", "1", "--no-progress", "-o", str(out)])
    _check_promise(result, work, out, {"mnist"})


option_values = st.one_of(st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e12", "99999999999999999999", "",
                                           "abc", "1.5", "-0", "0x10", "1_000"]), st.text(max_size=6))


@given(option=st.sampled_from(["--lr", "--tau", "--width", "--layers", "--epochs", "--batch-size", "--thresholds",
                               "--temperature", "--grad-factor", "--seed", "--limit-train"]), value=option_values)
def test_train_options_keep_the_promise(tmp_path_factory, monkeypatch, option, value):
    import lgn2hw.frontend.settings

    def no_training(*args, **kw):
        raise SystemExit(0)  # the options were accepted

    monkeypatch.setattr(lgn2hw.frontend.settings, "train", no_training)
    monkeypatch.setattr(lgn2hw.frontend.settings, "encode_dataset", lambda *a, **k: (_ for _ in ()).throw(SystemExit(0)))
    work = tmp_path_factory.mktemp("opt")
    out = work / "m.pt"
    result = CliRunner().invoke(main, ["train", "--preset", "tiny", "--no-progress", option, value, "-o", str(out)])
    _check_promise(result, work, out, set())


@given(option=st.sampled_from(["--check-vectors", "--pipeline", "--raw-bits", "--num-classes", "--num-inputs", "-O",
                               "--module-name"]), value=option_values)
def test_compile_options_keep_the_promise(tmp_path_factory, option, value):
    work = tmp_path_factory.mktemp("copt")
    source = work / "n.json"
    source.write_text(json.dumps(VALID))
    out = work / "out"
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(out), option, value])
    _check_promise(result, work, out, {"n.json"})


@pytest.mark.parametrize("args", [["--clock-mhz", "nan"], ["--clock-mhz", "inf"], ["--vectors", "0"], ["--part", "../x"]])
def test_export_options_are_one_line(tmp_path, args):
    source = tmp_path / "n.json"
    source.write_text(json.dumps(VALID))
    assert CliRunner().invoke(main, ["compile", str(source), "-o", str(tmp_path / "rtl")]).exit_code == 0
    out = tmp_path / "exp"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "rtl"), "--target", "vivado", "-o", str(out), *args])
    _check_promise(result, tmp_path, out, {"n.json", "rtl"})
    assert result.exit_code != 0
