"""How much the machine can take: available memory and CPUs, for refusing sizes before allocating them."""

from __future__ import annotations

import os

from .errors import ConfigError


def available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable on Linux; physical pages elsewhere)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


def check_memory(needed: int, what: str, hint: str = "") -> None:
    """ConfigError (one line) when ``needed`` bytes exceed the memory available now."""
    have = available_memory()
    if needed > have:
        raise ConfigError(f"{what} needs about {_gib(needed)} of memory, {_gib(have)} is available"
                          + (f": {hint}" if hint else ""))


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**28 else f"{n / 2**20:,.0f} MiB"
