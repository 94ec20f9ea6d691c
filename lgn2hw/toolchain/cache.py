"""Where lgn2hw keeps what it builds with external tools between runs (compiled C libraries, Verilator's
runtime objects): ``$LGN2HW_CACHE_DIR``, else ``$XDG_CACHE_HOME/lgn2hw`` or ``~/.cache/lgn2hw``."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path | None:
    """The cache directory, or None when ``LGN2HW_CACHE_DIR`` is off / 0 / no / none / empty."""
    setting = os.environ.get("LGN2HW_CACHE_DIR")
    if setting is not None:
        return None if setting.strip().lower() in ("", "0", "off", "no", "none") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lgn2hw"
