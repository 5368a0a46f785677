"""Helpers shared by the CLI commands: input checks before any heavy work, loading a model and its data, output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.cli.output import console, say, stdout, steps

# re-exported: command modules import their output helpers from here (flags come from cli.flags)
__all__ = ["check_inputs", "console", "load_and_read", "say", "stdout", "steps"]


def check_inputs(*paths: Path | None) -> None:
    """A missing or unreadable input file fails at once, before a model or a backend (and its heavy imports) loads:
    the same one-line error the reader gives, from the file's first bytes only."""
    from koclassify.data.read import read_head

    for path in paths:
        if path is not None and str(path) != "-":  # '-' is standard input: read when the command reads it
            read_head(path)


def load_and_read(step: Any, model_dir: Path, data: Path, flags: dict[str, Any], trust_remote_code: bool) -> Any:
    """``(classifier, dataset)``: the model, then ``data`` read in the layout it remembers, each a shown stage."""
    from koclassify.model.classifier import Classifier
    from koclassify.pipes import input_path

    with step(f"loading {model_dir}"):
        clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
    with step(f"reading {data}"), input_path(data) as source:  # '-': standard input
        dataset = clf.read(source, **flags)
    return clf, dataset
