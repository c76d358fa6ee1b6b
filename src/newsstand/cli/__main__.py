"""``python -m newsstand.cli``: the command line."""

from . import main

main()
