"""``lgn2hw predict``: classify a data set's test split (or an .npy of raw features) with a compiled
network as native C, reporting accuracy and images per second (docs/c-backend.md).

``build_c_library`` renders the C of lgn2hw.backend.c, compiles it as a shared library with the system
compiler (lgn2hw.toolchain.cc; ``-O2 -march=native`` where the compiler takes it) and keeps it in the
user cache (``$LGN2HW_CACHE_DIR``, default ``~/.cache/lgn2hw``, under ``c/``) keyed by the generated
source, the compiler, the flags and the CPU, so a second run loads it without compiling. ``predict``
runs it single-threaded; without a C compiler it falls back to the numpy simulator and says so.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..backend.c import CLibrary, lower, render_sources
from ..errors import ConfigError, DataError, ToolError, VerificationError
from ..fsutil import atomic_file
from ..ir.build_dir import BuildDir
from ..ir.encoding import ThresholdEncoding
from ..ir.netlist import Netlist
from ..ir.simulate import Simulator
from ..toolchain.cache import cache_root
from ..toolchain.cc import CCompiler, find_cc
from ..toolchain.process import Deadline

NATIVE_FLAGS = ("-O3", "-march=native")  # -O3: about 5 % faster than -O2 on the demo model, same build time class
PORTABLE_FLAGS = ("-O3",)
BUILD_LIMIT_S = 600.0
ENGINES = ("auto", "c", "numpy")
WARM_UP = 1024  # samples classified once before the timed run
LIBRARY = "liblgn_model.so"


@dataclass(frozen=True)
class BuiltLibrary:
    """A compiled C library of one netlist: where it is and how it was made."""

    path: Path
    compiler: CCompiler
    flags: tuple[str, ...]
    cached: bool  # loaded from the cache, not compiled now
    seconds: float  # compile time (0 when cached)

    def describe(self) -> str:
        how = "cached" if self.cached else f"built in {self.seconds:.1f} s"
        return f"{self.compiler.name} {' '.join(self.flags)}, {how}"


def build_c_library(netlist: Netlist, variant: str = "auto", compiler: CCompiler | None = None,
                    flags: tuple[str, ...] | None = None, deadline: Deadline | None = None) -> BuiltLibrary:
    """Compile (or find in the cache) the shared C library of ``netlist``. ToolError when there is no
    compiler or it fails; nothing half-built is ever left in the cache."""
    compiler = compiler or find_cc()
    if flags is None:
        flags = NATIVE_FLAGS if compiler.accepts(("-march=native",)) else PORTABLE_FLAGS
    sources = render_sources(lower(netlist, variant))
    key = hashlib.sha256(json.dumps({
        "sources": {name: hashlib.sha256(text.encode()).hexdigest() for name, text in sorted(sources.items())},
        "compiler": [list(compiler.argv), compiler.version], "flags": list(flags), "machine": _machine(),
    }, sort_keys=True).encode()).hexdigest()[:24]
    root = cache_root()
    if root is not None:
        directory = root / "c" / key
        if (directory / LIBRARY).is_file():
            return BuiltLibrary(directory / LIBRARY, compiler, tuple(flags), True, 0.0)
    else:
        directory = Path(tempfile.mkdtemp(prefix="lgn2hw-c-")) / key
        atexit.register(shutil.rmtree, directory.parent, True)
    t0 = time.monotonic()
    deadline = deadline or Deadline.after(BUILD_LIMIT_S)
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        # built beside its final place and renamed into it: a failed or interrupted build leaves nothing
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=directory.parent))
    except OSError as exc:
        raise ToolError(f"{directory.parent}: cannot write the C library ({exc.strerror or exc})") from None
    try:
        for name, text in sources.items():
            (staging / name).write_text(text)
        source = next(name for name in sources if name.endswith(".c"))
        compiler.compile([*flags, "-fPIC", "-shared", "-o", LIBRARY, source], cwd=staging, deadline=deadline,
                         what=f"the C library of a {netlist.num_gates:,}-gate netlist")
        try:
            os.rename(staging, directory)
        except OSError:
            if not (directory / LIBRARY).is_file():  # not another process that built the same key meanwhile
                raise
    except OSError as exc:
        raise ToolError(f"{directory}: cannot write the C library ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuiltLibrary(directory / LIBRARY, compiler, tuple(flags), False, time.monotonic() - t0)


def load_c_library(netlist: Netlist, built: BuiltLibrary) -> CLibrary:
    """The ctypes binding of a library built by build_c_library for ``netlist``."""
    features = None
    if netlist.input_encoding is not None:
        features = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).num_features
    return CLibrary(built.path, netlist.sha256(), netlist.num_inputs, netlist.num_classes, features)


@dataclass
class PredictResult:
    """Class ids of the samples, and how fast and how well they were found."""

    source: str  # what was classified
    engine: str  # "C" or "numpy"
    how: str  # compiler and flags, or why the simulator was used
    seconds: float  # the classification alone (single thread), input encoding included
    classes: np.ndarray
    accuracy: float | None = None
    checked: bool = False  # every score compared with the numpy simulator
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> int:
        return int(self.classes.shape[0])

    @property
    def images_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else float("inf")

    def summary(self) -> str:
        acc = f"accuracy {100 * self.accuracy:.2f} %, " if self.accuracy is not None else ""
        check = ", every score == the numpy simulator" if self.checked else ""
        return (f"predicted {self.samples:,} samples of {self.source} with {self.engine} ({self.how}): {acc}"
                f"{rate(self.images_per_second)} on one thread{check}")


def rate(images_per_second: float) -> str:
    """A throughput in words: '6.48 M images/s', '41.2 k images/s'."""
    if images_per_second >= 1e6:
        return f"{images_per_second / 1e6:.2f} M images/s"
    return f"{images_per_second / 1e3:.1f} k images/s"


def predict(outdir: str | os.PathLike, dataset: str | None = None, data_dir=None, features: str | os.PathLike | None = None,
            labels: str | os.PathLike | None = None, engine: str = "auto", limit: int | None = None,
            check: bool = False, output: str | os.PathLike | None = None) -> PredictResult:
    """Classify raw samples with the compiled directory ``outdir``: ``features`` (an .npy of uint8,
    (n, F) or (n, C, H, W), with optional ``labels``), else the test split of ``dataset`` (default:
    the data set the model was trained on). ``engine``: auto (C, or the numpy simulator without a
    compiler), c, numpy. ``check`` compares every score with the simulator; ``output`` saves the class
    ids (.npy, int32)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")
    build = BuildDir.open(outdir, need_rtl=False)
    netlist = build.netlist
    if netlist.input_encoding is None:
        raise DataError(f"{build.path}: the netlist has no input_encoding, so raw samples cannot be turned into "
                        "its input bits; predict needs a model trained on a data set")
    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    x, y, source = _samples(build, dataset, data_dir, features, labels, limit, encoding.num_features)

    notes: list[str] = []
    compiler = None
    if engine != "numpy":
        try:
            compiler = find_cc("lgn2hw predict's C library")
        except ToolError as exc:
            if engine == "c":
                raise
            notes.append(f"{exc}; using the numpy simulator instead (slower)")
    reference = None
    if compiler is not None:
        built = build_c_library(netlist, "batch", compiler)
        library = load_c_library(netlist, built)
        library.predict_raw(x[:WARM_UP], scores=False)  # page in the tables and the code: not timed
        t0 = time.perf_counter()
        scores, classes = library.predict_raw(x, scores=check)
        seconds = time.perf_counter() - t0
        result = PredictResult(source, "C", built.describe(), seconds, classes, notes=notes)
        if check:
            reference = Simulator(netlist).scores(encoding.encode(x))
            _require_equal(scores, reference)
            result.checked = True
    else:
        simulator = Simulator(netlist)
        simulator.scores(encoding.encode(x[:WARM_UP]))  # as for C: first-call costs are not timed
        t0 = time.perf_counter()
        scores = simulator.scores(encoding.encode(x))
        classes = np.argmax(scores, axis=1).astype(np.int32)
        seconds = time.perf_counter() - t0
        result = PredictResult(source, "numpy", "netlist simulator", seconds, classes, notes=notes)
    if y is not None:
        result.accuracy = float(np.mean(classes == y))
    if output is not None:
        with atomic_file(output, "wb") as handle:  # OutputError (one line) when it cannot be written
            np.save(handle, classes.astype(np.int32))
    return result


def _samples(build: BuildDir, dataset, data_dir, features, labels, limit, num_features: int):
    """(raw uint8 (n, F), labels or None, description) from an .npy or a data set's test split."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be a positive integer, got {limit!r}")
    if features is not None:
        if dataset is not None:
            raise ConfigError("give either a data set or an .npy of raw features, not both")
        x = _load_npy(features, "raw features")
        y = _load_npy(labels, "labels") if labels is not None else None
        source = str(features)
    else:
        if labels is not None:
            raise ConfigError("labels go with an .npy of raw features (--npy)")
        from ..frontend.data.datasets import load_dataset

        name = dataset or build.dataset
        if name is None:
            raise ConfigError(f"{build.path}: the model records no data set: give --dataset or --npy")
        data = load_dataset(name, data_dir=data_dir)
        x, y, source = data.test_x, data.test_y, f"the {name} test split"
    if x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.dtype != np.uint8 or x.shape[0] == 0:
        raise DataError(f"raw features must be a non-empty uint8 array (samples, features), got {x.dtype} {x.shape}")
    if x.shape[1] < num_features:
        raise DataError(f"samples have {x.shape[1]} features, the input encoding reads feature {num_features - 1}")
    if y is not None:
        y = np.asarray(y).reshape(-1)
        if y.shape[0] != x.shape[0] or not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"labels must be {x.shape[0]} integers, got {y.dtype} {y.shape}")
    if limit is not None:
        x, y = x[:limit], (y[:limit] if y is not None else None)
    return np.ascontiguousarray(x[:, :num_features]), y, source


def _load_npy(path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file ({what})") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npy file of {what} ({exc})") from None


def _require_equal(scores: np.ndarray, reference: np.ndarray) -> None:
    if not np.array_equal(scores, reference):
        i = int(np.flatnonzero(np.any(scores != reference, axis=1))[0])
        raise VerificationError(f"C scores differ from the numpy simulator on sample {i}: "
                                f"{scores[i].tolist()} != {reference[i].tolist()}")


def _machine() -> str:
    """The CPU the native flags target: architecture and the feature flags the kernel reports."""
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith(("flags", "Features")):
                flags = line
                break
    except OSError:
        pass
    return f"{platform.machine()} {hashlib.sha256(flags.encode()).hexdigest()[:16]}"
