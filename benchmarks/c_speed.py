"""C inference speed, one core: lgn2hw's C library beside difflogic's own compiled C and lgn2hw's numpy
simulator on the same imported networks, the README demo model against the 10 M images/s target, the
build time of a 100,000-gate network, and the microcontroller variant's flash and RAM.

    nice -n 10 python benchmarks/c_speed.py --difflogic-src /tmp/difflogic-0.1.0 --demo runs/demo_rtl
        [--cpu 0] [--rounds 5] [--sizes 3x2000,6x8000] [--difflogic-opt 3] [--build-gates 100000]

difflogic's C generator: the benchmark imports ``difflogic.compiled_model`` from the unpacked sdist of
difflogic 0.1.0 (no CUDA needed; nothing of it is part of lgn2hw):

    pip download difflogic==0.1.0 --no-deps --no-binary :all: -d /tmp && tar xzf /tmp/difflogic-0.1.0.tar.gz -C /tmp

(or https://files.pythonhosted.org/packages/9c/18/e7ee8ec8a895f000411853174636f6a90480076da43ca3df40e1e4875fcc/difflogic-0.1.0.tar.gz,
or ``git archive`` of github.com/Felix-Petersen/difflogic at 469702c, whose compiled_model.py is the same).
Its package imports the CUDA extension ``difflogic_cuda`` at import time; an empty stand-in module is
put in its place (only the CPU code generator is used). Without ``--difflogic-src``, or when it does not
import, that column is skipped with a note.

Networks 3 x 2000 and 6 x 8000: a difflogic model (``LogicLayer(..., device="cpu")``, its own random
wiring and N(0, 1) weights, GroupSum(10)) on 2,352 input bits (Fashion-MNIST, 3 thermometer thresholds
per pixel). difflogic compiles it with its CompiledLogicNet (64 samples per word, gcc -O``--difflogic-opt``
-march=native); lgn2hw imports the same state dict (docs/difflogic-import.md), compiles it with -O2 and
builds its C library (gcc -O3 -march=native). Both read the same input buffer: the 10,000 test images
as one byte per input bit (difflogic's bool array; for lgn2hw an identity input encoding, bit i = byte
i > 0, through ``lgn_predict_raw``), so input packing is included on both sides, and both return every
class score; their scores are checked equal. lgn2hw is also measured as its users run it: the same
network imported with its thermometer encoding recorded, reading the 784 uint8 pixels an image and
thresholding and packing them in C (difflogic's C has no encoder: making its bool input is not timed).
The numpy simulator (lgn2hw.ir.simulate) gets the same bits. One buffer for all engines, because the 23.5 MB of the 10,000 images fit partly in the shared L3:
with a copy per engine, the engine after difflogic found less of its input there than the next one.

Demo model (``--demo``, a directory from ``lgn2hw compile`` of ``lgn2hw train --preset demo``): the
10,000 raw uint8 test images through ``lgn_predict_raw`` (thresholds applied in C), class ids only and
with scores; the numpy simulator with ThresholdEncoding.encode in front.

Timing: the process is pinned to one CPU (``--cpu``, as taskset does); rounds interleave the engines,
in each round an engine classifies the whole set twice in a row and the second run is timed (warm, as
in a stream of calls, whatever ran before), and the best round is kept, measured with the process's
CPU time (on a shared machine wall time also counts the other jobs; it is printed too), with Python's
garbage collector off during the timed call and no BLAS/OpenMP helper threads (which would spin on
the pinned core and count in the process's CPU time). Each engine
also runs on the first 2,048 images alone, whose input bytes stay in the caches, to separate the
speed of the code from that of the memory. Build times marked * were measured when the library was
first built and kept in ``--difflogic-cache``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import os
import sys
import tempfile
import time
import types
from pathlib import Path

# One core: no BLAS / OpenMP helper threads. Pinned to the same CPU they would spin there after each
# numpy or torch call and count in the process's CPU time of whichever engine runs next.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np

from lgn2hw.backend.c import lower, render_sources
from lgn2hw.flows.compile import compile_source
from lgn2hw.flows.predict import build_c_library, load_c_library
from lgn2hw.frontend.data.datasets import load_dataset
from lgn2hw.ir.build_dir import BuildDir
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.simulate import Simulator
from lgn2hw.toolchain.process import run

TARGET_RATE = 10e6
TARGET_BUILD_S = 10.0
HOT_SAMPLES = 2048  # a second, cache-resident input set


def best_of(engines: dict, rounds: int) -> dict[str, tuple[float, float]]:
    """{name: (best CPU seconds, best wall seconds)} over interleaved rounds of every engine. In each
    round an engine runs twice in a row and the second run is timed: its code, tables and buffers are
    then as warm as in a stream of calls, whichever engine ran before it. Python's garbage collector
    is off while an engine is timed (as in timeit): a collection of the torch-sized heap would
    otherwise land in whichever call happens to allocate."""
    best = {name: (float("inf"), float("inf")) for name in engines}
    for _ in range(rounds):
        for name, fn in engines.items():
            fn()
            gc.disable()  # no gc.collect() first: walking the heap would evict the warm caches
            try:
                c0, w0 = time.process_time(), time.perf_counter()
                fn()
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            finally:
                gc.enable()
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


def rate(n: int, seconds: float) -> str:
    value = n / seconds
    return f"{value / 1e6:6.2f} M" if value >= 1e6 else f"{value / 1e3:6.1f} k"


def table(rows: list[tuple[str, str, dict]], reference: str | None, sets: list[tuple[str, int]]) -> None:
    """One line per engine: build time, then per input set images/s by CPU time (wall time for the
    first set) and the ratio to ``reference`` by CPU time."""
    head = f"  {'engine':38s} {'build':>7s}"
    for label, _ in sets:
        head += f" | {label + ' CPU':>16s}"
        if label == sets[0][0]:
            head += f" {'wall':>11s}"
        head += f" {'vs ref':>7s}"
    print(head)
    ref = next((t for name, _, t in rows if name == reference), None)
    for name, build, times in rows:
        line = f"  {name:38s} {build:>7s}"
        for label, n in sets:
            cpu, wall = times[label]
            line += f" | {rate(n, cpu):>14s}/s"
            if label == sets[0][0]:
                line += f" {rate(n, wall):>9s}/s"
            line += f" {ref[label][0] / cpu:6.1f}x" if ref else "        "
        print(line)
    if reference:
        print(f"  (vs ref: speed relative to {reference}, by CPU time)")


# ----------------------------------------------------------------------------------- difflogic
def import_difflogic(src: str | None):
    """difflogic's package from an unpacked sdist, with a stand-in for its CUDA extension; (module, note)."""
    if src is None:
        return None, "no --difflogic-src given: difflogic's compiled C is not measured"
    sys.modules.setdefault("difflogic_cuda", types.ModuleType("difflogic_cuda"))
    sys.path.insert(0, str(Path(src).resolve()))
    try:
        return importlib.import_module("difflogic"), None
    except Exception as exc:  # noqa: BLE001 - any import failure: skip the column, say why
        return None, f"difflogic from {src} does not import ({type(exc).__name__}: {exc}): its column is skipped"


def difflogic_model(difflogic, inputs: int, layers: int, width: int, classes: int, seed: int):
    import torch

    torch.manual_seed(seed)
    modules, fan_in = [torch.nn.Flatten()], inputs
    for _ in range(layers):
        modules.append(difflogic.LogicLayer(fan_in, width, device="cpu", implementation="python"))
        fan_in = width
    modules.append(difflogic.GroupSum(classes, tau=1.0, device="cpu"))
    return torch.nn.Sequential(*modules).eval()


def compile_difflogic(model, opt_level: int, cache: str | None):
    """difflogic's CompiledLogicNet of ``model`` and its build time in words. With ``cache`` (a folder)
    the library and its build time are kept there, keyed by the generated C and the -O level, so that
    a rerun does not wait minutes for gcc again."""
    from difflogic.compiled_model import CompiledLogicNet

    compiled = CompiledLogicNet(model, device="cpu", num_bits=64, cpu_compiler="gcc")
    key = hashlib.sha256(f"{opt_level}\n{compiled.get_c_code()}".encode()).hexdigest()[:24]
    library = Path(cache) / f"difflogic-{key}.so" if cache else None
    if library is not None:
        library.parent.mkdir(parents=True, exist_ok=True)
    if library is not None and library.is_file():
        seconds = json.loads(library.with_suffix(".json").read_text())["build_s"]
        return CompiledLogicNet.load(str(library), num_classes=compiled.num_classes, num_bits=64), f"{seconds:.1f} s*"
    t0 = time.perf_counter()
    compiled.compile(opt_level=opt_level, save_lib_path=str(library) if library else None)
    seconds = time.perf_counter() - t0
    if library is not None:
        library.with_suffix(".json").write_text(json.dumps({"build_s": seconds}))
    return compiled, f"{seconds:.1f} s"


def import_into_lgn2hw(model, inputs: int, classes: int, work: Path, encoding: dict | None = None) -> Netlist:
    """The state dict as docs/difflogic-import.md says to save it, compiled by lgn2hw -O2 into ``work``.
    ``encoding``: the input encoding recorded with it (JSON); None, the identity (bit i = byte i > 0)."""
    import torch

    state = {k: v for k, v in model.state_dict().items()}
    for name, layer in model.named_children():
        if hasattr(layer, "indices"):
            state[f"{name}.indices"] = torch.stack(layer.indices)
    state["num_classes"], state["num_inputs"] = classes, inputs
    state["input_encoding"] = encoding or {"kind": "threshold", "feature": list(range(inputs)), "threshold": [0] * inputs}
    work.mkdir(exist_ok=True)
    torch.save(state, work / "difflogic.pt")
    compile_source(work / "difflogic.pt", work / "rtl", opt_level=2, check_vectors=2000)
    return BuildDir.open(work / "rtl").netlist


def compare_with_difflogic(args, difflogic, bits: np.ndarray, pixels: np.ndarray, encoding: ThresholdEncoding,
                           layers: int, width: int, work: Path) -> None:
    """One network: difflogic's compiled C, lgn2hw's C (scores + ids, ids only) on the same input bytes and
    on the uint8 pixels the bits were encoded from, the numpy simulator."""
    n, inputs = bits.shape
    print(f"\nnetwork {layers} x {width} ({layers * width:,} gates), {n:,} Fashion-MNIST test images as "
          f"{inputs:,} input bytes each:")
    model = difflogic_model(difflogic, inputs, layers, width, 10, args.seed)
    compiled, dl_build = compile_difflogic(model, args.difflogic_opt, args.difflogic_cache)
    padded = -(-n // 64) * 64
    flat = np.ascontiguousarray(np.concatenate([bits, np.zeros((padded - n, inputs), bool)]).reshape(-1))
    dl_out = np.zeros(padded * 10, dtype=np.int32)  # difflogic's C writes whole words of 64 samples

    netlist = import_into_lgn2hw(model, inputs, 10, work / "bits")
    built = build_c_library(netlist, "batch")
    library = load_c_library(netlist, built)
    # The same network imported with its thermometer encoding recorded: what an lgn2hw user runs, the
    # uint8 pixels in and the thresholds applied in C. difflogic's C has no encoder: its bool input is
    # made before the call (not timed here).
    px_netlist = import_into_lgn2hw(model, inputs, 10, work / "pixels", encoding.to_json())
    px_library = load_c_library(px_netlist, build_c_library(px_netlist, "batch"))
    simulator = Simulator(netlist)
    hot = min(n, HOT_SAMPLES)
    result, times = {}, {}
    for label, count in ((f"{n:,}", n), (f"{hot:,} hot", hot)):
        # Every engine reads the same bytes at the same address (difflogic's padded buffer): with copies,
        # the engine that runs after difflogic found less of its input in the L3 than the one after it
        # (measured: whichever lgn2hw engine came first was 20-30 % slower on the 10,000 set).
        batches = -(-count // 64)
        dl_in = flat[: batches * 64 * inputs]
        sub = flat[: count * inputs].reshape(count, inputs)
        raw = sub.view(np.uint8)
        px = pixels[:count]
        engines = {
            "difflogic": lambda dl_in=dl_in, batches=batches: compiled.lib_fn(dl_in, dl_out, batches),
            "ours": lambda raw=raw, label=label: result.__setitem__(("ours", label), library.predict_raw(raw)),
            "ours ids": lambda raw=raw: library.predict_raw(raw, scores=False),
            "px": lambda px=px, label=label: result.__setitem__(("px", label), px_library.predict_raw(px)),
            "px ids": lambda px=px: px_library.predict_raw(px, scores=False),
            "numpy": lambda sub=sub, label=label: result.__setitem__(("numpy", label), simulator.scores(sub)),
        }
        times[label] = best_of(engines, args.rounds)
        if count == n:
            dl_scores = dl_out.reshape(-1, 10)[:n].copy()
    full = f"{n:,}"
    ours = result[("ours", full)][0]
    same = (np.array_equal(ours, dl_scores) and np.array_equal(ours, result[("numpy", full)])
            and np.array_equal(result[("px", full)][0], dl_scores)
            and all(np.array_equal(result[("px", label)][1], result[("ours", label)][1]) for label in times))
    print(f"  lgn2hw -O2 keeps {netlist.num_gates:,} of the {layers * width:,} gates (difflogic's C has all of them; "
          f"gcc drops the unread ones); every class score equal in all four: {same}")
    difflogic_name = f"difflogic C (gcc -O{args.difflogic_opt} -march=native)"
    by_engine = {name: {label: times[label][name] for label in times}
                 for name in ("difflogic", "ours", "ours ids", "px", "px ids", "numpy")}
    table([(difflogic_name, dl_build, by_engine["difflogic"]),
           ("lgn2hw C, scores + ids (-O3 native)", f"{built.seconds:.1f} s", by_engine["ours"]),
           ("lgn2hw C, ids only", "", by_engine["ours ids"]),
           ("lgn2hw C from pixels, scores + ids", "", by_engine["px"]),
           ("lgn2hw C from pixels, ids only", "", by_engine["px ids"]),
           ("lgn2hw numpy simulator", "-", by_engine["numpy"])], difflogic_name, [(label, c) for label, c in
                                                                                  ((full, n), (f"{hot:,} hot", hot))])
    print(f"  ({hot:,} hot: the first {hot:,} images, {hot * inputs / 1e6:.1f} MB of input bytes, which stay in the "
          f"caches; {n:,}: {n * inputs / 1e6:.1f} MB, beyond the core's L2, partly held by the shared L3 depending on what "
          f"ran before; from pixels: {n * pixels.shape[1] / 1e6:.1f} MB of uint8 pixels, encoded in C)")
    if not same:
        raise SystemExit("scores differ: the comparison is void")


# ---------------------------------------------------------------------------------------- demo
def demo(args) -> None:
    build = BuildDir.open(args.demo, need_rtl=False)
    netlist = build.netlist
    data = load_dataset(build.dataset or "fashion-mnist", data_dir=args.data_dir)
    raw, labels = data.test_x, data.test_y
    enc = ThresholdEncoding.from_json(netlist.input_encoding, netlist.num_inputs)
    built = build_c_library(netlist, "batch")
    library = load_c_library(netlist, built)
    simulator = Simulator(netlist)
    n, hot = raw.shape[0], min(raw.shape[0], HOT_SAMPLES)
    result, times = {}, {}
    for label, count in ((f"{n:,}", n), (f"{hot:,} hot", hot)):
        sub = raw[:count]
        engines = {
            "ids": lambda sub=sub, label=label: result.__setitem__(("ids", label), library.predict_raw(sub, scores=False)[1]),
            "scores": lambda sub=sub, label=label: result.__setitem__(("scores", label), library.predict_raw(sub)),
            "numpy": lambda sub=sub, label=label: result.__setitem__(("numpy", label), simulator.scores(enc.encode(sub))),
        }
        times[label] = best_of(engines, args.rounds)
    full = f"{n:,}"
    same = (np.array_equal(result[("scores", full)][0], result[("numpy", full)])
            and np.array_equal(result[("ids", full)], result[("scores", full)][1]))
    acc = float(np.mean(result[("ids", full)] == labels))
    print(f"\ndemo model {args.demo}: {netlist.num_gates:,} gates (depth {netlist.depth()}), {netlist.num_inputs:,} input "
          f"bits from 784 raw uint8 pixels, {n:,} test images, accuracy {100 * acc:.2f} %, C == simulator: {same}")
    by_engine = {name: {label: times[label][name] for label in times} for name in ("ids", "scores", "numpy")}
    table([("lgn2hw C, ids only (raw uint8 in)", f"{built.seconds:.1f} s", by_engine["ids"]),
           ("lgn2hw C, scores + ids", "", by_engine["scores"]),
           ("lgn2hw numpy simulator (+ encode)", "-", by_engine["numpy"])],
          "lgn2hw numpy simulator (+ encode)", [(full, n), (f"{hot:,} hot", hot)])
    best, best_hot = n / times[full]["ids"][0], hot / times[f"{hot:,} hot"]["ids"][0]
    print(f"  target >= {TARGET_RATE / 1e6:.0f} M images/s on one core (class ids, raw pixels in): {best / 1e6:.2f} M on "
          f"the {n:,} test images ({'met' if best >= TARGET_RATE else 'missed'}), {best_hot / 1e6:.2f} M on {hot:,} hot")
    with tempfile.TemporaryDirectory(prefix="lgn2hw-mcu-") as work:
        mcu_size(netlist, Path(work))


def mcu_size(netlist: Netlist, work: Path) -> None:
    """Flash and RAM of the single-sample variant at -Os: Cortex-M4 when arm-none-eabi-gcc is installed."""
    sources = render_sources(lower(netlist, "single"))
    for name, text in sources.items():
        (work / name).write_text(text)
    for cc, size, flags, what in (("arm-none-eabi-gcc", "arm-none-eabi-size", ["-mcpu=cortex-m4", "-mthumb"], "Cortex-M4"),
                                  ("cc", "size", [], "host")):
        try:
            done = run([cc, "-Os", *flags, "-DLGN_NO_BATCH", "-c", "-o", "m.o", "lgn_model.c"], cwd=work)
        except Exception:  # noqa: BLE001 - a compiler that is not installed
            continue
        if done.returncode != 0:
            continue
        sections = {}
        for line in run([size, "-A", "m.o"], cwd=work).output.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
                sections[parts[0]] = int(parts[1])
        flash = sum(v for k, v in sections.items() if k.startswith((".text", ".rodata", ".data")))
        ram = sum(v for k, v in sections.items() if k.startswith((".data", ".bss")))
        version = run([cc, "--version"]).output.splitlines()[0]
        print(f"  single-sample variant ({what}, {version}, -Os {' '.join(flags)}): flash {flash:,} bytes "
              f"(code .text {sections.get('.text', 0):,}, tables .rodata {sections.get('.rodata', 0):,}), "
              f"RAM {ram:,} bytes static + stack")
        return


# --------------------------------------------------------------------------------- build time
def build_time(args, work: Path) -> None:
    """A 10-layer network of --build-gates gates with difflogic's wiring (every gate read), built from scratch."""
    enc = ThresholdEncoding.thermometer(784, 3)
    rng = np.random.default_rng(args.seed)
    layers, width = 10, args.build_gates // 10
    ops, a, b, lo, fan_in = [], [], [], 0, enc.num_bits
    for _ in range(layers):
        c = rng.permutation(fan_in)[rng.permutation(2 * width) % fan_in].reshape(2, width)  # difflogic's rule
        ops.append(rng.integers(1, 15, width))
        a.append(lo + c[0])
        b.append(lo + c[1])
        lo, fan_in = (enc.num_bits if lo == 0 else lo + fan_in), width
    netlist = Netlist(enc.num_bits, 10, np.concatenate(ops), np.concatenate(a), np.concatenate(b),
                      np.arange(enc.num_bits + (layers - 1) * width, enc.num_bits + layers * width), enc.to_json())
    netlist.validate()
    os.environ["LGN2HW_CACHE_DIR"] = str(work / "cache")
    t0 = time.perf_counter()
    model = lower(netlist, "batch")
    render_sources(model)
    generate = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = build_c_library(netlist, "batch")
    total = time.perf_counter() - t0
    print(f"\nbuild time, {netlist.num_gates:,} gates ({layers} x {width:,}; {model.batch.evaluated:,} table entries: "
          f"copies read through, {model.batch.fused:,} fused pairs): "
          f"generate C {generate:.1f} s, {built.compiler.name} {' '.join(built.flags)} {built.seconds:.1f} s, "
          f"build_c_library total {total:.1f} s (target <= {TARGET_BUILD_S:.0f} s: "
          f"{'met' if total <= TARGET_BUILD_S else 'missed'})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--difflogic-src", default=None, help="unpacked difflogic 0.1.0 sdist (see above)")
    parser.add_argument("--demo", default=None, help="compiled directory of the README demo model")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--sizes", default="3x2000,6x8000")
    parser.add_argument("--difflogic-opt", type=int, default=3, help="gcc -O level for difflogic's C")
    parser.add_argument("--difflogic-cache", default=None,
                        help="keep difflogic's compiled libraries (and build times, marked * when reused) here")
    parser.add_argument("--build-gates", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"one core (CPU {args.cpu}) of {os.cpu_count()}; load average {load[0]:.2f} at the start; numpy {np.__version__}")
    with tempfile.TemporaryDirectory(prefix="lgn2hw-c-speed-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("LGN2HW_CACHE_DIR", str(work / "cache"))
        difflogic, note = import_difflogic(args.difflogic_src)
        if note:
            print(f"note: {note}")
        elif args.sizes:
            enc = ThresholdEncoding.thermometer(784, 3)
            pixels = np.ascontiguousarray(load_dataset("fashion-mnist", data_dir=args.data_dir).test_x)
            bits = enc.encode(pixels).astype(bool)
            for size in args.sizes.split(","):
                layers, width = (int(v) for v in size.lower().split("x"))
                folder = work / size
                folder.mkdir()
                compare_with_difflogic(args, difflogic, bits, pixels, enc, layers, width, folder)
        if args.demo:
            demo(args)
        if args.build_gates:
            build_time(args, work)
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"load average {load[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
