"""``lgn2hw export``: a self-contained folder for a vendor tool."""

from __future__ import annotations

from pathlib import Path

import click

from .types import count


@click.command(name="export")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--target", type=click.Choice(["vivado", "quartus", "ice40", "generic"]), required=True,
              help="vivado: XDC + non-project TCL; quartus: SDC + project TCL; ice40: PCF + yosys/nextpnr/icepack "
                   "Makefile; generic: yosys LUT6 Makefile.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Export directory (not OUTDIR): new, empty, or one lgn2hw wrote before (its own files are replaced "
                   "together; files it did not write are kept).")
@click.option("--force", is_flag=True, default=False,
              help="Also write into a non-empty directory lgn2hw did not write (its files are never replaced).")
@click.option("--clock-mhz", type=float, default=100.0, show_default=True, help="Clock constraint in MHz.")
@click.option("--part", default=None,
              help="Device [defaults: vivado xc7a35tcpg236-1, quartus 5CSEMA5F31C6, ice40 hx8k-ct256; "
                   "ice40 also hx1k-tq144, hx8k-bg121, hx8k-cb132, up5k-sg48].")
@click.option("--vectors", type=count(1, 10_000_000), default=256, show_default=True,
              help="Random input vectors (with the Python reference's outputs) for verify/run_verify.py.")
def export_cmd(outdir: Path, target: str, output: Path, clock_mhz: float, part, vectors: int, force: bool) -> None:
    """Write a self-contained folder for a vendor tool from a compiled directory: the RTL, a wrapper with
    registered inputs and outputs (+2 cycles latency), constraints, a build script, a README and a cocotb
    testbench with vectors to re-verify (docs/export.md).

    \b
    Example:
      lgn2hw export runs/fm_rtl --target vivado --clock-mhz 200 -o runs/fm_vivado
      lgn2hw export runs/tiny_rtl --target ice40 -o runs/tiny_ice40 && make -C runs/tiny_ice40
    """
    from ..backend.export import export_build

    result = export_build(outdir, output, target, clock_mhz=clock_mhz, part=part, vectors=vectors, force=force)
    click.echo(result.summary())

