"""``python -m lgn2hw`` runs the command line."""

from .cli import main

main()
