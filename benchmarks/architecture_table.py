"""Accuracy per LUT of trained, compiled and synthesized runs: one markdown row per run.

    python benchmarks/architecture_table.py RUN [RUN ...]

Each RUN is a checkpoint CKPT.pt whose ``lgn2hw compile CKPT.pt -o DIR`` output DIR holds a
``synth.json`` from ``lgn2hw synth DIR --flow generic``; DIR is ``--rtl`` (default: ``rtl`` beside
the checkpoint, or ``CKPT-stem_rtl``). Prints, per run: widths, connections, thresholds, hard test
accuracy (last epoch, from the checkpoint's metrics), training samples/s when the metrics say it
(``--speed NAME=RATE`` overrides), gates before/after -O2, generic LUT6 full / core / popcount /
argmax, and the encoder the design would need from uint8 pixels: comparators of the live input
bits, their two-input gates and LUT6 estimate (lgn2hw.ir.encoder_cost; not part of the RTL counted
by Yosys here, which takes bits in). docs/architectures.md has the measured table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lgn2hw.frontend.checkpoint import Checkpoint
from lgn2hw.ir.encoder_cost import encoder_cost
from lgn2hw.ir.netlist import Netlist
from lgn2hw.passes.dead_gates import live_signals


def rtl_dir(checkpoint: Path) -> Path:
    for candidate in (checkpoint.parent / "rtl", checkpoint.with_name(checkpoint.stem + "_rtl")):
        if (candidate / "synth.json").is_file():
            return candidate
    raise SystemExit(f"{checkpoint}: no rtl/ or {checkpoint.stem}_rtl/ with a synth.json beside it")


def row(checkpoint: Path, speed: dict[str, str]) -> str:
    ckpt = Checkpoint.load(checkpoint)
    config, last = ckpt.model.config, ckpt.metrics[-1]
    rtl = rtl_dir(checkpoint)
    netlist = Netlist.load(rtl / "netlist.json")
    report = json.loads((rtl / "compile_report.json").read_text())
    generic = next(t for t in json.loads((rtl / "synth.json").read_text())["table"] if t["flow"] == "generic")
    live = live_signals(netlist)[: netlist.num_inputs]
    enc = encoder_cost(netlist.input_encoding, live=live)
    levels = len(set(netlist.input_encoding["threshold"]))
    conn = config.connections + (f" {config.pool}" if config.connections == "learned" else "")
    rate = speed.get(checkpoint.stem) or speed.get(checkpoint.parent.name) or ""
    return (f"| {','.join(map(str, config.widths))} | {conn} | {levels} | {len(ckpt.metrics)} | "
            f"{100 * last['hard_test_acc']:.2f} | {rate} | {report['gates_raw']:,} -> {report['gates_optimized']:,} | "
            f"**{generic['luts']:,}** | {generic['core_luts']:,} | {generic['popcount_luts']:,} | {generic['argmax_luts']:,} | "
            f"{int(live.sum()):,} / {enc.gates:,} / {enc.lut6:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--speed", action="append", default=[], metavar="NAME=RATE",
                        help="training samples/s to print for the run whose checkpoint stem or folder is NAME")
    args = parser.parse_args()
    speed = dict(s.split("=", 1) for s in args.speed)
    print("| widths | connections | thresholds | epochs | hard test acc % | train samples/s | gates (-O2) "
          "| LUT6 full | core | popcount | argmax | encoder: live bits / gates / LUT6 est. |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        print(row(run, speed), flush=True)


if __name__ == "__main__":
    main()
