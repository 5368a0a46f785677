"""The ``koclassify`` command: a thin layer that parses arguments and calls :mod:`koclassify.model.classifier`."""

from __future__ import annotations

import sys

from koclassify.cli.app import app
from koclassify.errors import KoclassifyError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: user errors print one clear line and exit 2, without a traceback."""
    import signal

    from koclassify.cli import commands  # noqa: F401  (registers the commands)
    from koclassify.cli.output import error, warnings_as_lines

    # SIGTERM unwinds like Ctrl-C, so atomic writers remove their temp files (the default would just die)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with warnings_as_lines():  # a library's or our own warning is one `warning: ...` line, not file:line + source
            app()
    except KoclassifyError as exc:
        error(str(exc))
        sys.exit(2)
