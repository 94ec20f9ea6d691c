"""Formal equivalence of two netlists' RTL (Yosys + ABC): prove_equivalent answers PROVEN, COUNTEREXAMPLE or
NOT_PROVEN (docs/formal.md). prove.py is the driver; the method is in its docstring."""

from .prove import prove_equivalent
from .result import COUNTEREXAMPLE, DEFAULT_TIMEOUT_S, NOT_PROVEN, PROVEN, FormalResult, FormalStep

__all__ = ["COUNTEREXAMPLE", "DEFAULT_TIMEOUT_S", "NOT_PROVEN", "PROVEN", "FormalResult", "FormalStep", "prove_equivalent"]
