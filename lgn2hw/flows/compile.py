"""Compile: checkpoint or netlist.json -> frozen netlist -> optimized netlist -> RTL, with checks.

The output directory holds ``netlist.json`` (the optimized netlist, contract format), the RTL
(``<module>.v``) and ``compile_report.json`` (gate counts, per-pass report, stage times, agreement
checks). It is written atomically: on any error nothing is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..frontend.checkpoint import Checkpoint
from ..backend.verilog import RAW_BITS, check_module_name, check_pipeline, check_raw_inputs, pipeline_latency, write_rtl
from ..errors import CheckpointError, ConfigError, DataError, Lgn2hwError, ToolError, VerificationError
from ..frontend.freeze import freeze
from ..fsutil import atomic_file, check_output_path, output_dir
from ..ir.build_dir import BUILD_METADATA_KEYS
from ..ir.netlist import Netlist
from ..passes.manager import OptimizeReport, optimize
from ..check.cosim.raw import PORT as RAW_PORT
from ..check.cosim.raw import is_raw_build, raw_spec, raw_stimulus
from ..check.cosim.raw import encode as encode_raw
from ..check.cosim.raw import port_bits as raw_port_bits
from ..ir.simulate import Simulator
from ..check.cosim.verify import StimulusPart, describe_corner, random_vector_count

NETLIST_FILE = "netlist.json"
RAW_NETLIST_FILE = "raw_netlist.json"  # the unoptimized (-O0) netlist, for `lgn2hw verify --formal`
REPORT_FILE = "compile_report.json"
VERIFY_FILE = "verify.json"
VERIFY_LOG = "verify.log"
VERIFY_REPORT = "verify_mismatches.md"
VERIFY_WAVES = "verify_waves"  # + .fst (icarus) or .vcd (verilator)


@dataclass
class Source:
    """What compile starts from: a netlist, and the trained model when there is one."""

    netlist: Netlist
    model: object | None
    path: Path
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_source(path: str | os.PathLike, num_classes: int | None = None, num_inputs: int | None = None) -> Source:
    """Load an lgn2hw checkpoint (.pt), a difflogic checkpoint (state dict + saved wiring,
    docs/difflogic-import.md) or a netlist.json; the format is told by content, not by name.

    ``num_classes`` / ``num_inputs`` supply what a difflogic state dict lacks; for other sources they
    must match the file (ConfigError otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    sha = file_sha256(path)
    if head.startswith(b"{"):
        return _given_match(Source(Netlist.load(path), None, path, sha), num_classes, num_inputs)
    from ..frontend.checkpoint import load_weights_only
    from ..frontend.importers.difflogic import import_difflogic, is_difflogic_state

    doc = load_weights_only(path)  # read once: told apart by content below
    if is_difflogic_state(doc):
        netlist, model = import_difflogic(doc, num_classes=num_classes, num_inputs=num_inputs, source=str(path))
        return Source(netlist, model, path, sha)
    checkpoint = Checkpoint.from_doc(doc, path)
    metadata = {"dataset": checkpoint.dataset} if checkpoint.dataset else {}
    netlist = freeze(checkpoint.model, checkpoint.input_encoding, metadata)
    return _given_match(Source(netlist, checkpoint.model, path, sha), num_classes, num_inputs)


def _given_match(source: Source, num_classes: int | None, num_inputs: int | None) -> Source:
    for name, given in (("num_classes", num_classes), ("num_inputs", num_inputs)):
        actual = getattr(source.netlist, name)
        if given is not None and given != actual:
            raise ConfigError(
                f"{source.path}: --{name.replace('_', '-')} {given} does not match the file ({actual}); "
                "the option is needed only for difflogic checkpoints"
            )
    return source


def reference_vectors(netlist: Netlist, count: int | None, data_dir=None, seed: int = 0) -> tuple[np.ndarray, str]:
    """Input bits to check on: the encoded test set of the netlist's data set when it is known and
    readable, else uniformly random vectors. Returns (bits, description)."""
    dataset = netlist.metadata.get("dataset")
    if dataset and netlist.input_encoding is not None:
        try:
            bits = encoded_test_set(netlist, dataset, data_dir)
            if count is not None:
                bits = bits[:count]
            return bits, f"{dataset} test set"
        except DataError:
            pass
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(count or 4096, netlist.num_inputs), dtype=np.uint8), "random vectors"


def encoded_test_set(netlist: Netlist, dataset: str, data_dir=None) -> np.ndarray:
    """The data set's test split turned into input bits with the netlist's own input_encoding."""
    from ..frontend.data.datasets import load_dataset
    from ..ir.encoding import ThresholdEncoding

    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    data = load_dataset(dataset, data_dir=data_dir)
    return encoding.encode(data.test_x)


@dataclass
class CompileResult:
    outdir: Path
    raw: Netlist
    netlist: Netlist
    report: OptimizeReport
    files: list[Path]
    seconds: dict[str, float]
    checks: dict = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # an earlier build's own files that no longer apply

    def summary(self) -> str:
        r = self.report
        return (
            f"compiled {self.raw.num_gates:,} -> {self.netlist.num_gates:,} gates "
            f"(-O{r.level}, {100.0 * self.netlist.num_gates / max(1, self.raw.num_gates):.1f}% kept, "
            f"depth {r.depth_before} -> {r.depth_after}) into {self.outdir}"
        )


def compile_source(
    source_path: str | os.PathLike,
    outdir: str | os.PathLike,
    opt_level: int = 2,
    module_name: str = "lgn_top",
    check_vectors: int | None = 10000,
    data_dir=None,
    progress=None,
    pipeline: int = 0,
    num_classes: int | None = None,
    num_inputs: int | None = None,
    raw_inputs: bool = False,
    raw_bits: int = RAW_BITS,
    force: bool = False,
) -> CompileResult:
    """Freeze (if a checkpoint), optimize, check and emit into ``outdir`` (atomically).

    Checks before anything is written: Python hard inference (when a model is given), the raw netlist
    and the optimized netlist must give identical class scores on ``check_vectors`` vectors.
    ``raw_inputs``: the RTL takes ``raw_bits``-bit raw features and compares them with the
    input_encoding itself (EmitError, nothing written, when the model has no encoding); stored as
    "raw_inputs" in netlist.json's metadata so that verify drives raw features.
    ``outdir`` must be new, empty or an earlier lgn2hw output (fsutil.output_dir; ``force`` writes into
    another directory without touching files lgn2hw did not write); checked before any work.
    """
    check_module_name(module_name)
    check_output_path(outdir, "compile", force)
    pipeline = check_pipeline(pipeline)  # EmitError "pipeline depth must be >= 0" before any work
    seconds = {}
    t0 = time.perf_counter()
    source = load_source(source_path, num_classes=num_classes, num_inputs=num_inputs)
    raw = source.netlist
    # what a compiled build records about itself (pipeline, latency, raw-input port, ...) is made anew
    # for this build, never copied from a netlist.json given as the source
    raw.metadata = {k: v for k, v in raw.metadata.items() if k not in BUILD_METADATA_KEYS}
    if raw_inputs:
        raw_bits = check_raw_inputs(raw, raw_bits)
    seconds["load_freeze"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    report = optimize(raw, level=opt_level, progress=progress)
    optimized = report.netlist
    optimized.metadata.update(
        {
            "source": source.path.name,
            "source_sha256": source.sha256,
            "opt_level": opt_level,
            "raw_gates": raw.num_gates,
            "module_name": module_name,
            "lgn2hw_version": __version__,
        }
    )
    if pipeline:  # only pipelined builds carry it, so combinational outputs stay as they were
        optimized.metadata["pipeline"] = pipeline
        optimized.metadata["latency"] = pipeline_latency(optimized, pipeline, raw_inputs=raw_inputs)
    if raw_inputs:
        optimized.metadata["raw_inputs"] = raw_spec(optimized, raw_bits).to_metadata()
    seconds["optimize"] = time.perf_counter() - t0

    checks = {}
    if check_vectors:
        t0 = time.perf_counter()
        checks = check_agreement(source, raw, optimized, check_vectors, data_dir)
        seconds["check"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    header = {
        "source": source.path.name,
        "source_sha256": source.sha256,
        "opt_level": f"-O{opt_level}",
        "gates": f"{raw.num_gates} raw, {optimized.num_gates} optimized",
        "generator": f"lgn2hw {__version__}",
    }
    if pipeline:
        header["pipeline"] = pipeline
    rtl_options = {"raw_inputs": True, "raw_bits": raw_bits} if raw_inputs else {}
    if raw_inputs:
        header["raw_inputs"] = f"{raw_bits}-bit features"
    outdir = Path(outdir)
    with output_dir(outdir, "compile", force) as out:
        tmp = out.staging
        optimized.save(tmp / NETLIST_FILE)
        raw.save(tmp / RAW_NETLIST_FILE)
        files = write_rtl(optimized, tmp, module_name=module_name, header=header, pipeline=pipeline, **rtl_options)
        seconds["emit"] = time.perf_counter() - t0
        doc = {
            "source": str(source.path),
            "source_sha256": source.sha256,
            "opt_level": opt_level,
            "module_name": module_name,
            "num_inputs": raw.num_inputs,
            "num_classes": raw.num_classes,
            "gates_raw": raw.num_gates,
            "gates_optimized": optimized.num_gates,
            "optimize": report.to_dict(),
            "checks": checks,
            "seconds": {k: round(v, 4) for k, v in seconds.items()},
        }
        with atomic_file(tmp / REPORT_FILE) as handle:
            handle.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    files = [outdir / f.name for f in files]
    return CompileResult(outdir, raw, optimized, report, files, seconds, checks, removed=out.removed)


def check_agreement(source: Source, raw: Netlist, optimized: Netlist, count: int, data_dir=None) -> dict:
    """Class scores from torch hard inference, the raw and the optimized netlist must be identical."""
    bits, description = reference_vectors(raw, count, data_dir)
    raw_scores = Simulator(raw).scores(bits)
    opt_scores = Simulator(optimized).scores(bits)
    result = {"vectors": int(bits.shape[0]), "on": description}
    _require_equal("raw netlist simulator", raw_scores, "optimized netlist simulator", opt_scores)
    result["netlist_vs_optimized"] = "identical"
    if source.model is not None:
        torch_scores = source.model.hard_scores(torch.from_numpy(bits)).numpy()
        _require_equal("Python (torch) hard inference", torch_scores, "netlist simulator", raw_scores)
        result["torch_vs_netlist"] = "identical"
    return result


def _require_equal(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape != b.shape or not np.array_equal(a, b):
        rows = np.nonzero((a != b).any(axis=1))[0] if a.shape == b.shape else [0]
        i = int(rows[0])
        raise VerificationError(
            f"{name_a} and {name_b} disagree on {len(rows)} vectors; first: vector {i}, "
            f"{name_a} {a[i].tolist()} vs {name_b} {b[i].tolist()}"
        )


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
):
    """Simulate a compiled directory's RTL and compare every class score and class_id with the netlist
    simulator. Writes ``verify.json`` (and ``verify.log``) into ``outdir``.

    Stimulus, in this order: the first ``vectors`` vectors of the encoded test set (all of it when
    None; none when 0; only when the netlist names a readable data set), ``random_vectors`` uniform
    random vectors (``seed``; with no test set and 0 asked for: ``vectors`` or 1000), and with
    ``corners`` the corner vectors (verify.corner_vectors: all zeros, all ones, one-hot). A raw-input
    build (``compile --raw-inputs``) drives raw features instead: the raw test samples, random raw
    vectors and its threshold corner vectors (always). verify.json's extra["stimulus_counts"] counts
    each kind.

    On a mismatch it also writes ``verify_mismatches.md`` (mismatch_report) and a waveform of the first
    failing vectors re-simulated with dumping on (``verify_waves.fst`` from Icarus, ``.vcd`` from
    Verilator); a pass removes such files left by an earlier run. ``jobs``: parallel shards (None: as
    many as verify.default_jobs allows)."""
    import tempfile

    from ..check.cosim.verify import DEFAULT_TIMEOUT_S, corner_vectors, mismatch_report, require_simulator, verify_rtl

    outdir = Path(outdir)
    if not outdir.is_dir():
        raise Lgn2hwError(f"{outdir}: no such directory (run lgn2hw compile first)")
    netlist = Netlist.load(outdir / NETLIST_FILE)
    module_name = netlist.metadata.get("module_name", "lgn_top")
    rtl = outdir / f"{module_name}.v"
    if not rtl.is_file():
        raise Lgn2hwError(f"{rtl}: RTL file missing from the compiled directory")
    if random_vectors < 0 or (vectors is not None and vectors < 0):
        raise ConfigError("--vectors and --random must be >= 0")
    parts, stimulus, drive = [], [], {}
    dataset = netlist.metadata.get("dataset")
    if is_raw_build(netlist):  # compile --raw-inputs: drive raw features on in_features
        spec = raw_spec(netlist)
        raw_vectors, stimulus = raw_stimulus(netlist, spec, vectors, random_vectors, seed, data_dir)
        parts.append(encode_raw(netlist, raw_vectors))
        drive = {"input_port": RAW_PORT, "port_bits": raw_port_bits(raw_vectors, spec)}
    else:
        if dataset and netlist.input_encoding is not None and vectors != 0:
            bits = encoded_test_set(netlist, dataset, data_dir)[:vectors]
            parts.append(bits)
            stimulus.append(StimulusPart("test_set", bits.shape[0], f"{bits.shape[0]} {dataset} test vectors"))
        count = random_vector_count(random_vectors, vectors, have_test_set=bool(parts))
        if count:
            rng = np.random.default_rng(seed)
            parts.append(rng.integers(0, 2, size=(count, netlist.num_inputs), dtype=np.uint8))
            stimulus.append(StimulusPart("random", count, f"{count} random vectors (seed {seed})"))
        if corners:
            corner = corner_vectors(netlist.num_inputs)
            parts.append(corner)
            text = f"{corner.shape[0]} corner vectors (all zeros, all ones, {corner.shape[0] - 2} one-hot)"
            stimulus.append(StimulusPart("corners", corner.shape[0], text))
    bits = np.concatenate(parts)
    counts: dict[str, int] = {}
    for part in stimulus:
        counts[part.kind] = counts.get(part.kind, 0) + part.count

    report_path = outdir / VERIFY_REPORT
    options = {"module_name": module_name, "simulator": simulator, "jobs": jobs, **drive}
    options["timeout_s"] = DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
    wave_names = [f"{VERIFY_WAVES}{suffix}" for suffix in (".fst", ".vcd")]
    # An earlier run's result must not sit beside this run's outcome (e.g. an old pass next to a crash),
    # but a run that cannot start (simulator missing) leaves it alone.
    require_simulator(simulator)
    for name in (VERIFY_FILE, VERIFY_REPORT, *wave_names):
        (outdir / name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="lgn2hw-verify-") as tmp:
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        try:
            result = verify_rtl(netlist, [rtl], bits, work_dir=work / "run", **options)
        except Lgn2hwError as exc:
            # one line, with the simulator's log kept beside the outputs
            log = _keep_log(work / "run", outdir)
            first = exc.summary if isinstance(exc, ToolError) else str(exc).splitlines()[0]
            hint = _first_error(outdir / VERIFY_LOG) if log else ""
            raise type(exc)(first + (f": {hint}" if hint else "") + (f" (simulator log: {log})" if log else "")) from None
        result.log = VERIFY_LOG if _keep_log(work / "run", outdir) else ""
        if work_dir is None:
            result.work_dir = ""
        result.extra["stimulus"] = ", ".join(part.text for part in stimulus)
        result.extra["stimulus_counts"] = counts
        if not result.passed:
            waveform = _record_waveform(netlist, rtl, bits, drive, result, outdir, work / "waves", options)
            labels = _VectorLabels(stimulus, bits, binary_corners=not drive)
            text = mismatch_report(result, rtl=rtl.name, stimulus=result.extra["stimulus"], labels=labels, waveform=waveform)
            with atomic_file(report_path) as handle:
                handle.write(text)
            result.extra["report"] = VERIFY_REPORT
    with atomic_file(outdir / VERIFY_FILE) as handle:
        handle.write(result.to_json())
    return result


class _VectorLabels:
    """Where vector i of a run came from, for the mismatch report: "test set #12", "random #3", or for
    the binary corner vectors the corner itself ("corner: one-hot input 7")."""

    def __init__(self, stimulus: list[StimulusPart], bits: np.ndarray, binary_corners: bool):
        self.stimulus, self.bits, self.binary_corners = stimulus, bits, binary_corners
        self.starts = np.cumsum([0] + [part.count for part in stimulus])

    def __call__(self, i: int) -> str:
        k = int(np.searchsorted(self.starts, i, side="right")) - 1
        if k < 0 or k >= len(self.stimulus):
            return ""
        kind = self.stimulus[k].kind
        if kind == "corners" and self.binary_corners:
            return f"corner: {describe_corner(self.bits[i])}"
        return f"{kind.replace('_', ' ')} #{i - int(self.starts[k])}"


def _first_error(log: Path) -> str:
    """The first line of a simulator log that reads like an error (for a one-line message)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        if re.search(r"\berror\b|syntax|Traceback|Segmentation", line, re.I) and "lgn2hw:" not in line:
            return line.strip()[:200]
    return ""


def _keep_log(work: Path, outdir: Path) -> str:
    """Copy the run's simulator log beside verify.json; returns its path ("" when there is none)."""
    log = work / "verify.log"
    if not log.is_file():
        return ""
    with open(log, "rb") as src, atomic_file(outdir / VERIFY_LOG, "wb") as dest:
        shutil.copyfileobj(src, dest)
    return str(outdir / VERIFY_LOG)


def _record_waveform(netlist, rtl, bits, drive, result, outdir: Path, work: Path, options: dict) -> str:
    """Re-simulate the first failing vectors (or the first vectors, when only out_valid failed) with
    waveform dumping on, into outdir/verify_waves.<fst|vcd>. Returns a line for the report; the
    details go to result.extra["waveform"]. A failure here is recorded, not raised: the mismatch is
    the finding."""
    from ..check.cosim.verify import WAVE_SUFFIX, WAVE_VECTORS, verify_rtl

    picked = [int(m["vector"]) for m in result.first_mismatches[:WAVE_VECTORS]]
    if not picked:
        picked = list(range(min(WAVE_VECTORS, bits.shape[0])))
    name = f"{VERIFY_WAVES}{WAVE_SUFFIX[result.simulator]}"
    # --timeout covers the whole verification: the re-run gets what the first run left
    left = options["timeout_s"] - result.seconds
    if left <= 0:
        result.extra["waveform"] = {"file": None, "error": "no time left within --timeout"}
        return "not written (no time left within --timeout)"
    sub = dict(options, timeout_s=left)  # verify_rtl runs a waveform build as one shard
    if "port_bits" in drive:
        sub["port_bits"] = drive["port_bits"][picked]
    try:
        rerun = verify_rtl(netlist, [rtl], bits[picked], work_dir=work, reorder=False, max_report=len(picked),
                           waves_file=outdir / name, **sub)
    except (Lgn2hwError, OSError) as exc:
        result.extra["waveform"] = {"file": None, "error": str(exc).splitlines()[0]}
        return f"not written ({str(exc).splitlines()[0]})"
    again = sorted(picked[m["vector"]] for m in rerun.first_mismatches)
    result.extra["waveform"] = {"file": name, "vectors": picked, "mismatching_in_rerun": again}
    return (f"{name}: vectors {picked} re-simulated alone with waves on ({result.simulator}; "
            f"{len(again)} of them mismatch again), driven one after another from time 0")
