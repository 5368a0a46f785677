"""Where the benchmark data lives: ``--data DIR``, else ``$KOCLASSIFY_DATA``, else the nearest ``shared/data`` above
this checkout (the team layout). A folder that is not there is one clean line on stderr and exit code 2.

The data (kote/, korean-hate-speech/, kpop-lyrics/, nsmc-reviews/) is never copied into the repository.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

ENV = "KOCLASSIFY_DATA"


def default() -> Path:
    """``$KOCLASSIFY_DATA`` when set, else the nearest ``shared/data`` above this file (it may not exist)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    here = Path(__file__).resolve()
    found = (p / "shared" / "data" for p in here.parents[1:] if (p / "shared" / "data").is_dir())
    return next(found, here.parents[1].parent / "shared" / "data")


def add_argument(parser: argparse.ArgumentParser, flag: str = "--data") -> None:
    parser.add_argument(
        flag, type=Path, default=None, help=f"the data folder (default: ${ENV}, else the nearest shared/data above)"
    )


def resolve(given: Path | None, needs: Sequence[str] = ()) -> Path:
    """The data folder to use, checked to hold ``needs`` (sub-folders or files); exits with one line if not.

    Also exported as ``$KOCLASSIFY_DATA``, so child processes a benchmark starts read the same folder."""
    where = given or default()
    source = "--data" if given else (f"${ENV}" if os.environ.get(ENV) else "the default")
    if not where.is_dir():
        _fail(f"data folder {where} ({source}) does not exist; pass --data DIR or set {ENV}")
    missing = [n for n in needs if not (where / n).exists()]
    if missing:
        _fail(f"data folder {where} ({source}) has no {', '.join(missing)}; pass --data DIR or set {ENV}")
    os.environ[ENV] = str(where)
    return where


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)
