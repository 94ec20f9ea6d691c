"""Running external tools: deadlines, process groups, and killing what we started.

Every external program lgn2hw runs (Yosys, ABC, iverilog/vvp, Verilator, nextpnr, the cocotb child
processes) starts here, in a process group of its own, so that a timeout or an interrupt stops the
tool *and* everything it started (make, the C++ compiler, the simulator). The children that are still
running are tracked, so that a signal handler can stop them all (``kill_all``) before the command
exits. A deadline is an absolute point on the monotonic clock; ``None`` means no limit.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError

_LIVE: set[subprocess.Popen] = set()  # children started here and not yet reaped
_LIVE_LOCK = threading.Lock()


class ToolTimeout(ToolError):
    """A tool was still running when its deadline passed; it and its process group were killed."""


@dataclass(frozen=True)
class Deadline:
    """An absolute time limit (``time.monotonic()`` seconds), or none (``at`` is None)."""

    at: float | None = None
    seconds: float | None = None  # the limit as the user gave it, for messages

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        if seconds is None:
            return cls()
        return cls(time.monotonic() + float(seconds), float(seconds))

    def remaining(self) -> float | None:
        """Seconds left (>= 0), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


@dataclass(frozen=True)
class ToolRun:
    """A finished tool run: exit status, its stdout and stderr together, and how long it took."""

    returncode: int
    output: str
    seconds: float


def start(argv: list[str], *, cwd=None, env: dict | None = None, log: Path | None = None, text: bool = True) -> subprocess.Popen:
    """Start ``argv`` in a new process group (stdout + stderr to ``log``, or to a pipe); tracked until
    reaped. ToolError when the program cannot be started."""
    try:
        if log is not None:
            with open(log, "w") as handle:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        else:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, text=text, start_new_session=True)
    except OSError as exc:
        raise ToolError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    with _LIVE_LOCK:
        _LIVE.add(proc)
    return proc


def kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every process of its group, then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate() if proc.stdout is not None else proc.wait()
    except (OSError, ValueError):
        proc.wait()
    _forget(proc)


def kill_all() -> int:
    """Kill every child still running (for signal handlers and interrupted commands); returns how many."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        kill_group(proc)
    return len(procs)


def live_children() -> int:
    """How many started children have not been reaped yet."""
    with _LIVE_LOCK:
        return len(_LIVE)


def _forget(proc: subprocess.Popen) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(proc)


def run(argv: list[str], *, what: str | None = None, deadline: Deadline | None = None, cwd=None,
        env: dict | None = None) -> ToolRun:
    """Run ``argv`` to its end and return its exit status and output (no exception for a non-zero
    status: the caller knows what a failure means). Past ``deadline`` the process group is killed and
    ToolTimeout raised; an interrupt (KeyboardInterrupt, or any exception) kills it too."""
    deadline = deadline or Deadline()
    what = what or Path(argv[0]).name
    remaining = deadline.remaining()
    if remaining is not None and remaining <= 0:
        raise ToolTimeout(f"time limit reached before {what}")
    t0 = time.monotonic()
    proc = start(argv, cwd=cwd, env=env)
    try:
        out, _ = proc.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise ToolTimeout(f"{what} still running when the time limit was reached") from None
    except BaseException:
        kill_group(proc)
        raise
    _forget(proc)
    return ToolRun(proc.returncode, out or "", time.monotonic() - t0)


def run_parallel(jobs: dict[str, list[str]], *, deadline: Deadline | None = None, cwd=None) -> dict[str, ToolRun]:
    """Run independent tools at the same time; {name: ToolRun}. On a timeout (ToolTimeout) or any
    exception every one of them is killed."""
    deadline = deadline or Deadline()
    t0 = time.monotonic()
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, argv in jobs.items():
            procs[name] = start(argv, cwd=cwd)
        outputs = {}
        for name, proc in procs.items():
            try:
                outputs[name], _ = proc.communicate(timeout=deadline.remaining())
            except subprocess.TimeoutExpired:
                raise ToolTimeout(f"{name} still running when the time limit was reached") from None
            _forget(proc)
    except BaseException:
        for proc in procs.values():
            if proc.poll() is None or proc in _LIVE:
                kill_group(proc)
        raise
    seconds = time.monotonic() - t0
    return {name: ToolRun(proc.returncode, outputs[name] or "", seconds) for name, proc in procs.items()}


def wait_all(procs: list[subprocess.Popen], deadline: Deadline | None = None, what: str = "the tools",
             on_tick=None, tick_s: float = 0.5) -> None:
    """Wait for children started with ``start(..., log=...)``; past the deadline, or on any exception,
    kill them all (ToolTimeout for the deadline). ``on_tick()`` is called every ``tick_s`` while they
    run (a progress display)."""
    deadline = deadline or Deadline()
    try:
        for proc in procs:
            while True:
                remaining = deadline.remaining()
                wait = remaining if on_tick is None else (tick_s if remaining is None else min(tick_s, remaining))
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    if deadline.expired:
                        limit = f" after {deadline.seconds:g} s" if deadline.seconds is not None else ""
                        raise ToolTimeout(f"{what} timed out{limit}") from None
                    on_tick()
            _forget(proc)
    except BaseException:
        for proc in procs:
            kill_group(proc)
        raise


def command_output(argv: list[str], timeout: float = 60.0) -> str:
    """stdout + stderr of a short command (a version query); the error text when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    return done.stdout + done.stderr


def require_tools(tools, package: str, purpose: str = "") -> list[str]:
    """Paths of ``tools`` on PATH; ToolError naming the Debian package when any is missing."""
    paths = [shutil.which(t) for t in tools]
    missing = [t for t, p in zip(tools, paths) if p is None]
    if missing:
        why = f": {purpose}" if purpose else ""
        raise ToolError(
            f"{' and '.join(missing)} not found on PATH{why}: install the Debian package '{package}' "
            f"(apt-get install -y {package})"
        )
    return paths


def version_tuple(text: str | None) -> tuple[int, int] | None:
    """(major, minor) of the first ``N.M`` in ``text``, or None."""
    match = re.search(r"(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None
