"""Planning a verification: pure functions from its inputs to a frozen CosimJob (shards, order, files, env).

Nothing here starts a process or touches a file: the reference values are computed and checked
(``reference``), the vectors are put in drive order and cut into shards, and every shard gets its
directory, its files (the names of hw_tests/contract.py) and its testbench environment. run.py writes
the files and starts the children the plan describes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DataError, EmitError
from ...ir.netlist import Netlist
from ...ir.simulate import expected_outputs
from ...ir.vectors import low_switching_order
from ...resources import hw_tests_contract, hw_tests_dir
from ...toolchain.icarus import Icarus
from ...toolchain.verilator import VerilatorInstall, ports_control

DEFAULT_TIMEOUT_S = 3600.0
MAX_AUTO_JOBS = 8  # default_jobs(): at most this many shards ...
MIN_SHARD_VECTORS = 500  # ... each with at least this many vectors (a shard costs ~1.5 s of start-up)
LOG_FILE = "verify.log"  # a run's simulator log (with shards: every log, one after another)
SPEC_FILE = "runner.json"  # what a child process does (child.py)
BUILD_SPEC, BUILD_LOG = "build.json", "build.log"  # the build child of a sharded run
CONTROL_FILE = "ports.vlt"  # Verilator: only the top's ports visible to VPI


@dataclass(frozen=True)
class CosimOptions:
    """How verify_rtl simulates; the fields are its keyword options (documented there)."""

    module_name: str = "lgn_top"
    simulator: str = "icarus"
    timeout_s: float | None = DEFAULT_TIMEOUT_S
    max_report: int = 10
    reorder: bool = True
    latency: int | None = None
    seed: int = 1
    input_port: str = "in_bits"
    jobs: int | None = 1
    waves_file: str | os.PathLike | None = None

    def __post_init__(self):
        jobs, latency = self.jobs, self.latency
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 1):
            raise ConfigError(f"jobs must be an integer >= 1, got {jobs!r}")
        if latency is not None and (isinstance(latency, bool) or not isinstance(latency, (int, np.integer)) or latency < 0):
            raise ConfigError(f"latency must be an integer >= 0, got {latency!r}")


@dataclass(frozen=True)
class Reference:
    """What a verification drives and expects: the reference's input bits (V, N), what the testbench
    drives on its input port (V, W; the bits themselves unless a raw-input build), expected scores
    (V, C) and expected classes (V,)."""

    bits: np.ndarray
    drive: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    @property
    def vectors(self) -> int:
        return self.bits.shape[0]


def reference(netlist: Netlist, bits, expected_scores=None, port_bits=None) -> Reference:
    """``bits`` (and ``port_bits``, ``expected_scores`` when given) checked (DataError), with the
    expected values: Simulator(netlist) scores unless given, classes their argmax (lowest on ties)."""
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
    return Reference(bits, drive, scores.astype(np.int64), np.asarray(classes).astype(np.int64))


def resolve_latency(netlist: Netlist, latency: int | None) -> int:
    """``latency``, or when None the one the netlist metadata implies (its pipeline depth, +1 for the
    comparator stage of a raw-input build; no pipeline key: 0). A library caller's netlist need not
    come from a compiled directory, so the metadata is read as it is (flows/verify.py passes the
    latency from BuildOptions)."""
    if latency is not None:
        return int(latency)
    from ...backend.verilog import pipeline_latency

    try:
        raw_front = isinstance(netlist.metadata.get("raw_inputs"), dict)  # comparator stage (compile --raw-inputs)
        return pipeline_latency(netlist, netlist.metadata.get("pipeline", 0), raw_inputs=raw_front)
    except EmitError as exc:
        raise ConfigError(f"netlist metadata: {exc}") from None


def default_jobs(vectors: int) -> int:
    """Shards to use for ``vectors`` vectors: one per CPU, at most MAX_AUTO_JOBS, each with at least
    MIN_SHARD_VECTORS vectors (so small runs stay one process)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS, vectors // MIN_SHARD_VECTORS))


@dataclass(frozen=True)
class ShardPlan:
    """One shard: the caller's indices of its vectors in drive order, its directory, its testbench env."""

    label: str  # "the simulation", or "shard 2 of 3 (vectors 85..170 in drive order)"
    directory: Path
    rows: np.ndarray
    env: dict
    test_options: dict = field(default_factory=dict)  # extra runner.test() arguments (waveform)

    def file(self, name: str) -> Path:
        return self.directory / name

    @property
    def log(self) -> Path:
        return self.directory / LOG_FILE

    @property
    def spec(self) -> Path:
        return self.directory / SPEC_FILE


@dataclass(frozen=True)
class CosimJob:
    """A verification run as the children will do it: one build, then the shards' tests."""

    simulator: str
    module_name: str
    work_dir: Path
    sources: tuple[str, ...]  # what the build compiles (a Verilator control file first when ports_only)
    rtl: tuple[Path, ...]
    test_module: str
    latency: int
    order: np.ndarray  # drive order: the caller's indices
    shards: tuple[ShardPlan, ...]
    waves: Path | None = None  # where the simulator writes the waveform (one shard only)
    control: str | None = None  # text of the Verilator control file (CONTROL_FILE) when ports_only
    build_args: tuple[str, ...] = ()
    make_args: tuple[str, ...] = ()
    verilator_cache: str | None = None

    @property
    def sharded(self) -> bool:
        return len(self.shards) > 1

    @property
    def build_dir(self) -> Path:
        return self.work_dir / "sim_build"

    @property
    def log(self) -> Path:
        """The run's log: the one child's, or all of them one after another."""
        return self.work_dir / LOG_FILE

    def child_spec(self, stages: tuple[str, ...], shard: ShardPlan | None = None) -> dict:
        """What child.main does (SPEC_FILE): build and/or test ``shard``."""
        spec = {
            "simulator": self.simulator,
            "sources": list(self.sources),
            "ports_only": self.control is not None,
            "toplevel": self.module_name,
            "build_dir": str(self.build_dir),
            "test_dir": str(hw_tests_dir()),
            "waves": self.waves is not None,
            "verilator_cache": self.verilator_cache,
            "make_args": list(self.make_args),
            "build_args": list(self.build_args),
            "stages": list(stages),
        }
        if shard is not None:
            spec["test"] = {
                "test_module": self.test_module,
                "results_xml": str(shard.file(hw_tests_contract().RESULTS_XML)),
                "cwd": str(shard.directory),
                "test_args": [],
                "plusargs": [],
                "env": shard.env,
                **shard.test_options,
            }
        return spec


def plan_cosim(netlist: Netlist, rtl: list[Path], ref: Reference, options: CosimOptions, install: Icarus | VerilatorInstall,
               work: Path, *, latency: int, cache: Path | None = None, public_signals: bool = False) -> CosimJob:
    """The run that verifies ``rtl`` on ``ref`` in ``work``: drive order (low-switching unless
    ``options.reorder`` is off), shards (``options.jobs``; one with a waveform), per-shard testbench
    env. ``cache``: the Verilator runtime cache; ``public_signals``: give VPI every signal."""
    contract = hw_tests_contract()
    total = ref.vectors
    count = 1 if options.waves_file is not None else min(total, default_jobs(total) if options.jobs is None else int(options.jobs))
    order = low_switching_order(ref.bits) if options.reorder else np.arange(total)
    bounds = np.linspace(0, total, count + 1).round().astype(np.int64)
    waves = work / f"waves{install.wave_suffix}" if options.waves_file is not None else None
    test_module = contract.PIPELINED_TESTBENCH if latency else contract.COMBINATIONAL_TESTBENCH
    shards = []
    for k in range(count):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        directory = work if count == 1 else work / f"shard{k}"
        env = contract.testbench_env(
            directory, directory / contract.RESULT_FILE, num_inputs=ref.drive.shape[1], test_module=test_module,
            latency=latency, seed=int(options.seed) + k, max_report=options.max_report, input_port=options.input_port,
        )
        label = "the simulation" if count == 1 else f"shard {k + 1} of {count} (vectors {lo}..{hi - 1} in drive order)"
        test_options = install.wave_options(waves) if waves is not None else {}
        shards.append(ShardPlan(label, directory, order[lo:hi], env, test_options))
    sources = tuple(str(p) for p in rtl)
    verilator = install if isinstance(install, VerilatorInstall) else None
    control = None
    if verilator is not None and not public_signals:
        control = ports_control(options.module_name, contract.PORTS)
        sources = (str(work / CONTROL_FILE), *sources)
    return CosimJob(
        simulator=options.simulator, module_name=options.module_name, work_dir=work, sources=sources, rtl=tuple(rtl),
        test_module=test_module, latency=latency, order=order, shards=tuple(shards), waves=waves, control=control,
        build_args=tuple(verilator.build_args(netlist.num_gates)) if verilator else (),
        make_args=verilator.make_args if verilator else (),
        verilator_cache=str(cache) if cache else None,
    )
