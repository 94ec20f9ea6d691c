"""Keep glibc from handing tensor memory back to the kernel after every training step.

A training step allocates and frees dozens of (gates x batch) float tensors of a few MB each. glibc
serves blocks above its mmap threshold with fresh ``mmap`` pages and unmaps them on free, so every step
pays a page fault per 4 KiB of activations (measured: 240k faults in 30 steps of a 4 x 8000 network,
about a third of the step's CPU time; docs/training.md, "Speed"). Raising the mmap threshold to
glibc's maximum (32 MiB) and the trim threshold to 1 GiB lets freed blocks be reused instead.

Only glibc (Linux) has ``mallopt``; elsewhere this does nothing. Set ``LGN2HW_MALLOC_TUNING=0`` (or
glibc's own ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``) to keep your own settings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's upper limit for this setting on 64-bit
TRIM_THRESHOLD = 1024 * 1024 * 1024

_done = False


def tune_allocator() -> bool:
    """Apply the thresholds once per process; True when they are in effect."""
    global _done
    if _done:
        return True
    if os.environ.get("LGN2HW_MALLOC_TUNING", "1") == "0" or any(
        k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
