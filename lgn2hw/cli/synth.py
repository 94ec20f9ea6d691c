"""``lgn2hw synth``: Yosys LUT counts (and place and route) of a compiled directory."""

from __future__ import annotations

from pathlib import Path

import click

from .types import SECONDS


@click.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--flow", type=click.Choice(["generic", "xilinx", "ice40", "ecp5", "all"]), default="all", show_default=True,
              help="Yosys flow: generic LUT6, Xilinx 7-series LUTs, iCE40 SB_LUT4 (+ nextpnr when installed), ECP5 LUT4 "
                   "+ nextpnr-ecp5 on an LFE5U-85F (needs pip install 'lgn2hw[ecp5]'), or all (ecp5 only when installed; "
                   "a build compiled with --popcount carry4 has the xilinx flow only, one with ccu2c the ecp5 flow only).")
@click.option("--json", "as_json", is_flag=True, default=False, help="Print synth.json instead of the summary line.")
@click.option("--timeout", "timeout_s", type=SECONDS, default=600.0, show_default=True, help="Time limit for all tools, seconds.")
def synth(outdir: Path, flow: str, as_json: bool, timeout_s: float) -> None:
    """Synthesize a compiled directory's RTL with Yosys: LUT counts (gate core vs popcount/argmax head),
    LUT depth, iCE40 and ECP5 place-and-route. Writes OUTDIR/synth.json and OUTDIR/synth.md (docs/synthesis.md).

    \b
    Example:
      lgn2hw synth runs/fm_rtl --flow generic
      lgn2hw synth runs/fm_rtl --flow ecp5
    """
    from ..backend.synth import SYNTH_JSON, synthesize
    from .progress import StatusLine

    status = StatusLine("synth")
    try:
        result = synthesize(outdir, flows=None if flow == "all" else (flow,), timeout_s=timeout_s, progress=status)
    finally:
        status.close()
    click.echo((outdir / SYNTH_JSON).read_text().rstrip() if as_json else result.summary())

