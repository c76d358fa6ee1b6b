"""``python -m newsstand``: the command line."""

from .cli import main

main()
