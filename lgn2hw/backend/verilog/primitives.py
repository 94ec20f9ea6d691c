"""The vendor primitives that popcount heads instantiate (``compile --popcount carry4``: Xilinx LUT6_2 and
CARRY4; ``--popcount ccu2c``: Lattice ECP5 CCU2C): which cells each family's RTL holds and their
simulation models, taken from Yosys's data directory for Icarus, Verilator and the formal proofs (vendor
tools have their own). One table, read by verify, formal, synth and export.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...toolchain.yosys import find_yosys


@dataclass(frozen=True)
class PrimitiveFamily:
    """A vendor's primitives: the cells the RTL instantiates (with the cells their models instantiate)
    and the file of Yosys's share/yosys that models them."""

    cells: tuple[str, ...]
    models_file: str
    # Verilator -Wall warnings the models raise: the file name is not a module's, and carry outputs
    # feed each other inside a cell (a ripple, not a loop)
    lint_off: tuple[str, ...] = ("DECLFILENAME", "UNOPTFLAT")


FAMILIES = {
    "xilinx": PrimitiveFamily(("LUT6_2", "CARRY4"), "xilinx/cells_sim.v"),
    # CCU2C's model instantiates LUT4 and LUT2 (its halves' function and generate), and compares its
    # INJECT1 strings ("NO" against "YES": widths differ; WIDTH, which Verilator 5.006 knows too, covers
    # the WIDTHEXPAND of later versions)
    "ecp5": PrimitiveFamily(("CCU2C", "LUT4", "LUT2"), "ecp5/cells_sim.v",
                            ("DECLFILENAME", "UNOPTFLAT", "WIDTH")),
}


def models_name(family: str) -> str:
    """The models' file beside the RTL in simulations, proofs and exports."""
    return f"{family}_primitives.v"


def primitive_models(family: str) -> str:
    """Verilog models of ``family``'s primitives for simulators and proofs; ToolError (one line naming
    the package) when Yosys or the file is missing."""
    spec = FAMILIES[family]
    models = find_yosys(f"simulating the {family} primitives of the popcount").cell_models(spec.models_file, spec.cells)
    return "".join(f"/* verilator lint_off {warning} */\n" for warning in spec.lint_off) + models
