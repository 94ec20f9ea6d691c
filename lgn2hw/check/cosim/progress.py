"""A progress bar for a running verification (vectors checked, over every shard), on a terminal only.

The testbenches rewrite a small progress file every few hundred vectors (hw_tests/contract.py
PROGRESS_FILE); the runner polls those files while it waits for the simulators. tqdm hides the bar
when stderr is not a terminal (CI logs, pipes), so nothing is printed there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm


class SimulationProgress:
    def __init__(self, total: int, simulator: str, progress_files: list[Path]):
        self.files = progress_files
        self.bar = tqdm(total=total, unit="vec", desc=f"verify ({simulator})", disable=None, leave=False,
                        file=sys.stderr, dynamic_ncols=True)
        self.bar.set_postfix_str("building")

    def tick(self) -> None:
        done = 0
        for path in self.files:
            try:
                done += int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pass
        if done:
            self.bar.set_postfix_str("simulating")
        self.bar.n = min(done, self.bar.total)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
