"""``lgn2hw compile``: checkpoint or netlist.json -> optimized netlist -> Verilog."""

from __future__ import annotations

from pathlib import Path

import click

from ..ir.popcount import DEFAULT_POPCOUNT, POPCOUNT_CHOICES
from .progress import StatusLine
from .types import count


@click.command(name="compile")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output directory for netlist.json, the RTL and compile_report.json: new, empty, or one lgn2hw wrote "
                   "before (its own files are replaced together; files it did not write are kept).")
@click.option("--force", is_flag=True, default=False,
              help="Also write into a non-empty directory lgn2hw did not write (its files are never replaced).")
@click.option("-O", "opt_level", type=click.IntRange(0, 2), default=2, show_default=True,
              help="Optimization level: 0 none, 1 constant folding + dead gates, 2 all passes.")
@click.option("--module-name", default="lgn_top", show_default=True, help="Verilog top module name.")
@click.option("--check-vectors", type=count(0), default=10000, show_default=True,
              help="Vectors on which Python inference, raw and optimized netlist must agree before writing (0 skips).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the model's data set lives, for the agreement check on its test set.")
@click.option("--report", is_flag=True, default=False, help="Print the per-pass optimization report.")
@click.option("--pipeline", type=count(0, 1_000_000), default=0, show_default=True,
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
@click.option("--popcount", type=click.Choice(list(POPCOUNT_CHOICES)), default=DEFAULT_POPCOUNT, show_default=True,
              help="How the head sums each class's bits, chosen for the target: "
                   + "; ".join(f"{name}: {text}" for name, text in POPCOUNT_CHOICES.items()) + ".")
def compile_cmd(source: Path, output: Path, opt_level: int, module_name: str, check_vectors: int, data_dir, report: bool,
                pipeline: int, num_classes, num_inputs, raw_inputs: bool, raw_bits: int, force: bool, popcount: str) -> None:
    """Freeze a checkpoint (or read a netlist.json), optimize it and emit Verilog.

    SOURCE is an lgn2hw checkpoint, a netlist.json, or a difflogic state dict with its saved wiring
    (docs/difflogic-import.md).

    \b
    Example:
      lgn2hw compile runs/fm.pt -o runs/fm_rtl -O2 --report
      lgn2hw compile difflogic_mnist.pt --num-classes 10 -o runs/dl_rtl
      lgn2hw compile runs/fm.pt -o runs/fm_raw_rtl --raw-inputs --pipeline 2
      lgn2hw compile runs/fm.pt -o runs/fm_xilinx --popcount carry4
      lgn2hw compile runs/fm.pt -o runs/fm_ecp5 --popcount ccu2c --pipeline 2
    """
    from ..flows.compile import compile_source

    status = StatusLine("compile")
    try:
        result = compile_source(source, output, opt_level=opt_level, module_name=module_name,
                                check_vectors=check_vectors or None, data_dir=data_dir, pipeline=pipeline,
                                num_classes=num_classes, num_inputs=num_inputs, raw_inputs=raw_inputs, raw_bits=raw_bits,
                                force=force, on_stage=status, popcount=popcount,
                                progress=lambda run: status(f"optimizing: {run.name} done, {run.gates_after:,} gates"))
    finally:
        status.close()
    if report:
        click.echo(result.report.format().rstrip())
    if result.checks:
        extra = " == Python hard inference" if "torch_vs_netlist" in result.checks else ""
        click.echo(f"check: raw == optimized netlist{extra} on {result.checks['vectors']:,} {result.checks['on']}")
    if result.removed:
        click.echo(f"removed from the earlier build in {output} (they described the RTL it replaced): "
                   + ", ".join(result.removed))
    click.echo(result.summary())

