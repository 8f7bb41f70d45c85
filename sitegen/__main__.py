"""The `sitegen` command and `python -m sitegen`.

Loading the program takes a moment; Ctrl-C then ends it as quietly as Ctrl-C during a build
(`cli.main` handles that one), not with a traceback of whatever was being imported.
"""

import gc
import signal
import sys


def run() -> int:
    try:
        from .cli import main

        code = main()
        # Done: a Ctrl-C from here on has nothing left to stop, and must not be a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("sitegen: interrupted", file=sys.stderr)
        code = 130
    # The program ends here. Frozen, the objects it made are left out of the collection the
    # interpreter makes on its way out: that walk was a tenth of the time of a small build.
    gc.freeze()
    return code


if __name__ == "__main__":
    raise SystemExit(run())
