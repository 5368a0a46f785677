"""Every command declares its inputs to the write gate once, here, from its own arguments: each ``Path``
argument that is not an output (``--out``, ``DST``, ``--out-dir``) is an input no write may replace."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTPUTS = frozenset({"out", "dst", "out_dir"})  # a new command names its output parameter so, or adds it here


def declares_inputs(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command so that it runs inside :func:`koclassify.io.command_inputs` of its input paths."""
    signature = inspect.signature(command)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from koclassify.io import command_inputs

        bound = signature.bind_partial(*args, **kwargs)
        with command_inputs(*input_paths(bound.arguments)):
            return command(*args, **kwargs)

    return run


def input_paths(arguments: dict[str, Any]) -> list[Path]:
    paths: list[Path] = []
    for name, value in arguments.items():
        if name in OUTPUTS:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, Path):
                paths.append(item)
    return paths
