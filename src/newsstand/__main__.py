"""The command line's entry: ``python -m newsstand`` and the ``newsstand`` command.

The CLI is imported inside ``main``, so that a Ctrl-C while its modules load (the first
moments of every command) ends in one line and exit code 130, as it does later, and not
in a traceback.
"""

import sys


def main() -> None:
    try:
        from .cli import main as command_line

        command_line()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
