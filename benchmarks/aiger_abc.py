"""AND counts of a compiled network's AIGER export, before and after ABC ``dc2``, core and head apart.

Usage: python benchmarks/aiger_abc.py COMPILED_DIR

Prints the netlist's gates, then for the core (the gates alone: the AIG whose outputs are the netlist's
output bits, lowered exactly as lgn2hw.backend.aiger.lower does) and the full classifier (core +
popcounts + argmax, the file ``lgn2hw export --target aiger`` writes) the AND count and depth that
``yosys-abc -c "read F; strash; print_stats; dc2; print_stats; cec ..."`` reports; head = full - core.
A raw-input build adds its comparators to both (the encoder); this script reports it for bit builds.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lgn2hw.backend.aiger.graph import Aig
from lgn2hw.backend.aiger.lower import AigModel, gate_literal, lower
from lgn2hw.backend.aiger.write import aiger_bytes
from lgn2hw.ir.build_dir import BuildDir
from lgn2hw.toolchain.yosys import find_yosys


def core_model(netlist) -> AigModel:
    n = netlist.num_inputs
    aig = Aig(n)
    live = netlist.live_signals()
    lits = [0] * netlist.num_signals
    for i in range(n):
        lits[i] = aig.input(i)
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for g in np.flatnonzero(live[n:]).tolist():
        lits[n + g] = gate_literal(aig, ops[g], lits[a[g]], lits[b[g]])
    outs = [lits[s] for s in netlist.outputs.tolist()]
    ands, outs = aig.compact(outs)
    return AigModel(n, tuple(ands), tuple(outs), tuple(f"in_bits[{i}]" for i in range(n)),
                    tuple(f"bit[{j}]" for j in range(len(outs))), (), 1, 1, 1, 0)


def abc_stats(yosys, data: bytes, work: Path, name: str) -> tuple[list[tuple[int, int]], float]:
    (work / f"{name}.aig").write_bytes(data)
    t0 = time.monotonic()
    run = yosys.run_abc(f"read {name}.aig; strash; print_stats; dc2; print_stats; write_aiger -s {name}_dc2.aig; "
                        f"cec {name}.aig {name}_dc2.aig", cwd=work)
    seconds = time.monotonic() - t0
    if "Networks are equivalent" not in run.output:
        raise SystemExit(f"ABC did not confirm equivalence for {name}:\n{run.output[-2000:]}")
    stats = [(int(a), int(lev)) for a, lev in re.findall(r"and\s*=\s*(\d+)\s+lev\s*=\s*(\d+)", run.output)]
    return stats, seconds


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    build = BuildDir.open(sys.argv[1], need_rtl=False)
    if build.options.raw_inputs:
        raise SystemExit("a bit-input build please (this script separates core and head only)")
    netlist = build.netlist
    yosys = find_yosys("this benchmark", need_abc=True)
    print(f"{sys.argv[1]}: {netlist.num_inputs} inputs, {netlist.num_gates} gates, {netlist.num_classes} classes x "
          f"{netlist.group_size} outputs; {yosys.version} (yosys-abc)\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        core, t_core = abc_stats(yosys, aiger_bytes(core_model(netlist)), work, "core")
        full, t_full = abc_stats(yosys, aiger_bytes(lower(netlist)), work, "full")
    print("| part | ANDs | levels | ANDs after dc2 | levels after dc2 | ABC s (dc2 + cec) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| core (gates) | {core[0][0]:,} | {core[0][1]} | {core[1][0]:,} | {core[1][1]} | {t_core:.1f} |")
    print(f"| head (full - core) | {full[0][0] - core[0][0]:,} | | {full[1][0] - core[1][0]:,} | | |")
    print(f"| full classifier | {full[0][0]:,} | {full[0][1]} | {full[1][0]:,} | {full[1][1]} | {t_full:.1f} |")


if __name__ == "__main__":
    main()
