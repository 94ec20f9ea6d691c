"""``python -m lgn2hw.cli`` (torchrun starts data-parallel training this way)."""

from . import main

main()
