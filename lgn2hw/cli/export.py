"""``lgn2hw export``: a self-contained folder for a vendor tool, a C library (``--target c``) or the
classifier as an AIGER and-inverter graph (``--target aiger``)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ConfigError
from .types import MAX_SECONDS, count, positive_float

VENDOR_TARGETS = ["vivado", "quartus", "ice40", "generic"]


@click.command(name="export")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--target", type=click.Choice([*VENDOR_TARGETS, "c", "aiger"]), required=True,
              help="vivado: XDC + non-project TCL; quartus: SDC + project TCL; ice40: PCF + yosys/nextpnr/icepack "
                   "Makefile; generic: yosys LUT6 Makefile; c: a C99 library for CPUs and microcontrollers "
                   "(docs/c-backend.md); aiger: the classifier as binary AIGER for ABC (docs/aiger.md).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Export directory (not OUTDIR): new, empty, or one lgn2hw wrote before (its own files are replaced "
                   "together; files it did not write are kept).")
@click.option("--force", is_flag=True, default=False,
              help="Also write into a non-empty directory lgn2hw did not write (its files are never replaced).")
@click.option("--clock-mhz", type=float, default=None, help="Clock constraint in MHz [default: 100; not with c or aiger].")
@click.option("--part", default=None,
              help="Device [defaults: vivado xc7a35tcpg236-1, quartus 5CSEMA5F31C6, ice40 hx8k-ct256; "
                   "ice40 also hx1k-tq144, hx8k-bg121, hx8k-cb132, up5k-sg48; not with c or aiger].")
@click.option("--vectors", type=count(1, 10_000_000), default=None,
              help="Random input vectors with the Python reference's outputs: for verify/run_verify.py "
                   "[default: 256], or, with c, the samples the example program checks [default: 16], or, with "
                   "aiger --check, the random vectors simulated [default: 4096].")
@click.option("--c-variant", type=click.Choice(["auto", "both", "batch", "single"]), default="auto", show_default=True,
              help="c only: batch (bit-parallel over 512 samples), single (one sample, no malloc, for "
                   "microcontrollers; up to 65,535 signals), both; auto: both when the single-sample variant "
                   "can hold the netlist, else batch.")
@click.option("--no-fit-check", is_flag=True, default=False,
              help="ice40: write the folder even when the design needs more IO pins (even serialized) or logic "
                   "cells than the part has (by default refused with the numbers, before anything is written).")
@click.option("--aiger-outputs", type=click.Choice(["all", "scores"]), default=None,
              help="aiger only: all (scores and class_id) or scores (the class scores alone) [default: all].")
@click.option("--check", is_flag=True, default=False,
              help="aiger only: before writing, simulate the AIG against lgn2hw's simulator and prove it equal to "
                   "the compiled Verilog with Yosys (small networks; fails as 'not proven' past --check-seconds).")
@click.option("--check-seconds", type=positive_float(MAX_SECONDS), default=None,
              help="aiger --check: time limit of the proof in seconds [default: 300].")
def export_cmd(outdir: Path, target: str, output: Path, force: bool, clock_mhz, part, vectors, c_variant: str,
               no_fit_check: bool, aiger_outputs, check: bool, check_seconds) -> None:
    """Write a self-contained folder from a compiled directory: for a vendor tool, the RTL, a wrapper with
    registered inputs and outputs (+2 cycles latency), constraints, a build script, a README and a cocotb
    testbench with vectors to re-verify (docs/export.md); for c, a C99 library (header + source), a
    Makefile, an example program that checks itself, and a README (docs/c-backend.md).

    \b
    Example:
      lgn2hw export runs/fm_rtl --target vivado --clock-mhz 200 -o runs/fm_vivado
      lgn2hw export runs/tiny_rtl --target ice40 -o runs/tiny_ice40 && make -C runs/tiny_ice40
      lgn2hw export runs/fm_rtl --target c -o runs/fm_c && make -C runs/fm_c check
      lgn2hw export runs/tiny_rtl --target aiger --check -o runs/tiny_aig
    """
    aiger_only = (("--aiger-outputs", aiger_outputs), ("--check", check or None), ("--check-seconds", check_seconds))
    if target != "aiger":
        for name, value in aiger_only:
            if value is not None:
                raise ConfigError(f"{name} applies to --target aiger only, not {target}")
    if no_fit_check and target != "ice40":
        raise ConfigError(f"--no-fit-check applies to --target ice40 only, not {target}")
    if target == "aiger":
        _export_aiger(outdir, output, force, clock_mhz, part, vectors, c_variant, aiger_outputs, check, check_seconds)
        return
    if target == "c":
        from ..backend.c import export_c

        for name, value in (("--clock-mhz", clock_mhz), ("--part", part)):
            if value is not None:
                raise ConfigError(f"{name} does not apply to --target c")
        result = export_c(outdir, output, c_variant, force=force, **({"samples": vectors} if vectors is not None else {}))
        click.echo(result.summary())
        return
    if c_variant != "auto":
        raise ConfigError(f"--c-variant applies to --target c only, not {target}")
    from ..backend.export import export_build

    options = {k: v for k, v in (("clock_mhz", clock_mhz), ("part", part), ("vectors", vectors)) if v is not None}
    result = export_build(outdir, output, target, force=force, fit_check=not no_fit_check, **options)
    click.echo(result.summary())


def _export_aiger(outdir, output, force, clock_mhz, part, vectors, c_variant, aiger_outputs, check, check_seconds):
    from ..backend.aiger import plan_aiger, write_aiger_export

    for name, value in (("--clock-mhz", clock_mhz), ("--part", part), ("--c-variant", None if c_variant == "auto" else c_variant)):
        if value is not None:
            raise ConfigError(f"{name} does not apply to --target aiger")
    if not check:
        for name, value in (("--vectors", vectors), ("--check-seconds", check_seconds)):
            if value is not None:
                raise ConfigError(f"{name} applies to --target aiger with --check only")
    export = plan_aiger(outdir, output, aiger_outputs or "all", force=force)
    result = None
    if check:
        from ..check.aiger import DEFAULT_SECONDS, DEFAULT_VECTORS, check_aiger

        result = check_aiger(export, vectors or DEFAULT_VECTORS, check_seconds or DEFAULT_SECONDS)
    click.echo(write_aiger_export(export).summary())
    if result is not None:
        click.echo(result.summary())
