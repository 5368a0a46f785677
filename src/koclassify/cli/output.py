"""What the CLI says while it works: stage lines, warnings, errors, at the verbosity the person chose.

On a terminal a stage is a rich spinner that turns into a tick with its duration. Anywhere else (CI, ``nohup``,
``> log 2>&1``, ``| tee``) a spinner shows nothing until the run ends, so each stage is a plain line with the
time since the command started, written and flushed when the stage begins and when it ends::

    [   0.0s] reading data ...
    [   0.4s] reading data: done in 0.4s
    [   0.4s] training linear on 300 rows, calibrating (micro-f1) ...

``--quiet`` keeps errors, warnings and the results a command prints on stdout; ``--verbose`` adds the library
loggers' INFO lines and where each warning came from.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

QUIET, NORMAL, VERBOSE = 0, 1, 2

# soft_wrap: lines are never broken at the terminal width (a pipe or a file would get 80 columns otherwise)
console = Console(stderr=True, soft_wrap=True)  # what the command is doing (silenced by --quiet)
stdout = Console(soft_wrap=True)  # results (tables, metrics): never silenced
_alerts = Console(stderr=True, soft_wrap=True)  # error: and warning: lines, never silenced

_state = {"verbosity": NORMAL, "start": time.perf_counter()}


def set_verbosity(level: int) -> None:
    """Called once per command by the root options; also restarts the clock the stage lines count from."""
    _state["verbosity"] = level
    _state["start"] = time.perf_counter()
    console.quiet = level == QUIET
    if level >= VERBOSE:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr, force=True)


def verbosity() -> int:
    return int(_state["verbosity"])


def elapsed() -> float:
    return time.perf_counter() - float(_state["start"])


def stamp(text: str) -> str:
    """``[  3.2s] text``: the time since the command started."""
    return f"[{elapsed():7.1f}s] {text}"


def say(text: str) -> None:
    """One plain status line on stderr, at once (flushed), unless --quiet."""
    if verbosity() > QUIET:
        console.print(text, highlight=False, markup=False)
        console.file.flush()


def error(message: str) -> None:
    # a Text, not markup: "pip install 'koclassify[serve]'" must keep its brackets
    _alerts.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)


def warning(message: str) -> None:
    _alerts.print(Text.assemble(("warning:", "yellow"), " ", message), highlight=False)
    _alerts.file.flush()


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file: TextIO | None = None,
    line: str | None = None,
) -> None:  # fmt: skip
    """A Python warning as one ``warning:`` line (no file:line and source line unless --verbose)."""
    text = " ".join(str(message).split())
    if verbosity() >= VERBOSE:
        text += f" ({category.__name__} at {filename}:{lineno})"
    warning(text)


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Within the block, every warning shown is one ``warning: ...`` line; the previous hook comes back after."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


class _Steps:
    """Named steps, shown as they happen: a spinner on a terminal, a stamped line each way anywhere else."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    @contextmanager
    def __call__(self, description: str) -> Iterator[None]:
        if self.progress is None:
            say(stamp(f"{description} ..."))
            start = time.perf_counter()
            yield  # a failed step says nothing more: the error line says what happened
            say(stamp(f"{description}: done in {time.perf_counter() - start:.1f}s"))
            return
        task = self.progress.add_task(description, total=None)
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.progress.remove_task(task)  # no tick before a step that failed: the error line says what happened
            raise
        took = time.perf_counter() - start
        self.progress.update(task, total=1, completed=1, description=f"{description} ({took:.1f}s)")


@contextmanager
def steps() -> Iterator[_Steps]:
    """Stage display for one command (rich progress on a terminal, plain lines otherwise, nothing with --quiet)."""
    if not console.is_terminal or verbosity() != NORMAL:
        yield _Steps(None)
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield _Steps(progress)
