"""``-`` as a file name: standard input and standard output for the CLI (``cat x.jsonl | koclassify predict M -``).

The readers detect formats from a file's head and may read a file twice (a format sniff, then chunks), and the
writers write atomically (a temp file renamed into place). Standard input is therefore spooled into a private
temp file first, whose format is told from its content (there is no extension); standard output gets a private
temp file that is copied to stdout once it is complete, so a failed run prints no half output. Error messages
name ``<stdin>`` / ``<stdout>``, not the temp file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from koclassify.errors import KoclassifyError

STDIN_NAME = "<stdin>"
STDOUT_NAME = "<stdout>"
CHUNK = 1 << 20


def is_dash(path: str | Path | None) -> bool:
    return path is not None and str(path) == "-"


@contextmanager
def input_path(path: Path) -> Iterator[Path]:
    """``path`` itself, or for ``-`` a temp file holding all of standard input (removed afterwards)."""
    if not is_dash(path):
        yield path
        return
    if sys.stdin is None or sys.stdin.isatty():
        raise KoclassifyError("input '-' reads standard input, but nothing is piped in (e.g. `cat data.jsonl |`)")
    from koclassify.io import atomic_open

    with tempfile.TemporaryDirectory(prefix="koclassify-stdin-") as tmp:
        spooled = Path(tmp) / "stdin"
        with atomic_open(spooled, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, CHUNK)
        with _renamed_errors(str(spooled), STDIN_NAME):
            yield spooled


@contextmanager
def output_path(path: Path, suffix: str = ".jsonl") -> Iterator[Path]:
    """``path`` itself, or for ``-`` a temp file (``suffix`` tells writers its format) copied to standard output
    when the block ends without an error."""
    if not is_dash(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="koclassify-stdout-") as tmp:
        target = Path(tmp) / f"stdout{suffix}"
        with _renamed_errors(str(target), STDOUT_NAME):
            yield target
        sys.stdout.flush()
        with open(target, "rb") as fh:
            shutil.copyfileobj(fh, sys.stdout.buffer, CHUNK)
        sys.stdout.buffer.flush()


@contextmanager
def _renamed_errors(temp: str, name: str) -> Iterator[None]:
    """A :class:`KoclassifyError` that names the temp file names ``<stdin>`` / ``<stdout>`` instead."""
    try:
        yield
    except KoclassifyError as exc:
        text = str(exc)
        if temp not in text:
            raise
        renamed = type(exc).__new__(type(exc))
        renamed.__dict__.update(exc.__dict__)
        renamed.args = (text.replace(temp, name),)
        raise renamed from None
