"""Bit-exact verification of emitted RTL against the Python reference, with cocotb on Icarus Verilog.

verify_rtl writes the input vectors and the reference's expected scores and classes to .npy files,
builds the RTL with cocotb's Python runner and runs the testbench hw_tests/tb_lgn_top.py, which drives
every vector and compares every class score and class_id. The runner works in a child process so that
a hung or crashed simulator can be timed out and killed, and so that pytest's environment does not
change the runner's behaviour. Anything that keeps a complete, consistent result from coming back
(compile error, crash, timeout, missing result file, failed test without recorded mismatches) raises
ToolError: a verification never reports a pass it did not see. Mismatches are not errors: they come
back in the result (mismatches > 0, first_mismatches) and the caller decides.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ConfigError, DataError, ToolError
from .resources import hw_tests_dir

if TYPE_CHECKING:  # the child process imports this module too: keep its start-up light
    from .netlist import Netlist

TEST_MODULE = "tb_lgn_top"
PIPELINED_TEST_MODULE = "tb_lgn_top_pipelined"
SIMULATORS = ("icarus",)
DEFAULT_TIMEOUT_S = 3600.0
_LOG_TAIL = 3000


@dataclass
class VerifyResult:
    """Outcome of one RTL-vs-Python comparison."""

    vectors: int
    mismatches: int
    first_mismatches: list[dict]
    simulator: str
    seconds: float  # wall time of the whole verification: files, compile and simulation
    sim_seconds: float = 0.0  # time the testbench spent driving and checking vectors
    build_seconds: float = 0.0  # compile time (iverilog)
    work_dir: str = ""
    log: str = ""  # path of the simulator log
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.vectors > 0 and self.mismatches == 0

    @property
    def vectors_per_second(self) -> float:
        """Throughput of the simulation loop (compile time excluded)."""
        return self.vectors / self.sim_seconds if self.sim_seconds > 0 else 0.0

    def summary(self) -> str:
        """One line, e.g. 'bit-exact: 10000/10000 vectors (icarus, 12.3 s, 812 vectors/s)'."""
        timing = f"{self.simulator}, {self.seconds:.1f} s, {self.vectors_per_second:.0f} vectors/s"
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


def expected_outputs(netlist: Netlist, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference (scores, class ids) from the Python simulator; ties go to the lowest class index."""
    from .simulate import Simulator

    scores = Simulator(netlist).scores(bits)
    return scores, np.argmax(scores, axis=1)


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
) -> VerifyResult:
    """Simulate ``rtl_files`` (top module ``module_name``) on ``bits`` and compare with the reference.

    ``bits`` is (vectors, num_inputs) of 0/1. Expected scores default to Simulator(netlist).scores(bits);
    the expected class is their argmax (lowest index on ties). Returns a VerifyResult whatever the
    comparison says; raises ToolError when the simulation itself fails or times out.

    With ``reorder`` (the default) the vectors are driven in a low-switching order (each next vector
    close in Hamming distance to the previous one): the module is combinational, so the order cannot
    change any result, but Icarus's work per vector grows with the number of toggling signals.
    Mismatches are always reported by their index in ``bits``, lowest first.

    ``latency`` is the module's LATENCY in cycles; None takes it from the netlist metadata ("pipeline":
    N, as `lgn2hw compile --pipeline N` stores it; absent means 0). With a latency > 0 the clocked
    testbench hw_tests/tb_lgn_top_pipelined.py runs (back-to-back and gapped streams, mid-stream
    resets, stimulus pattern from ``seed``).

    ``port_bits`` (vectors, width) of 0/1, when given, is what the testbench drives on ``input_port``
    instead of ``bits`` on ``in_bits``: the raw-input front end (`compile --raw-inputs`) takes raw
    features on ``in_features`` while ``bits`` (their encoding) still gives the expected values.
    """
    started = time.perf_counter()
    if simulator not in SIMULATORS:
        raise ConfigError(
            f"simulator {simulator!r} is not supported; use one of {', '.join(SIMULATORS)} "
            "(cocotb 2.1 needs Verilator >= 5.036, newer than Debian's)"
        )
    _require_tools(("iverilog", "vvp"), package="iverilog")

    if latency is None:
        from .emit.verilog import pipeline_latency
        from .errors import EmitError

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

    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    files = {
        "vectors": work / "vectors.npy",
        "scores": work / "expected_scores.npy",
        "classes": work / "expected_class.npy",
        "index": work / "vector_index.npy",
        "result": work / "tb_result.json",
        "xml": work / "results.xml",
        "log": work / "verify.log",
        "spec": work / "runner.json",
    }
    for key in ("result", "xml", "log"):
        files[key].unlink(missing_ok=True)
    order = low_switching_order(bits) if reorder else np.arange(bits.shape[0])
    np.save(files["vectors"], np.packbits(drive[order], axis=1, bitorder="little"))
    np.save(files["scores"], scores[order].astype(np.int64))
    np.save(files["classes"], classes[order].astype(np.int64))
    np.save(files["index"], order.astype(np.int64))
    spec = {
        "simulator": simulator,
        "sources": [str(p) for p in rtl],
        "toplevel": module_name,
        "build_dir": str(work / "sim_build"),
        "test_dir": str(hw_tests_dir()),
        "test_module": test_module,
        "results_xml": str(files["xml"]),
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
            "LGN2HW_TB_SEED": str(int(seed)),
            # cocotb lets pytest rewrite the asserts of every module imported after the test starts
            # ("*.py"), numpy included: about a second per run. Only the testbench needs it.
            "COCOTB_REWRITE_ASSERTION_FILES": f"{test_module}.py",
        },
    }
    files["spec"].write_text(json.dumps(spec, indent=1) + "\n")

    status = _run_child(files["spec"], files["log"], timeout_s)
    log_tail = _tail(files["log"])
    if status.get("stage") == "build":
        raise ToolError(f"{simulator}: compiling {', '.join(p.name for p in rtl)} failed:\n{log_tail}")
    if not files["result"].is_file():
        raise ToolError(
            f"{simulator}: the simulation wrote no result file (testbench error or simulator crash); "
            f"log {files['log']}:\n{log_tail}"
        )
    tb = json.loads(files["result"].read_text())
    num_tests, num_failed = _read_results_xml(files["xml"], log_tail)
    if not tb.get("complete") or tb.get("vectors") != bits.shape[0]:
        raise ToolError(f"{simulator}: incomplete result ({tb.get('vectors')} of {bits.shape[0]} vectors)")
    mismatches = int(tb["mismatches"])
    valid_errors = tb.get("out_valid_errors", [])
    if num_failed and not (mismatches or valid_errors):
        raise ToolError(f"{simulator}: the cocotb test failed without recording a mismatch:\n{log_tail}")
    if not num_failed and (mismatches or valid_errors):
        raise ToolError(f"{simulator}: inconsistent result: mismatches recorded but the test passed")
    if num_tests < 1:
        raise ToolError(f"{simulator}: no cocotb test ran:\n{log_tail}")

    extra = {
        "num_inputs": n,
        "num_classes": c,
        "num_gates": netlist.num_gates,
        "order": "low-switching" if reorder else "as given",
        "latency": latency,
        "input_toggles_per_vector": {
            "as_given": round(_mean_toggles(bits), 2),
            "driven": round(_mean_toggles(bits[order]), 2),
        },
    }
    for key in ("cycles", "resets", "killed_in_flight"):
        if key in tb:
            extra[key] = tb[key]
    if valid_errors:
        extra["out_valid_errors"] = valid_errors
    return VerifyResult(
        vectors=int(tb["vectors"]),
        # An out_valid protocol error makes the run fail even when every score matched.
        mismatches=mismatches if mismatches or not valid_errors else int(tb["vectors"]),
        first_mismatches=tb["first_mismatches"],
        simulator=simulator,
        seconds=time.perf_counter() - started,
        sim_seconds=float(tb.get("sim_seconds", 0.0)),
        build_seconds=float(status.get("build_seconds", 0.0)),
        work_dir=str(work),
        log=str(files["log"]),
        extra=extra,
    )


def low_switching_order(bits: np.ndarray, block: int = 2048) -> np.ndarray:
    """A permutation of the vectors in which each is close (Hamming) to the one before it.

    Greedy nearest neighbour within blocks of ``block`` vectors (quadratic in the block, linear in the
    number of blocks); each block starts from the vector nearest to where the previous block ended.
    On thresholded Fashion-MNIST it cuts the input bits that change per vector about 3x, in about
    0.6 s per 10,000 vectors of 784 bits.
    """
    count = bits.shape[0]
    packed = np.packbits(bits, axis=1)
    packed = np.pad(packed, ((0, 0), (0, (-packed.shape[1]) % 8))).view(np.uint64)
    order = np.empty(count, dtype=np.int64)
    pos = 0
    last = None
    for start in range(0, count, block):
        rows = packed[start : start + block]
        ids = np.arange(start, start + rows.shape[0])  # caller's index of each remaining row
        current = 0 if last is None else int(np.argmin(_hamming(rows, last)))
        while True:
            order[pos] = ids[current]
            pos += 1
            last = rows[current].copy()
            # drop the row just taken (swap in the last one): the search shrinks as the block empties
            rows[current], ids[current] = rows[-1], ids[-1]
            rows, ids = rows[:-1], ids[:-1]
            if rows.shape[0] == 0:
                break
            current = int(np.argmin(_hamming(rows, last)))
    return order


def _hamming(rows: np.ndarray, row: np.ndarray) -> np.ndarray:
    x = rows ^ row
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    return np.unpackbits(x.view(np.uint8), axis=1).sum(axis=1, dtype=np.int64)


def _mean_toggles(bits: np.ndarray) -> float:
    return float((bits[1:] != bits[:-1]).sum(axis=1).mean()) if bits.shape[0] > 1 else 0.0


# --------------------------------------------------------------------------------------- internals
def _require_tools(tools, package: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise ToolError(
            f"{' and '.join(missing)} not found on PATH: install the Debian package '{package}' "
            f"(apt-get install -y {package})"
        )


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-_LOG_TAIL:]


def _read_results_xml(path: Path, log_tail: str) -> tuple[int, int]:
    from cocotb_tools.runner import get_results

    try:
        return get_results(path)
    except (RuntimeError, OSError, ValueError) as exc:
        raise ToolError(f"no readable cocotb results file {path} ({exc}):\n{log_tail}") from None


def _run_child(spec_path: Path, log_path: Path, timeout_s: float | None) -> dict:
    """Run _child_main in a fresh Python in its own process group; kill the whole group on timeout."""
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)  # under pytest the runner would sys.exit() on a failed test
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    cmd = [sys.executable, "-c", "from lgn2hw.verify import _child_main; _child_main()", str(spec_path)]
    status_path = spec_path.with_name("runner_status.json")
    status_path.unlink(missing_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ToolError(f"simulation timed out after {timeout_s:g} s (log: {log_path})") from None
        except BaseException:
            _kill_group(proc)
            raise
    try:
        status = json.loads(status_path.read_text())
    except (OSError, ValueError):
        status = {}
    if proc.returncode != 0 and status.get("stage") != "build":
        if proc.returncode < 0:
            raise ToolError(f"simulation killed by signal {-proc.returncode}:\n{_tail(log_path)}")
        status.setdefault("stage", "test")
        status["returncode"] = proc.returncode
    return status


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _child_main() -> None:
    """Child process: build and test with cocotb's runner as described by the JSON spec in argv[1]."""
    spec_path = Path(sys.argv[1])
    spec = json.loads(spec_path.read_text())
    status_path = spec_path.with_name("runner_status.json")
    sys.path.insert(0, spec["test_dir"])  # the runner passes sys.path on as the simulator's PYTHONPATH
    from cocotb_tools.runner import get_runner

    runner = get_runner(spec["simulator"])
    status: dict = {"stage": "build"}
    t0 = time.perf_counter()
    try:
        runner.build(
            sources=spec["sources"],
            hdl_toplevel=spec["toplevel"],
            build_dir=spec["build_dir"],
            always=True,
            timescale=("1ns", "1ps"),
        )
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported to the parent, which raises ToolError
        print(f"lgn2hw: build failed: {exc!r}", flush=True)
        status_path.write_text(json.dumps(status))
        sys.exit(2)
    status = {"stage": "test", "build_seconds": time.perf_counter() - t0}
    status_path.write_text(json.dumps(status))
    try:
        runner.test(
            test_module=spec.get("test_module", TEST_MODULE),
            hdl_toplevel=spec["toplevel"],
            test_dir=spec["build_dir"],
            results_xml=spec["results_xml"],
            extra_env=spec["env"],
        )
    except SystemExit as exc:  # the runner exits non-zero when the simulator did; the parent checks files
        print(f"lgn2hw: simulator exited with {exc.code}", flush=True)
        status["exit"] = exc.code
    status["done"] = True
    status_path.write_text(json.dumps(status))
