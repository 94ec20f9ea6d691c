"""Verify a compiled directory: simulate its RTL against the netlist simulator, write verify.json and friends.

``lgn2hw verify`` and ``lgn2hw run`` call verify_build. It opens the directory with BuildDir (module
name, pipeline depth and raw-input port come typed from there), assembles the stimulus, runs
lgn2hw.check.cosim.verify_rtl, and keeps the simulator log beside the outputs; on a mismatch it also
writes the markdown report and a waveform of the first failing vectors re-simulated alone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..backend.verilog import pipeline_latency
from ..backend.verilog.primitives import models_name, primitive_models
from ..check.cosim import CosimOptions, VectorLabels, VerifyResult, mismatch_report, verify_rtl
from ..check.cosim.plan import DEFAULT_TIMEOUT_S
from ..check.cosim.stimulus import binary_stimulus, encode_raw, port_bits, raw_stimulus, stimulus_counts
from ..errors import ConfigError, Lgn2hwError, ToolError
from ..fsutil import atomic_file, record_outputs
from ..ir.build_dir import VERIFY_FILE, VERIFY_LOG, VERIFY_REPORT, VERIFY_WAVES, BuildDir
from ..toolchain.simulators import WAVE_SUFFIX, require_simulator

WAVE_VECTORS = 8  # failing vectors a mismatch waveform re-simulates


def verify_build(
    outdir: str | os.PathLike,
    vectors: int | None = None,
    random_vectors: int = 0,
    seed: int = 0,
    data_dir=None,
    simulator: str = "icarus",
    work_dir: str | os.PathLike | None = None,
    jobs: int | None = 1,
    corners: bool = False,
    timeout_s: float | None = None,
) -> VerifyResult:
    """Simulate a compiled directory's RTL and compare every class score and class_id with the netlist
    simulator. Writes ``verify.json`` (and ``verify.log``) into ``outdir``.

    Stimulus, in this order: the first ``vectors`` vectors of the encoded test set (all of it when
    None; none when 0; only when the netlist names a readable data set), ``random_vectors`` uniform
    random vectors (``seed``; with no test set and 0 asked for: ``vectors`` or 1000), and with
    ``corners`` the corner vectors (all zeros, all ones, one-hot). A raw-input build
    (``compile --raw-inputs``) drives raw features instead: the raw test samples, random raw vectors
    and its threshold corner vectors (always). verify.json's extra["stimulus_counts"] counts each kind.

    On a mismatch it also writes ``verify_mismatches.md`` (mismatch_report) and a waveform of the first
    failing vectors re-simulated with dumping on (``verify_waves.fst`` from Icarus, ``.vcd`` from
    Verilator); a pass removes such files left by an earlier run. An interrupted run, or one that
    cannot start, leaves an earlier run's files as they were; a failed run (RTL that does not compile,
    a crash, a timeout) removes them. The files are recorded in the directory's lgn2hw manifest. ``jobs``: parallel shards (None: as
    many as cosim.default_jobs allows)."""
    build = BuildDir.open(outdir)
    outdir, netlist, raw_port = build.path, build.netlist, build.options.raw_inputs
    if random_vectors < 0 or (vectors is not None and vectors < 0):
        raise ConfigError("--vectors and --random must be >= 0")
    drive = {}
    if raw_port is not None:  # compile --raw-inputs: drive raw features on in_features
        raw_vectors, stimulus = raw_stimulus(netlist, raw_port, vectors, random_vectors, seed, data_dir, build.dataset)
        bits = encode_raw(netlist, raw_vectors)
        drive = {"input_port": raw_port.port, "port_bits": port_bits(raw_vectors, raw_port)}
    else:
        bits, stimulus = binary_stimulus(netlist, vectors, random_vectors, seed, corners, build.dataset, data_dir)

    latency = pipeline_latency(netlist, build.options.pipeline, raw_inputs=raw_port is not None)
    options = CosimOptions(module_name=build.module_name, simulator=simulator, jobs=jobs, latency=latency,
                           input_port=drive.get("input_port", "in_bits"),
                           timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)
    # An earlier run's results stay until this run has its own: a run that cannot start (simulator
    # missing) or is interrupted leaves them as they were; a run that fails (RTL does not compile, a
    # crash, a timeout) removes them, so that an old pass never sits beside a new failure.
    require_simulator(simulator)
    # a popcount of vendor primitives (compile --popcount carry4/ccu2c) simulates with their models beside it
    family = build.options.primitive_family
    models = primitive_models(family) if family else None
    earlier = [VERIFY_FILE, VERIFY_REPORT, *(f"{VERIFY_WAVES}{suffix}" for suffix in WAVE_SUFFIX.values())]
    rtl = build.rtl_path
    with tempfile.TemporaryDirectory(prefix="lgn2hw-verify-") as tmp:
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        sources = [rtl]
        if models is not None:
            work.mkdir(parents=True, exist_ok=True)
            sources.append(work / models_name(family))
            sources[-1].write_text(models)
        try:
            result = verify_rtl(netlist, sources, bits, work_dir=work / "run", port_bits=drive.get("port_bits"),
                                options=options)
        except Lgn2hwError as exc:
            # one line, with the simulator's log kept beside the outputs
            _remove(outdir, earlier)
            log = _keep_log(work / "run", outdir)
            first = exc.summary if isinstance(exc, ToolError) else str(exc).splitlines()[0]
            hint = _first_error(outdir / VERIFY_LOG) if log else ""
            raise type(exc)(first + (f": {hint}" if hint else "") + (f" (simulator log: {log})" if log else "")) from None
        result.log = VERIFY_LOG if _keep_log(work / "run", outdir) else ""
        if work_dir is None:
            result.work_dir = ""
        result.extra["stimulus"] = ", ".join(part.text for part in stimulus)
        result.extra["stimulus_counts"] = stimulus_counts(stimulus)
        written = [VERIFY_FILE] + ([VERIFY_LOG] if result.log else [])
        if not result.passed:
            waveform = _record_waveform(netlist, sources, bits, drive, result, outdir, work / "waves", options)
            labels = VectorLabels(stimulus, bits, binary_corners=not drive)
            text = mismatch_report(result, rtl=rtl.name, stimulus=result.extra["stimulus"], labels=labels, waveform=waveform)
            with atomic_file(outdir / VERIFY_REPORT) as handle:
                handle.write(text)
            result.extra["report"] = VERIFY_REPORT
            written += [VERIFY_REPORT] + ([result.extra["waveform"]["file"]] if result.extra["waveform"].get("file") else [])
    with atomic_file(outdir / VERIFY_FILE) as handle:
        handle.write(result.to_json())
    _remove(outdir, [name for name in earlier if name not in written])  # an earlier run's report or waveform
    record_outputs(outdir, written, "verify")
    return result


def _remove(outdir: Path, names: list[str]) -> None:
    for name in names:
        (outdir / name).unlink(missing_ok=True)


def _first_error(log: Path) -> str:
    """The first line of a simulator log that reads like an error (for a one-line message)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            # the exception is the first unindented line after the stack, not the header
            exception = next((ln for ln in lines[i + 1:] if ln.strip() and not ln[0].isspace()), "")
            if exception:
                return exception.strip()[:200]
        elif re.search(r"\berror\b|syntax|Traceback|Segmentation", line, re.I) and "lgn2hw:" not in line:
            return line.strip()[:200]
    return ""


def _keep_log(work: Path, outdir: Path) -> str:
    """Copy the run's simulator log beside verify.json; returns its path ("" when there is none)."""
    log = work / "verify.log"
    if not log.is_file():
        return ""
    with open(log, "rb") as src, atomic_file(outdir / VERIFY_LOG, "wb") as dest:
        shutil.copyfileobj(src, dest)
    record_outputs(outdir, [VERIFY_LOG], "verify")
    return str(outdir / VERIFY_LOG)


def _record_waveform(netlist, sources: list[Path], bits: np.ndarray, drive: dict, result: VerifyResult, outdir: Path, work: Path,
                     options: CosimOptions) -> str:
    """Re-simulate the first failing vectors (or the first vectors, when only out_valid failed) with
    waveform dumping on, into outdir/verify_waves.<fst|vcd>. Returns a line for the report; the
    details go to result.extra["waveform"]. A failure here is recorded, not raised: the mismatch is
    the finding."""
    picked = [int(m["vector"]) for m in result.first_mismatches[:WAVE_VECTORS]]
    if not picked:
        picked = list(range(min(WAVE_VECTORS, bits.shape[0])))
    name = f"{VERIFY_WAVES}{WAVE_SUFFIX[result.simulator]}"
    # --timeout covers the whole verification: the re-run gets what the first run left
    left = options.timeout_s - result.seconds
    if left <= 0:
        result.extra["waveform"] = {"file": None, "error": "no time left within --timeout"}
        return "not written (no time left within --timeout)"
    # verify_rtl runs a waveform build as one shard
    port = drive["port_bits"][picked] if "port_bits" in drive else None
    try:
        rerun = verify_rtl(netlist, sources, bits[picked], work_dir=work, port_bits=port, options=options, timeout_s=left,
                           reorder=False, max_report=len(picked), waves_file=outdir / name)
    except (Lgn2hwError, OSError) as exc:
        result.extra["waveform"] = {"file": None, "error": str(exc).splitlines()[0]}
        return f"not written ({str(exc).splitlines()[0]})"
    again = sorted(picked[m["vector"]] for m in rerun.first_mismatches)
    result.extra["waveform"] = {"file": name, "vectors": picked, "mismatching_in_rerun": again}
    return (f"{name}: vectors {picked} re-simulated alone with waves on ({result.simulator}; "
            f"{len(again)} of them mismatch again), driven one after another from time 0")
