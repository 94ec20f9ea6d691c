"""The popcount structures a build can choose (``lgn2hw compile --popcount``): names, what each is for.

Kept apart from build_dir.py, without imports, so that the command line can offer the choices without
loading numpy.
"""

# How the RTL sums each class's output bits (``compile --popcount``), and for which devices; the Verilog
# back end builds each (backend/verilog/heads.py), docs/synthesis.md has the measured costs.
POPCOUNT_CHOICES = {
    "compressor": "6:3 counters, one LUT6 an output bit (generic LUT6, Xilinx without primitives, iCE40)",
    "lut4": "full adders (3:2 counters), one LUT4 an output bit (ECP5)",
    "carry4": "counters on the Xilinx 7-series carry chain (LUT6_2 + CARRY4 primitives; xilinx flow only)",
    "ccu2c": "adders and counters on the ECP5 carry chain (CCU2C primitives; ecp5 flow only)",
}
DEFAULT_POPCOUNT = "compressor"
PRIMITIVE_POPCOUNTS = {"carry4": "xilinx", "ccu2c": "ecp5"}  # heads built of vendor primitives -> the one flow that has them
