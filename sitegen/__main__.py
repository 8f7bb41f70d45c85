"""The `sitegen` command and `python -m sitegen`.

Loading the program takes a moment; Ctrl-C then ends it as quietly as Ctrl-C during a build
(`cli.main` handles that one), not with a traceback of whatever was being imported.
"""

import sys


def run() -> int:
    try:
        from .cli import main

        return main()
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
