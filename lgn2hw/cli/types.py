"""Option types that check ranges where the input enters: finite numbers only, sizes with an upper bound.

click's FloatRange accepts ``inf`` and ``nan`` ("--lr inf" trained into a NaN checkpoint); these do not.
The bounds are sanity limits far beyond any useful value, so that a typo (1e12 gates) is one clear line
instead of an allocation that takes the machine down.
"""

from __future__ import annotations

import math

import click

from ..limits import cpu_count

MAX_GATES_PER_LAYER = 50_000_000
MAX_VECTORS = 100_000_000
MAX_SECONDS = 30 * 24 * 3600.0


class FiniteFloat(click.FloatRange):
    """A float in a range; NaN and infinities are refused."""

    name = "finite float"

    def convert(self, value, param, ctx):
        number = super(click.FloatRange, self).convert(value, param, ctx)  # plain float parsing
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


def positive_float(maximum: float) -> FiniteFloat:
    return FiniteFloat(min=0, min_open=True, max=maximum)


def count(minimum: int = 0, maximum: int = MAX_VECTORS) -> click.IntRange:
    return click.IntRange(min=minimum, max=maximum)


def max_jobs() -> int:
    """Parallel processes a command may start: a few per CPU, never hundreds."""
    return max(1, 4 * cpu_count())


SECONDS = positive_float(MAX_SECONDS)
