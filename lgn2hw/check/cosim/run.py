"""Running a verification: write the plan's files, start the children, read and check what they report.

verify_rtl is the library entry point: it plans the run (plan.py), writes every shard's vectors and
expected values, builds the RTL once in a child process (child.py) and runs the testbench in one child
per shard from that build, then merges the shards (merge.py). Anything that keeps a complete,
consistent result from coming back (compile error, crash, timeout, missing result file, failed test
without recorded mismatches), in any shard, raises ToolError: a verification never reports a pass it
did not see. Mismatches are not errors: they come back in the result and the caller decides.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ...errors import DataError, ToolError
from ...fsutil import atomic_file
from ...ir.build_dir import BuildOptions, RawInputs
from ...ir.netlist import Netlist
from ...resources import hw_tests_contract
from ...toolchain.process import Deadline, ToolTimeout, kill_group, start, wait_all
from ...toolchain.simulators import require_simulator
from ...toolchain.verilator import VerilatorInstall, runtime_cache_dir
from .child import status_path
from .merge import merge_shards, verify_result
from .plan import (
    BUILD_LOG,
    BUILD_SPEC,
    CONTROL_FILE,
    CosimJob,
    CosimOptions,
    Reference,
    ShardPlan,
    plan_cosim,
    reference,
    resolve_latency,
)
from .progress import SimulationProgress
from .result import VerifyResult
from .stimulus import as_raw, encode_raw
from .stimulus import port_bits as raw_port_bits

_LOG_TAIL = 3000


def verify_rtl(netlist: Netlist, rtl_files, bits: np.ndarray, *, work_dir, expected_scores: np.ndarray | None = None,
               port_bits: np.ndarray | None = None, options: CosimOptions | None = None, **keywords) -> VerifyResult:
    """Simulate ``rtl_files`` (top module ``module_name``) on ``bits`` and compare with the reference.

    ``bits`` is (vectors, num_inputs) of 0/1. Expected scores default to Simulator(netlist).scores(bits);
    the expected class is their argmax (lowest index on ties). Returns a VerifyResult whatever the
    comparison says; raises ToolError when the simulation itself fails or times out. How it simulates
    is a CosimOptions: ``options``, with any of its fields given as keywords instead or on top:

    - ``module_name`` ("lgn_top"); ``simulator``: "icarus" (iverilog + vvp) or "verilator"
      (find_verilator()); ``timeout_s`` (3600; None: no limit) covers the whole verification, build
      and every shard; ``max_report`` (10): mismatching vectors described in full.
    - ``jobs`` (1): the vectors are split into this many disjoint shards (at most one per vector),
      simulated in parallel by separate processes from one build; None takes default_jobs(). Counts add
      up, first_mismatches are the lowest caller indices over all shards. A pipelined testbench runs
      its stream (gaps, resets) per shard, with seed ``seed + shard`` (``seed``: 1).
    - ``reorder`` (True): drive the vectors in a low-switching order (the module is combinational, so
      the order cannot change any result, but Icarus's work per vector grows with the toggling
      signals); shards are consecutive runs of that order. Mismatches are always reported by their
      index in ``bits``, lowest first.
    - ``latency``: the module's LATENCY in cycles; None takes it from the netlist metadata
      ("pipeline": N as `lgn2hw compile --pipeline N` stores it; absent: 0). With a latency > 0 the
      clocked testbench hw_tests/tb_lgn_top_pipelined.py runs (back-to-back and gapped streams,
      mid-stream resets, stimulus pattern from ``seed``).
    - ``input_port`` ("in_bits") with ``port_bits`` (vectors, width) of 0/1: what the testbench drives
      instead of ``bits``: the raw-input front end takes raw features on ``in_features`` while
      ``bits`` (their encoding) still gives the expected values (verify_raw_rtl).
    - ``waves_file``: build with waveform dumping on and copy the waveform there (Icarus: FST,
      Verilator: VCD); meant for a few vectors (one shard). result.waves names it.
    """
    started = time.perf_counter()
    options = dataclasses.replace(options or CosimOptions(), **keywords)
    deadline = Deadline.after(options.timeout_s)
    install = require_simulator(options.simulator)
    latency = resolve_latency(netlist, options.latency)
    ref = reference(netlist, bits, expected_scores, port_bits)
    rtl = [Path(p).resolve() for p in ([rtl_files] if isinstance(rtl_files, (str, os.PathLike)) else rtl_files)]
    for path in rtl:
        if not path.is_file():
            raise DataError(f"{path}: no such RTL file")
    work = Path(work_dir).resolve()
    verilator = install if isinstance(install, VerilatorInstall) else None
    cache = runtime_cache_dir(verilator, options.waves_file is not None) if verilator else None
    public = os.environ.get("LGN2HW_VERILATOR_PUBLIC") == "1"  # 1: every signal visible to VPI (slower)
    job = plan_cosim(netlist, rtl, ref, options, install, work, latency=latency, cache=cache, public_signals=public)

    _write_files(job, ref)
    contract = hw_tests_contract()
    progress = SimulationProgress(ref.vectors, job.simulator, [shard.file(contract.PROGRESS_FILE) for shard in job.shards])
    try:
        build_seconds, shard_docs = _simulate(job, install.child_env(os.environ), deadline, progress.tick)
    finally:
        progress.close()
    merged = merge_shards(shard_docs, options.max_report, netlist.num_classes)
    if merged["vectors"] != ref.vectors:
        raise ToolError(f"{job.simulator}: incomplete result ({merged['vectors']} of {ref.vectors} vectors)")
    if job.waves is not None:
        if not job.waves.is_file():
            raise _log_error(f"{job.simulator}: the simulation wrote no waveform file {job.waves.name}", job.log, tail=False)
        with open(job.waves, "rb") as src, atomic_file(options.waves_file, "wb") as dest:
            shutil.copyfileobj(src, dest)
    return verify_result(job, options, netlist, ref, merged, shard_docs, verilator=verilator, build_seconds=build_seconds,
                         seconds=time.perf_counter() - started)


def verify_raw_rtl(netlist: Netlist, rtl_files, raw: np.ndarray, *, work_dir, spec: RawInputs | None = None,
                   options: CosimOptions | None = None, **keywords) -> VerifyResult:
    """verify_rtl for a raw-input build: drives ``raw`` (V, F) on ``in_features``; expected values from
    encode_raw() + the netlist simulator. ``spec`` defaults to the netlist metadata's raw port; the
    latency to the metadata's pipeline depth + 1 (the comparator stage) unless one is given."""
    if spec is None:
        spec = BuildOptions.from_netlist(netlist, "netlist").raw_inputs
        if spec is None:
            raise DataError("netlist metadata has no 'raw_inputs' entry: not a raw-input build")
    raw = as_raw(raw, spec)
    options = dataclasses.replace(options or CosimOptions(), input_port=spec.port, **keywords)
    if options.latency is None:
        from ...backend.verilog import pipeline_latency

        latency = pipeline_latency(netlist, netlist.metadata.get("pipeline", 0), raw_inputs=True)
        options = dataclasses.replace(options, latency=latency)
    return verify_rtl(netlist, rtl_files, encode_raw(netlist, raw), work_dir=work_dir,
                      port_bits=raw_port_bits(raw, spec), options=options)


def _write_files(job: CosimJob, ref: Reference) -> None:
    """Clear an earlier run's outputs in the work directory and write every file the plan names."""
    contract = hw_tests_contract()
    work = job.work_dir
    work.mkdir(parents=True, exist_ok=True)
    for stale in [job.log, work / BUILD_LOG, *(d for d in work.glob("shard*") if re.fullmatch(r"shard\d+", d.name))]:
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    if job.waves is not None:
        job.waves.unlink(missing_ok=True)
    if job.control is not None:
        (work / CONTROL_FILE).write_text(job.control)
    stages = ("build", "test") if not job.sharded else ("test",)
    if job.sharded:
        _write_json(work / BUILD_SPEC, job.child_spec(("build",)))
    for shard in job.shards:
        shard.directory.mkdir(parents=True, exist_ok=True)
        for name in (contract.RESULT_FILE, contract.RESULTS_XML, contract.PROGRESS_FILE):
            shard.file(name).unlink(missing_ok=True)
        shard.log.unlink(missing_ok=True)
        np.save(shard.file(contract.VECTORS_FILE), np.packbits(ref.drive[shard.rows], axis=1, bitorder="little"))
        np.save(shard.file(contract.SCORES_FILE), ref.scores[shard.rows])
        np.save(shard.file(contract.CLASS_FILE), ref.classes[shard.rows])
        np.save(shard.file(contract.INDEX_FILE), shard.rows.astype(np.int64))
        _write_json(shard.spec, job.child_spec(stages, shard))


def _write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=1) + "\n")


def _simulate(job: CosimJob, env: dict, deadline: Deadline, on_tick=None) -> tuple[float, list[dict]]:
    """Run the children the plan describes; the build time and every shard's checked result.
    ``on_tick()`` is called about twice a second while they run (progress)."""
    try:
        if not job.sharded:  # build and test in one child: one Python start-up fewer
            shard = job.shards[0]
            _, status = _run_child(shard.spec, shard.log, env, deadline, on_tick)
            _check_build(status, job, shard.log)
            return float(status.get("build_seconds", 0.0)), [_read_shard(shard, job.simulator)]
        # build once, then every shard tests against that build in parallel
        build_log = job.work_dir / BUILD_LOG
        proc, status = _run_child(job.work_dir / BUILD_SPEC, build_log, env, deadline, on_tick)
        _check_build(status, job, build_log)
        if not status.get("done"):
            raise _log_error(f"{job.simulator}: the build process failed with exit status {proc.returncode}", build_log)
        procs: list[subprocess.Popen] = []
        try:
            for shard in job.shards:
                procs.append(_start_child(shard.spec, shard.log, env))
        except BaseException:
            for started in procs:
                kill_group(started)
            raise
        _wait(procs, deadline, job.log, on_tick)
        docs = []
        for shard, proc in zip(job.shards, procs):
            _child_status(shard.spec, proc, shard.log, shard.label)  # raises if the shard was killed by a signal
            docs.append(_read_shard(shard, job.simulator))
        return float(status.get("build_seconds", 0.0)), docs
    finally:
        if job.sharded:
            _combine_logs(job.log, job.work_dir / BUILD_LOG, [(shard.label, shard.log) for shard in job.shards])


def _start_child(spec_path: Path, log_path: Path, env: dict) -> subprocess.Popen:
    """Start child.main in a fresh Python, in its own process group (a timeout kills the simulator too)."""
    env = dict(env)
    env.pop("PYTEST_CURRENT_TEST", None)  # under pytest the runner would sys.exit() on a failed test
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    status_path(spec_path).unlink(missing_ok=True)
    return start([sys.executable, "-m", "lgn2hw.check.cosim.child", str(spec_path)], env=env, log=log_path)


def _run_child(spec_path: Path, log_path: Path, env: dict, deadline: Deadline, on_tick=None) -> tuple[subprocess.Popen, dict]:
    """Start one child on ``spec_path``, wait for it within the deadline, and return it with its status."""
    proc = _start_child(spec_path, log_path, env)
    _wait([proc], deadline, log_path, on_tick)
    return proc, _child_status(spec_path, proc, log_path)


def _wait(procs: list[subprocess.Popen], deadline: Deadline, log: Path, on_tick=None) -> None:
    """Wait for the children; past the deadline they are killed and ToolError names ``log``."""
    try:
        wait_all(procs, deadline, what="simulation", on_tick=on_tick)
    except ToolTimeout as exc:
        raise _log_error(str(exc), log, tail=False) from None


def _child_status(spec_path: Path, proc: subprocess.Popen, log: Path, label: str = "the simulation") -> dict:
    try:
        status = json.loads(status_path(spec_path).read_text())
    except (OSError, ValueError):
        status = {}
    if proc.returncode != 0 and status.get("stage") != "build":
        if proc.returncode < 0:
            raise _log_error(f"{label} was killed by signal {-proc.returncode}", log)
        status.setdefault("stage", "test")
        status["returncode"] = proc.returncode
    return status


def _check_build(status: dict, job: CosimJob, log: Path) -> None:
    if status.get("stage") == "build":
        raise _log_error(f"{job.simulator}: compiling {', '.join(p.name for p in job.rtl)} failed", log)


def _read_shard(shard: ShardPlan, simulator: str) -> dict:
    """The testbench's result for one shard, checked to be complete and consistent with results.xml."""
    from cocotb_tools.runner import get_results

    contract = hw_tests_contract()
    label, log, count = shard.label, shard.log, len(shard.rows)  # the log's tail is read only for a message
    result = shard.file(contract.RESULT_FILE)
    if not result.is_file():
        raise _log_error(f"{simulator}: {label} wrote no result file (testbench error or simulator crash)", log)
    tb = json.loads(result.read_text())
    try:
        num_tests, num_failed = get_results(shard.file(contract.RESULTS_XML))
    except (RuntimeError, OSError, ValueError) as exc:
        raise ToolError(f"no readable cocotb results file {shard.file(contract.RESULTS_XML)} ({exc}):\n{_tail(log)}") from None
    if not tb.get("complete") or tb.get("vectors") != count:
        raise ToolError(f"{simulator}: {label}: incomplete result ({tb.get('vectors')} of {count} vectors)")
    mismatches = int(tb["mismatches"])
    valid_errors = tb.get("out_valid_errors", [])
    if num_failed and not (mismatches or valid_errors):
        raise _log_error(f"{simulator}: {label}: the cocotb test failed without recording a mismatch", log)
    if not num_failed and (mismatches or valid_errors):
        raise ToolError(f"{simulator}: {label}: inconsistent result: mismatches recorded but the test passed")
    if num_tests < 1:
        raise _log_error(f"{simulator}: {label}: no cocotb test ran", log)
    return tb


def _log_error(message: str, log: Path, tail: bool = True) -> ToolError:
    """A ToolError naming the log (and quoting its tail); its summary is ``message`` alone."""
    text = f"{message} (log {log})" + (f":\n{_tail(log)}" if tail else "")
    return ToolError(text, log=log, summary=message)


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-_LOG_TAIL:]


def _combine_logs(path: Path, build_log: Path, shard_logs: list[tuple[str, Path]]) -> None:
    with open(path, "w") as out:
        for title, log in [("build", build_log), *shard_logs]:
            if log.is_file():
                out.write(f"===== {title} ({log}) =====\n")
                out.write(log.read_text(errors="replace"))
                out.write("\n")
