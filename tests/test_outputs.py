"""Output directories and files (fsutil): never lose a user's file, all or nothing, the user's umask.

Regression tests for issue 15: ``compile -o DIR`` replaced DIR whole (notes and earlier results gone),
``-o /dev/null`` turned /dev/null into a directory, a FIFO hung, a symlink was replaced, files were
written 0600, two writers raced.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat

import pytest

from lgn2hw import fsutil
from lgn2hw.errors import OutputError
from lgn2hw.fsutil import MANIFEST, output_dir
from helpers import assert_one_line_error, invoke


def _write(out, files: dict[str, str]):
    for name, text in files.items():
        path = out.staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_new_directory_is_created_whole_with_a_manifest(tmp_path):
    target = tmp_path / "new"
    with output_dir(target, "compile") as out:
        _write(out, {"a.v": "1", "sub/b.json": "2"})
        assert not target.exists()  # nothing visible until the block finishes
    assert (target / "a.v").read_text() == "1" and (target / "sub/b.json").read_text() == "2"
    assert json.loads((target / MANIFEST).read_text())["files"] == ["a.v", "sub/b.json"]
    assert out.created and out.files == ["a.v", "sub/b.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]  # no staging folder left


def test_failure_leaves_nothing_new_and_the_old_outputs_whole(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with output_dir(target, "compile") as out:
            _write(out, {"a.v": "1"})
            raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with output_dir(target, "compile") as out:
        _write(out, {"a.v": "old"})
    with pytest.raises(RuntimeError):
        with output_dir(target, "compile") as out:
            _write(out, {"a.v": "new"})
            raise RuntimeError("boom")
    assert (target / "a.v").read_text() == "old"
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "a.v"]


def test_rewrite_replaces_own_files_keeps_the_users_and_reports_stale_ones(tmp_path):
    target = tmp_path / "out"
    with output_dir(target, "compile") as out:
        _write(out, {"a.v": "1", "verify.json": "{}"})
    (target / "notes.txt").write_text("mine")
    with output_dir(target, "compile") as out:
        _write(out, {"a.v": "2"})
    assert (target / "a.v").read_text() == "2" and (target / "notes.txt").read_text() == "mine"
    assert not (target / "verify.json").exists() and out.removed == ["verify.json"]
    assert json.loads((target / MANIFEST).read_text())["files"] == ["a.v"]


def test_foreign_directory_is_refused_unless_forced_and_its_files_are_never_replaced(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "a.v").write_text("hand-written")
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by lgn2hw"):
        with output_dir(target, "compile"):
            pass
    with pytest.raises(OutputError, match="a.v: exists and was not written by lgn2hw"):
        with output_dir(target, "compile", force=True) as out:
            _write(out, {"a.v": "generated"})
    assert (target / "a.v").read_text() == "hand-written" and not (target / MANIFEST).exists()
    with output_dir(target, "compile", force=True) as out:
        _write(out, {"b.v": "generated"})
    assert (target / "a.v").read_text() == "hand-written" and (target / "b.v").read_text() == "generated"


@pytest.mark.parametrize("kind", ["file", "fifo", "symlink-to-file", "dangling-symlink"])
def test_a_path_that_is_not_a_directory_is_refused_untouched(tmp_path, kind):
    path = tmp_path / "x"
    other = tmp_path / "other.txt"
    other.write_text("keep")
    if kind == "file":
        path.write_text("keep")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-to-file":
        path.symlink_to(other)
    else:
        path.symlink_to(tmp_path / "missing")
    before = os.lstat(path)
    with pytest.raises(OutputError):
        with output_dir(path, "compile"):
            pass
    after = os.lstat(path)
    assert (before.st_mode, before.st_ino) == (after.st_mode, after.st_ino) and other.read_text() == "keep"


def test_dev_null_is_refused_through_the_cli(tmp_path):
    result = invoke("compile", tmp_path / "missing.json", "-o", "/dev/null")
    assert_one_line_error(result, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_symlink_to_a_directory_is_written_through(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with output_dir(link, "export") as out:
        _write(out, {"a.v": "1"})
    assert link.is_symlink() and (real / "a.v").read_text() == "1"


def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path):
    target = tmp_path / "out"
    with output_dir(target, "compile") as out:
        _write(out, {"a.v": "1"})
    fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running lgn2hw command holds
        with pytest.raises(OutputError, match="another lgn2hw command is writing it"):
            with output_dir(target, "compile"):
                pass
    finally:
        os.close(fd)
    assert (target / "a.v").read_text() == "1"


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o002, 0o664, 0o775), (0o077, 0o600, 0o700)])
def test_outputs_honour_the_umask(tmp_path, monkeypatch, mask, file_mode, dir_mode):
    old = os.umask(mask)
    fsutil.umask.cache_clear()
    try:
        with output_dir(tmp_path / "out", "compile") as out:
            _write(out, {"a.v": "1"})
        with fsutil.atomic_file(tmp_path / "single.json") as handle:
            handle.write("{}")
    finally:
        os.umask(old)
        fsutil.umask.cache_clear()
    assert stat.S_IMODE(os.stat(tmp_path / "out").st_mode) == dir_mode
    assert stat.S_IMODE(os.stat(tmp_path / "out" / MANIFEST).st_mode) == file_mode
    assert stat.S_IMODE(os.stat(tmp_path / "single.json").st_mode) == file_mode


def test_a_read_only_directory_is_one_line_before_any_work(tmp_path, netlist_doc_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only directories")
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    result = invoke("compile", netlist_doc_path, "-o", ro / "out")
    assert_one_line_error(result, "not writable")


def test_train_refuses_to_overwrite_a_file_it_did_not_write_before_training(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    result = invoke("train", "--preset", "tiny", "--no-progress", "-o", notes)
    assert_one_line_error(result, "notes.txt", "not a checkpoint lgn2hw wrote")
    assert notes.read_text() == "mine"


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_sweep_refuses_an_output_that_is_not_a_directory(tmp_path, kind):
    path = tmp_path / "x"
    if kind == "file":
        path.write_text("keep")
    else:
        os.mkfifo(path)
    result = invoke("sweep", "--preset", "tiny", "--no-plots", "--no-progress", "-o", path)
    assert_one_line_error(result)
    assert os.path.exists(path) and (kind != "file" or path.read_text() == "keep")
