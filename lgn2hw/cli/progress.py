"""A one-line status display for long commands, on a terminal only (nothing in logs or pipes)."""

from __future__ import annotations

import sys


class StatusLine:
    """``status("optimizing -O2")`` rewrites one line on stderr; ``close()`` clears it. When stderr is
    not a terminal every call does nothing, so logs keep only the commands' one-line summaries."""

    def __init__(self, prefix: str, stream=None):
        self.prefix = prefix
        self.stream = stream or sys.stderr
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = False

    def __call__(self, text: str) -> None:
        if self.active:
            self.stream.write(f"\r\x1b[K{self.prefix}: {text}")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
