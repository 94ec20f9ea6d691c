"""``lgn2hw export --target c`` and ``lgn2hw predict`` through the CLI: the exported folder builds and its
example passes (both variants, and the single-sample variant alone at -Os), byte-identical exports,
predictions against the simulator, the fallback without a compiler, and bad input (one Error: line,
nothing written)."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from helpers import assert_one_line_error, invoke
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.ir.synthetic import random_layered

HAVE_MAKE_AND_CC = shutil.which("make") is not None and (shutil.which("cc") or shutil.which("gcc")) is not None


def _compiled(root, name: str, netlist: Netlist):
    """A compiled directory as far as the C back end reads one: a netlist.json."""
    folder = root / name
    folder.mkdir()
    netlist.save(folder / "netlist.json")
    return folder


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("cbuilds")
    enc = ThresholdEncoding.thermometer(100, 3)
    encoded = random_layered(enc.num_bits, 3, [200, 150, 120], 6, seed=1)
    encoded.input_encoding = enc.to_json()
    plain = random_layered(40, 2, [50, 30], 3, seed=2)  # no input encoding: packed bits only
    big = random_layered(64, 1, [70000], 7, seed=3)  # more signals than 16-bit ids hold
    return {"encoded": _compiled(root, "encoded", encoded), "plain": _compiled(root, "plain", plain),
            "big": _compiled(root, "big", big)}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LGN2HW_CACHE_DIR", str(tmp_path / "cache"))


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _make(folder, *targets: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(folder), *targets], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.mark.skipif(not HAVE_MAKE_AND_CC, reason="needs make and a C compiler")
def test_exported_folder_builds_and_its_example_checks_every_function(builds, tmp_path):
    out = tmp_path / "c"
    result = invoke("export", builds["encoded"], "--target", "c", "-o", out, "--vectors", 9)
    assert result.exit_code == 0, result.output
    assert "batch + single-sample variants" in result.output and "lgn_predict_raw" in result.output
    exported = _files(out)
    assert sorted(exported) == [".lgn2hw.json", "Makefile", "README.md", "example.c", "lgn_model.c", "lgn_model.h"]
    run = _make(out, "check")
    assert run.returncode == 0, run.stdout + run.stderr
    for entry in ("lgn_predict_raw", "lgn_predict_bits", "lgn_classify_raw", "lgn_classify_bits"):
        assert f"{entry}".ljust(18) + " 9/9 samples match" in run.stdout, run.stdout
    again = tmp_path / "c2"
    assert invoke("export", builds["encoded"], "--target", "c", "-o", again, "--vectors", 9).exit_code == 0
    assert _files(again) == exported  # deterministic


@pytest.mark.skipif(not HAVE_MAKE_AND_CC, reason="needs make and a C compiler")
def test_single_sample_variant_alone_and_packed_bits_only(builds, tmp_path):
    out = tmp_path / "single"
    assert invoke("export", builds["encoded"], "--target", "c", "--c-variant", "single", "-o", out).exit_code == 0
    assert "predict" not in (out / "lgn_model.h").read_text().split("extern const char")[1]
    run = _make(out, "check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lgn_classify_raw   16/16 samples match" in run.stdout and "lgn_predict" not in run.stdout
    size = _make(out, "mcu")
    assert size.returncode == 0 and "lgn_model_mcu.o" in size.stdout, size.stdout + size.stderr
    plain = tmp_path / "plain"
    assert invoke("export", builds["plain"], "--target", "c", "-o", plain).exit_code == 0
    header = (plain / "lgn_model.h").read_text()
    assert "#define LGN_HAS_RAW 0" in header and "_raw" not in header.split("extern const char")[1]
    run = _make(plain, "check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("16/16 samples match") == 2


def test_predict_on_an_npy_matches_the_simulator_and_saves_class_ids(builds, tmp_path):
    netlist = Netlist.load(builds["encoded"] / "netlist.json")
    enc = ThresholdEncoding.from_json(netlist.input_encoding)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (700, 100), dtype=np.uint8)
    expected = np.argmax(Simulator(netlist).scores(enc.encode(x)), axis=1)
    labels = expected.copy()
    labels[:70] = (labels[:70] + 1) % 6  # 90 % of the labels agree with the network
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", labels)
    out = tmp_path / "classes.npy"
    for engine, name in (("c", "with C"), ("numpy", "with numpy")):
        result = invoke("predict", builds["encoded"], "--npy", tmp_path / "x.npy", "--labels", tmp_path / "y.npy",
                        "--engine", engine, "--check", "-o", out)
        assert result.exit_code == 0, result.output
        assert name in result.output and "accuracy 90.00 %" in result.output
        np.testing.assert_array_equal(np.load(out), expected)
    assert "every score == the numpy simulator" in invoke(
        "predict", builds["encoded"], "--npy", tmp_path / "x.npy", "--check").output


def test_predict_without_a_c_compiler_falls_back_to_the_simulator(builds, tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.zeros((10, 100), dtype=np.uint8))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("CC", raising=False)
    result = invoke("predict", builds["encoded"], "--npy", tmp_path / "x.npy")
    assert result.exit_code == 0, result.output
    assert "no C compiler found" in result.output and "using the numpy simulator" in result.output
    assert "with numpy" in result.output
    assert_one_line_error(invoke("predict", builds["encoded"], "--npy", tmp_path / "x.npy", "--engine", "c"),
                          "no C compiler found")


def test_bad_input_gives_one_error_line_and_writes_nothing(builds, tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.zeros((10, 100), dtype=np.uint8))
    out = tmp_path / "out"
    assert_one_line_error(invoke("export", builds["big"], "--target", "c", "--c-variant", "single", "-o", out),
                          "65,535", "--c-variant batch")
    assert_one_line_error(invoke("export", builds["encoded"], "--target", "c", "--part", "x", "-o", out),
                          "--part does not apply to --target c")
    assert_one_line_error(invoke("export", builds["encoded"], "--target", "vivado", "--c-variant", "batch", "-o", out),
                          "--c-variant applies to --target c only")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_one_line_error(invoke("export", builds["encoded"], "--target", "c", "-o", blocker), "is a file")
    assert_one_line_error(invoke("export", builds["encoded"], "--target", "c", "-o", blocker / "sub"), str(blocker))
    assert not out.exists() and blocker.read_text() == "not a directory"
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep")
    assert_one_line_error(invoke("export", builds["encoded"], "--target", "c", "-o", theirs), "was not written by lgn2hw")
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    assert_one_line_error(invoke("predict", builds["encoded"], "--npy", tmp_path / "x.npy", "--engine", "numpy",
                                 "-o", blocker / "classes.npy"), "cannot write")
    assert_one_line_error(invoke("predict", builds["plain"], "--npy", tmp_path / "x.npy"), "no input_encoding")
    np.save(tmp_path / "floats.npy", np.zeros((3, 100)))
    assert_one_line_error(invoke("predict", builds["encoded"], "--npy", tmp_path / "floats.npy"), "uint8")
    assert_one_line_error(invoke("predict", builds["encoded"], "--npy", tmp_path / "missing.npy"), "no such file")
    assert_one_line_error(invoke("predict", builds["encoded"]), "records no data set")
    monkeypatch.setenv("CC", "false")  # a "compiler" that fails
    assert_one_line_error(invoke("predict", builds["encoded"], "--npy", tmp_path / "x.npy"),
                          "false failed (exit 1) compiling the C library")
    assert not (tmp_path / "cache" / "c").exists() or not any((tmp_path / "cache" / "c").iterdir())
