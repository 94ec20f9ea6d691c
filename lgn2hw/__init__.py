"""lgn2hw: a hardware compiler for Logic Gate Networks."""

__version__ = "0.1.0"
