"""How large a network ``lgn2hw export --target aiger --check`` can prove: Yosys miter + sat time of the
AIG against the compiled Verilog, on random layered networks of growing size.

Usage: python benchmarks/aiger_formal.py [--seconds S]

Each network is ``ops 1..14`` in layers each reading the one before (lgn2hw.ir.synthetic.random_gates, as the tests draw them,
seed 1), compiled at -O0, then ``prove_aiger`` (lgn2hw.check.aiger) with a time limit of S seconds
(default 100). Prints one line per network: inputs, gates, classes x outputs, ANDs, the outcome.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


from lgn2hw.backend.aiger import plan_aiger
from lgn2hw.check.aiger import prove_aiger
from lgn2hw.errors import ToolError
from lgn2hw.flows.compile import compile_source
from lgn2hw.ir.synthetic import random_gates
from lgn2hw.toolchain.yosys import find_yosys

SIZES = [(16, (30, 24), 4), (32, (100, 80), 4), (64, (200, 200, 120), 4), (64, (300, 300, 200), 10),
         (100, (500, 500, 400), 10)]




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0)
    seconds = parser.parse_args().seconds
    print(f"{find_yosys().version}, time limit {seconds:g} s")
    print("| inputs | gates | classes x outputs | ANDs | proof |")
    print("| ---: | ---: | --- | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n, widths, c in SIZES:
            name = f"n{n}_{'x'.join(map(str, widths))}_c{c}"
            random_gates(1, n, widths, c).save(root / f"{name}.json")
            compile_source(root / f"{name}.json", root / name, opt_level=0, check_vectors=None)
            export = plan_aiger(root / name, root / f"{name}_aig")
            try:
                _, _, took = prove_aiger(export, seconds=seconds)
                outcome = f"proven in {took:.1f} s"
            except ToolError:
                outcome = f"not proven within {seconds:g} s"
            print(f"| {n} | {sum(widths):,} | {c} x {widths[-1] // c} | {len(export.model.ands):,} | {outcome} |",
                  flush=True)


if __name__ == "__main__":
    main()
