"""The training methods by name (no torch import: the CLI lists them before anything trains).

lgn2hw.frontend.model.estimators implements them; docs/training.md describes them.
"""

ESTIMATORS = ("soft-mix", "soft-gumbel", "gumbel-st", "hard-st")
STRAIGHT_THROUGH = ("gumbel-st", "hard-st")  # the estimators CAGE applies to
CONNECTIONS = ("random", "learned")  # how a gate's inputs are wired: fixed random, or chosen from a learned pool
