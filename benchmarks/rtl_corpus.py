"""The RTL corpus: a fixed set of designs whose Verilog must stay byte-identical across refactors.

Usage:
  python benchmarks/rtl_corpus.py --check tests/golden/rtl_corpus.json   # exit 1 on any difference
  python benchmarks/rtl_corpus.py --write tests/golden/rtl_corpus.json   # record the current output
  python benchmarks/rtl_corpus.py --checkpoint runs/demo/model.pt --check FILE  # + a trained model

The corpus: 3 seeds of a random layered network (with constant, input and repeated outputs, as -O2
leaves them) x combinational / pipeline 1 / pipeline 2 x both popcount trees, the same with the
raw-input front end, and every other Verilog writer (gate core alone, scores-only wrapper, input
encoder). With ``--checkpoint`` a trained model is frozen, optimized (-O2) and added. Each design is
recorded as the sha256 of its text; tests/test_rtl_corpus.py runs the same check in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from lgn2hw.backend.verilog import emit_verilog
from lgn2hw.backend.verilog.wrappers import core_verilog, encoder_verilog, scores_verilog
from lgn2hw.ir.build_dir import BuildOptions, RawInputs
from lgn2hw.ir.encoding import ThresholdEncoding
from lgn2hw.ir.gates import FALSE, TRUE
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.synthetic import random_layered

SEEDS = (0, 1, 2)
PIPELINES = (0, 1, 2)
POPCOUNTS = ("compressor", "adder")


def corpus_netlist(seed: int) -> Netlist:
    """A random layered network over a 2-threshold thermometer encoding of 20 features, with outputs
    that are constants (TRUE and FALSE gates), input bits and repeats, as an optimized network has."""
    base = random_layered(40, 3, (48, 48, 40), 4, seed)
    rng = np.random.default_rng(1000 + seed)
    ops = np.concatenate([base.ops, np.array([TRUE, FALSE], dtype=np.uint8)])
    a = np.concatenate([base.a, [0, 0]])
    b = np.concatenate([base.b, [0, 0]])
    outputs = base.outputs.copy()
    slots = rng.permutation(outputs.size)
    outputs[slots[0]], outputs[slots[1]] = base.num_signals, base.num_signals + 1  # the two constants
    outputs[slots[2]] = int(rng.integers(0, base.num_inputs))  # an input bit summed directly
    outputs[slots[3]] = outputs[slots[4]]  # a repeat
    encoding = ThresholdEncoding.thermometer(20, 2, 255).to_json()
    netlist = Netlist(base.num_inputs, base.num_classes, ops, a, b, outputs, encoding)
    netlist.validate()
    return netlist


def corpus(checkpoint: Path | None = None) -> dict[str, str]:
    """{design name: Verilog text} for every design of the corpus."""
    designs: dict[str, str] = {}
    netlists = {f"seed{seed}": corpus_netlist(seed) for seed in SEEDS}
    if checkpoint is not None:
        from lgn2hw.flows.compile import load_source
        from lgn2hw.passes import optimize

        netlists["checkpoint"] = optimize(load_source(checkpoint).netlist, level=2).netlist
    for name, netlist in netlists.items():
        header = {"corpus": name}
        for pipeline in PIPELINES:
            for popcount in POPCOUNTS:
                for raw in (False, True):
                    key = f"{name}/p{pipeline}/{popcount}" + ("/raw" if raw else "")
                    files = emit_verilog(netlist, "lgn_top", header, pipeline, raw_inputs=raw, popcount=popcount)
                    designs[key] = files["lgn_top.v"]
        designs[f"{name}/core"] = core_verilog(netlist, "lgn_top_core")
        designs[f"{name}/scores"] = scores_verilog(netlist, BuildOptions(), "lgn_top_scores")
        raw = BuildOptions(raw_inputs=RawInputs.for_netlist(netlist, 8))
        designs[f"{name}/encoder"] = encoder_verilog(netlist, raw, "lgn_top_encoder")
    return designs


def digests(designs: dict[str, str]) -> dict[str, str]:
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in sorted(designs.items())}


def compare(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Lines naming every design that differs, is missing or is new."""
    lines = []
    for key in sorted(set(recorded) | set(current)):
        if key not in current:
            lines.append(f"missing: {key}")
        elif key not in recorded:
            lines.append(f"new (not recorded): {key}")
        elif recorded[key] != current[key]:
            lines.append(f"differs: {key}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="record the corpus's digests in this JSON file")
    group.add_argument("--check", type=Path, help="compare the corpus with the digests in this JSON file")
    parser.add_argument("--checkpoint", type=Path, help="also a trained model (checkpoint or netlist.json)")
    args = parser.parse_args(argv)
    current = digests(corpus(args.checkpoint))
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(current)} designs in {args.write}")
        return 0
    recorded = json.loads(args.check.read_text())
    if args.checkpoint is None:
        recorded = {k: v for k, v in recorded.items() if not k.startswith("checkpoint/")}
    problems = compare(recorded, current)
    for line in problems:
        print(line)
    print(f"{len(current) - len(problems)}/{len(current)} designs byte-identical to {args.check}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
