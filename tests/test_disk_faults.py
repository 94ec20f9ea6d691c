"""I/O faults end in one line and leave nothing half-written: a full file system, a read-only one.

Needs a small tmpfs (mount, as root with the privilege to mount); skipped with the reason where that
is not allowed. Issue 15: disk full, read-only file systems and permission denied ended in tracebacks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import assert_one_line_error, invoke
from lgn2hw.ir.synthetic import random_layered


@pytest.fixture
def small_fs(tmp_path):
    """A 256 kB tmpfs; yields (its path, a function that remounts it read-only)."""
    mount = tmp_path / f"fs-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or done.returncode})")

    def read_only():
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    try:
        yield mount, read_only
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_compile_that_cannot_fit_is_refused_before_the_long_work(tmp_path, small_fs):
    mount, _ = small_fs
    source = tmp_path / "net.json"
    random_layered(64, 3, 4000, 4, seed=0).save(source)  # about 1 MB of netlist.json: does not fit
    result = invoke("compile", source, "-o", mount / "out")
    assert_one_line_error(result, "not enough free space", "needed", "free")
    assert "python hard inference" not in result.output and "agree" not in result.output  # no check ran
    assert list(mount.iterdir()) == []


def test_a_full_disk_during_the_write_is_one_line_and_leaves_nothing(tmp_path, small_fs, monkeypatch):
    """Where the estimate is wrong (here: forced to 0), the write itself fails and is still one line."""
    monkeypatch.setattr("lgn2hw.flows.compile.output_bytes_estimate", lambda raw, optimized: 0)
    mount, _ = small_fs
    source = tmp_path / "net.json"
    random_layered(64, 3, 4000, 4, seed=0).save(source)
    result = invoke("compile", source, "-o", mount / "out", "--check-vectors", 0)
    assert_one_line_error(result, "No space left on device")
    assert list(mount.iterdir()) == []


def test_a_full_disk_keeps_the_previous_build(tmp_path, small_fs, monkeypatch):
    mount, _ = small_fs
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    small.write_text(json.dumps({"format": "lgn2hw-netlist", "version": 1, "num_inputs": 3, "num_classes": 2,
                                 "gates": [[1, 0, 1], [6, 1, 2], [7, 3, 4]], "outputs": [3, 4, 5, 5]}))
    random_layered(64, 3, 4000, 4, seed=0).save(big)
    out = mount / "out"
    assert invoke("compile", small, "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert_one_line_error(invoke("compile", big, "-o", out, "--check-vectors", 0), "not enough free space")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    monkeypatch.setattr("lgn2hw.flows.compile.output_bytes_estimate", lambda raw, optimized: 0)
    assert_one_line_error(invoke("compile", big, "-o", out, "--check-vectors", 0), "No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".lgn2hw-staging")]


def test_a_checkpoint_that_cannot_fit_is_refused_before_training(tmp_path, small_fs):
    mount, _ = small_fs
    # 2 x 2,000 gates: 16 float32 logits + 2 int64 wires a gate = 320 kB of tensors > the 256 kB file system
    result = invoke("train", "--preset", "tiny", "--layers", "2", "--width", "2000", "--no-progress",
                    "-o", mount / "m.pt")
    assert_one_line_error(result, "m.pt", "not enough free space for the checkpoint")
    assert "epoch" not in result.output
    assert list(mount.iterdir()) == []


def test_an_export_that_cannot_fit_is_refused_with_its_size(tmp_path, small_fs):
    mount, _ = small_fs
    source, build = tmp_path / "net.json", tmp_path / "build"
    random_layered(64, 3, 4000, 4, seed=0).save(source)
    assert invoke("compile", source, "-o", build, "--check-vectors", 0).exit_code == 0
    result = invoke("export", build, "--target", "generic", "-o", mount / "generic")
    assert_one_line_error(result, "not enough free space", "kB needed", "free on its file system")
    assert list(mount.iterdir()) == []
    # the C library is smaller than the file system: fill it up with a file of the user's first
    filler = mount / "user-data.bin"
    filler.write_bytes(b"x" * (shutil.disk_usage(mount).free - 8192))
    result = invoke("export", build, "--target", "c", "-o", mount / "c")
    assert_one_line_error(result, "not enough free space for the C library")
    assert [p.name for p in mount.iterdir()] == ["user-data.bin"]


def test_a_read_only_file_system_is_one_line_before_any_work(tmp_path, small_fs):
    mount, read_only = small_fs
    read_only()
    source = tmp_path / "net.json"
    random_layered(16, 2, 40, 4, seed=0).save(source)
    assert_one_line_error(invoke("compile", source, "-o", mount / "out"), "out")
    assert_one_line_error(invoke("train", "--preset", "tiny", "-o", mount / "m.pt"), "m.pt")
    assert list(Path(mount).iterdir()) == []
