"""The ``koclassify`` command: a thin layer that parses arguments and calls :mod:`koclassify.api`."""

from __future__ import annotations

import sys

from koclassify.cli.app import app
from koclassify.errors import KoclassifyError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: user errors print one clear line and exit 2, without a traceback."""
    import signal

    from koclassify.cli import commands  # noqa: F401  (registers the commands)

    # SIGTERM unwinds like Ctrl-C, so atomic writers remove their temp files (the default would just die)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        app()
    except KoclassifyError as exc:
        from rich.markup import escape

        from koclassify.cli.common import console

        # escaped: "[qlora]" in "pip install 'koclassify[qlora]'" is text, not a rich style tag
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
