"""Co-simulation: bit-exact verification of emitted RTL against the Python reference, with cocotb.

One module per job: stimulus.py (what is driven), plan.py (a frozen CosimJob: shards, order, files,
env), run.py (the driver: verify_rtl, verify_raw_rtl), child.py (the simulation child process),
merge.py (shards -> one VerifyResult), report.py (the mismatch report), result.py (VerifyResult).
The simulators themselves are found in lgn2hw.toolchain (icarus.py, verilator.py, simulators.py).

The API below is imported on first use: every shard's child process imports this package to reach
child.py, and must start without numpy.
"""

from __future__ import annotations

import importlib

_API = {
    "verify_rtl": "run",
    "verify_raw_rtl": "run",
    "VerifyResult": "result",
    "mismatch_report": "report",
    "CosimOptions": "plan",
    "DEFAULT_TIMEOUT_S": "plan",
    "default_jobs": "plan",
    "StimulusPart": "stimulus",
    "VectorLabels": "stimulus",
    "binary_stimulus": "stimulus",
    "raw_stimulus": "stimulus",
    "corner_vectors": "stimulus",
    "describe_corner": "stimulus",
    "random_vector_count": "stimulus",
    "stimulus_counts": "stimulus",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    globals()[name] = value
    return value
