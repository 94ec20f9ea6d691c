"""AND counts of a compiled network's AIGER export, before and after ABC ``dc2``: encoder, core, head apart.

Usage: python benchmarks/aiger_abc.py COMPILED_DIR

For three AIGs lowered exactly as lgn2hw.backend.aiger.lower does (``lower_core``, then the head) --
the encoder (a raw-input build's comparators; outputs: the input bits the gates read), encoder + core
(outputs: the netlist's output bits) and the full classifier (+ popcounts + argmax: the file
``lgn2hw export --target aiger`` writes) -- the AND count and depth that
``yosys-abc -c "read F; strash; print_stats; dc2; print_stats; write_aiger -s G; cec F G"`` reports;
core = (encoder + core) - encoder, head = full - (encoder + core).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lgn2hw.backend.aiger.lower import AigModel, lower, lower_core
from lgn2hw.backend.aiger.write import aiger_bytes
from lgn2hw.ir.build_dir import BuildDir
from lgn2hw.toolchain.yosys import find_yosys


def partial_models(netlist, raw_bits: int) -> tuple[AigModel | None, AigModel]:
    """(the encoder's AIG or None for a bit build, the encoder + core's AIG)."""
    aig, lits, names = lower_core(netlist, raw_bits)
    n = netlist.num_inputs
    live = netlist.live_signals()

    def model(outs: list[int]) -> AigModel:
        ands, outs = aig.compact(outs)
        return AigModel(aig.num_inputs, tuple(ands), tuple(outs), tuple(names),
                        tuple(f"bit[{j}]" for j in range(len(outs))), (), 1, 1, 1, raw_bits)

    encoder = model([lits[i] for i in np.flatnonzero(live[:n]).tolist()]) if raw_bits else None
    return encoder, model([lits[s] for s in netlist.outputs.tolist()])


def abc_stats(yosys, data: bytes, work: Path, name: str) -> tuple[tuple[tuple[int, int], ...], float]:
    (work / f"{name}.aig").write_bytes(data)
    t0 = time.monotonic()
    run = yosys.run_abc(f"read {name}.aig; strash; print_stats; dc2; print_stats; write_aiger -s {name}_dc2.aig; "
                        f"cec {name}.aig {name}_dc2.aig", cwd=work)
    seconds = time.monotonic() - t0
    if "Networks are equivalent" not in run.output:
        raise SystemExit(f"ABC did not confirm equivalence for {name}:\n{run.output[-2000:]}")
    stats = [(int(a), int(lev)) for a, lev in re.findall(r"and\s*=\s*(\d+)\s+lev\s*=\s*(\d+)", run.output)]
    return (stats[0], stats[1]), seconds


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    build = BuildDir.open(sys.argv[1], need_rtl=False)
    raw_bits = build.options.raw_inputs.bits if build.options.raw_inputs else 0
    netlist = build.netlist
    yosys = find_yosys("this benchmark", need_abc=True)
    print(f"{sys.argv[1]}: {netlist.num_inputs} inputs, {netlist.num_gates} gates, {netlist.num_classes} classes x "
          f"{netlist.group_size} outputs; {f'raw {raw_bits}-bit inputs' if raw_bits else 'input bits'}; "
          f"{yosys.version} (yosys-abc)\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        encoder_model, core_model = partial_models(netlist, raw_bits)
        enc = abc_stats(yosys, aiger_bytes(encoder_model), work, "encoder") if encoder_model else None
        core = abc_stats(yosys, aiger_bytes(core_model), work, "core")
        full = abc_stats(yosys, aiger_bytes(lower(netlist, raw_bits)), work, "full")
    print("| part | ANDs | levels | ANDs after dc2 | levels after dc2 | ABC s (dc2 + cec) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")

    def row(name, stats, minus=None):
        (before, after), seconds = stats
        if minus is None:
            print(f"| {name} | {before[0]:,} | {before[1]} | {after[0]:,} | {after[1]} | {seconds:.1f} |")
        else:
            (mb, ma), _ = minus
            print(f"| {name} | {before[0] - mb[0]:,} | | {after[0] - ma[0]:,} | | |")

    if enc:
        row("encoder (comparators)", enc)
        row("core (gates) = encoder + core - encoder", core, enc)
        row("encoder + core", core)
    else:
        row("core (gates)", core)
    row("head = full - (encoder +) core", full, core)
    row("full classifier", full)


if __name__ == "__main__":
    main()
