"""Writing outputs safely: whole or not at all, with the user's umask, never over a file lgn2hw did not write.

``atomic_file``: a file appears whole (temporary file beside it, then rename).

``output_dir``: a directory of outputs (compile, export, run, sweep). lgn2hw writes only into

* a path that does not exist yet (it creates the directory),
* an empty directory, or
* a directory it wrote before, recognised by its manifest ``.lgn2hw.json`` (the files it wrote there).

Anything else is refused with one line, unless ``force`` is given, and even then a file that lgn2hw did
not write is never replaced or deleted (a name clash is refused). A path that exists and is not a
directory (a file, a device, a FIFO) is refused untouched; a symlink to a directory is written through,
never replaced. The new files are staged in a hidden folder inside the directory and moved into place
in one short step with SIGINT/SIGTERM held back, so an interrupted command leaves the previous complete
set of outputs (or nothing, for a new directory). Files lgn2hw wrote earlier that the new set does not
contain (e.g. a verify.json of the RTL being replaced) are removed, and ``OutputDir.removed`` names
them. While a command writes a directory it holds an exclusive lock on it: a second command writing the
same directory is refused at once instead of mixing files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import OutputError

MANIFEST = ".lgn2hw.json"
STAGING_PREFIX = ".lgn2hw-staging-"
MANIFEST_FORMAT = "lgn2hw-output"


@cache
def umask() -> int:
    """The process umask (read once: os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~umask()


def dir_mode() -> int:
    return 0o777 & ~umask()


def os_error_text(exc: OSError) -> str:
    """'No space left on device' style text of an OSError, without the errno number."""
    return exc.strerror or str(exc)


# Room left beside an estimate: file-system blocks, the manifest, the staging folder's own entries.
FREE_SPACE_MARGIN = 16 << 10


def require_free_space(path: str | os.PathLike, need_bytes: int, what: str) -> None:
    """OutputError (one line, with both numbers) unless the file system that will hold ``path`` (or its
    nearest existing parent) has ``need_bytes`` plus a small margin free. Called before long work with
    the size of what a command is about to write (exact where the bytes are already in memory, an
    estimate otherwise), so a full disk is found before minutes of work instead of in the middle of a
    write. An unreadable file system (no statvfs) is not an error here: the write itself will tell."""
    target = Path(path)
    target = target.resolve() if target.is_symlink() else target
    try:
        free = shutil.disk_usage(_existing_parent(target.absolute())).free
    except OSError:
        return
    need = int(need_bytes) + FREE_SPACE_MARGIN
    if free < need:
        raise OutputError(f"{path}: not enough free space for {what}: about {format_bytes(need)} needed, "
                          f"{format_bytes(free)} free on its file system")


def claim_resumable_dir(outdir: str | os.PathLike, marker: str, doc: dict) -> None:
    """Make ``outdir`` the home of a resumable grid (sweep, explore) described by ``doc`` (``format`` and
    ``settings`` keys), marked by the JSON file ``marker`` in it.

    A directory that holds ``marker`` with the same ``format`` and ``settings`` is resumed (the rest of
    ``doc``, e.g. the grid, may grow between invocations: finished runs are reused); other settings, a
    foreign marker, or a non-empty directory without one are refused (ConfigError), and a path that
    is not a directory (a file, a device, a FIFO) is refused untouched (OutputError)."""
    from .errors import ConfigError

    outdir = Path(outdir)
    if (outdir.exists() or outdir.is_symlink()) and not outdir.is_dir():
        raise OutputError(f"{outdir}: exists and is not a directory; lgn2hw does not replace it (choose another -o)")
    path = outdir / marker
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} is unreadable ({exc}); use another output directory") from None
        if not isinstance(old, dict) or old.get("format") != doc["format"]:
            raise ConfigError(f"{path} is not an {doc['format']} file; use another output directory")
        old_settings = old.get("settings", {}) if isinstance(old.get("settings"), dict) else {}
        keys = sorted(set(old_settings) | set(doc["settings"]))
        diffs = [f"{k}: {old_settings.get(k)!r} there, {doc['settings'].get(k)!r} now"
                 for k in keys if old_settings.get(k) != doc["settings"].get(k)]
        if diffs:
            raise ConfigError(f"{outdir} holds a grid with other training settings ({'; '.join(diffs)}); "
                              "use the same settings to resume it, or another output directory")
    elif outdir.exists() and any(outdir.iterdir()):
        raise ConfigError(f"{outdir} exists, is not empty and holds no {marker}; use another output directory")
    outdir.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as handle:
        json.dump(doc, handle, indent=2, sort_keys=True)
        handle.write("\n")


def format_bytes(count: int) -> str:
    """1,536 -> '1.5 kB'; decimal units as df -H prints them."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w") -> Iterator:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block finishes.
    The file gets the mode a plain ``open`` would give it (0666 minus the umask)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the temporary name stays within the 255-byte file-name limit whatever the final name's length
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:120]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({os_error_text(exc)})") from None
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise OutputError(f"{path}: cannot write ({os_error_text(exc)})") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass
class OutputDir:
    """An output directory being written: stage files under ``staging``; when the ``output_dir`` block
    finishes, ``files`` lists what this command put in ``path``, ``removed`` the files of an earlier
    lgn2hw run that it removed, and ``created`` whether it made the directory."""

    path: Path
    staging: Path
    created: bool
    files: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def check_output_path(path: str | os.PathLike, kind: str, force: bool = False) -> Path:
    """Check, before any long work, that ``output_dir(path)`` will accept ``path``; returns the
    directory written (a symlink resolved). OutputError (one line) otherwise."""
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    if path.is_symlink() and not target.is_dir():
        raise OutputError(f"{path}: a symbolic link to something that is not a directory; lgn2hw does not replace it")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{path}: exists and is not a directory; lgn2hw does not replace it (choose another -o)")
    if target.is_dir():
        entries = [e for e in os.listdir(target) if not e.startswith(STAGING_PREFIX)]
        if entries and read_manifest(target) is None and not force:
            raise OutputError(
                f"{path}: exists, is not empty and was not written by lgn2hw; choose another -o, or use --force "
                "to write into it (files lgn2hw did not write are never replaced)")
        if not os.access(target, os.W_OK | os.X_OK):
            raise OutputError(f"{path}: directory is not writable")
    else:
        parent = _existing_parent(target)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(f"{path}: cannot create it ({parent} is not writable)")
    return target


def check_export_path(compiled_dir: str | os.PathLike, exportdir: str | os.PathLike, force: bool = False) -> Path:
    """``check_output_path(exportdir, "export", force)``, and ConfigError when ``exportdir`` is the compiled
    directory it is made from, or one of its parents (the export would replace its own source)."""
    from .errors import ConfigError

    src, dst = Path(compiled_dir).resolve(), Path(exportdir).resolve()
    if dst == src or dst in src.parents:
        raise ConfigError(f"export directory {exportdir} would replace the compiled directory {compiled_dir}: "
                          "choose another -o")
    return check_output_path(exportdir, "export", force)


def check_output_file(path: str | os.PathLike, is_ours, what: str) -> Path:
    """Check, before any long work, that ``path`` can be written as a single output file: its folder
    is writable, and an existing ``path`` is a regular file that lgn2hw wrote (``is_ours(path)``; e.g.
    an lgn2hw checkpoint). Never a directory, device, FIFO or someone else's file: OutputError."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise OutputError(f"{path}: exists and is not a regular file; lgn2hw does not replace it (choose another -o)")
        if not is_ours(path):
            raise OutputError(f"{path}: exists and is not {what} lgn2hw wrote; it is not replaced (choose another -o)")
        if not os.access(path, os.W_OK):
            raise OutputError(f"{path}: not writable")
    parent = _existing_parent(path.parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write into {parent} (permission denied)")
    return path


def read_manifest(directory: Path) -> dict | None:
    """The manifest of a directory lgn2hw wrote, or None (missing or not ours)."""
    try:
        doc = json.loads((Path(directory) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or not isinstance(doc.get("files"), list):
        return None
    return doc


def record_outputs(directory: str | os.PathLike, names: list[str], kind: str | None = None) -> None:
    """Add ``names`` (written into an lgn2hw directory by a later command, e.g. verify.json) to its
    manifest, so a later compile knows they are lgn2hw's own."""
    directory = Path(directory)
    doc = read_manifest(directory)
    if doc is None:
        return
    doc["files"] = sorted(set(doc["files"]) | set(names))
    if kind and kind not in doc.setdefault("writers", []):
        doc["writers"].append(kind)
    with atomic_file(directory / MANIFEST) as handle:
        handle.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")


@contextlib.contextmanager
def output_dir(path: str | os.PathLike, kind: str, force: bool = False) -> Iterator[OutputDir]:
    """Write a directory of outputs (module docstring): stage files under the yielded ``staging``;
    they become ``path``'s when the block finishes, and nothing changes when it raises."""
    given = Path(path)
    target = check_output_path(given, kind, force)
    created = not target.exists()
    try:
        if created:
            target.parent.mkdir(parents=True, exist_ok=True)
            # a new directory is built beside its final place and renamed into it: all or nothing
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name[:120]}.", suffix=".tmp", dir=target.parent))
            os.chmod(staging, dir_mode())
            lock_fd = _lock(staging, given)
        else:
            lock_fd = _lock(target, given)
            for stale in target.glob(STAGING_PREFIX + "*"):  # left by a killed run; we hold the lock
                shutil.rmtree(stale, ignore_errors=True)
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
            os.chmod(staging, dir_mode())
    except OSError as exc:
        raise OutputError(f"{given}: cannot write ({os_error_text(exc)})") from None
    out = OutputDir(target, staging, created)
    try:
        yield out
        with signals_held():
            if created:
                _commit_new(out, kind)
            else:
                _commit_existing(out, kind)
    except OSError as exc:
        raise OutputError(f"{given}: cannot write ({os_error_text(exc)})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(lock_fd)


def _commit_new(out: OutputDir, kind: str) -> None:
    out.files = _staged_files(out.staging)
    _write_manifest(out.staging, kind, out.files)
    target = out.path
    try:
        os.rename(out.staging, target)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputError(f"{target}: appeared while lgn2hw was writing it; nothing was written") from None
        raise


def _commit_existing(out: OutputDir, kind: str) -> None:
    staging, target = out.staging, out.path
    old = read_manifest(target)
    own = set(old["files"]) if old else set()
    new = _staged_files(staging)
    clashes = [name for name in new if (target / name).exists() and name not in own]
    if clashes:
        raise OutputError(f"{target / clashes[0]}: exists and was not written by lgn2hw; it is not replaced "
                          "(move it away or choose another -o)")
    (target / MANIFEST).unlink(missing_ok=True)  # from here until the new manifest: not a complete build
    for name in new:
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(staging / name, dest)
    for name in sorted(own - set(new)):
        stale = target / name
        if stale.is_file() or stale.is_symlink():
            stale.unlink()
            out.removed.append(name)
    for folder in sorted({str(Path(n).parent) for n in own - set(new) if "/" in n}, key=len, reverse=True):
        with contextlib.suppress(OSError):
            (target / folder).rmdir()  # only when empty: a user's file keeps its folder
    out.files = new
    _write_manifest(target, kind, new)


def _staged_files(staging: Path) -> list[str]:
    return sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file() or p.is_symlink())


def _write_manifest(directory: Path, kind: str, files: list[str]) -> None:
    doc = {"format": MANIFEST_FORMAT, "version": 1, "writers": [kind], "files": sorted(files)}
    with atomic_file(directory / MANIFEST) as handle:
        handle.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def _lock(directory: Path, given: Path) -> int:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputError(f"{given}: another lgn2hw command is writing it right now; try again when it has finished") from None
    return fd


def _existing_parent(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent
    return Path("/")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the short moment the files move into place."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError):  # not the main thread or no pthread_sigmask: best effort
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
