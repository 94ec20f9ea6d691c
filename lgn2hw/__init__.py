"""lgn2hw: a hardware compiler for Logic Gate Networks."""

import os as _os

# PyTorch's OpenMP threads spin while waiting by default. When any other process holds a core (a
# simulator, a second job), the spinning threads starve each other: on 2 cores with one busy we
# measured training at 45 samples/s instead of 800. Passive waiting costs little when the machine is
# idle. Must be set before torch is first imported; a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
