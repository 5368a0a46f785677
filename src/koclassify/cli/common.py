"""Options and helpers shared by the CLI commands: data layout flags, config files, console output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.cli.flags import (
    ConfigOpt,
    FormatOpt,
    IdColOpt,
    LabelColOpt,
    LabelColsOpt,
    LabelNamesOpt,
    LabelSepOpt,
    LenientOpt,
    MultiLabelOpt,
    NoHeaderOpt,
    TargetColOpt,
    TextColOpt,
    TrustRemoteCodeOpt,
)
from koclassify.cli.output import console, say, stdout, steps
from koclassify.data.options import ReadOptions

# re-exported: command modules import their flags and output helpers from here
__all__ = ["ConfigOpt", "FormatOpt", "IdColOpt", "LabelColOpt", "LabelColsOpt", "LabelNamesOpt", "LabelSepOpt",
           "LenientOpt", "MultiLabelOpt", "NoHeaderOpt", "TargetColOpt", "TextColOpt", "TrustRemoteCodeOpt",
           "check_inputs", "console", "load_and_read", "read_options", "say", "stdout", "steps",
           "with_config"]  # fmt: skip


def with_config(config: Path | None, **flags: Any) -> dict[str, Any]:
    """Layout flags given on the command line over the column options of a ``--config`` file (whose keys are
    checked: an unknown one is an error; training keys are allowed and ignored by commands that do not train)."""
    from koclassify.options import ConfigFile, load_config

    cfg = ConfigFile.parse(load_config(config), where=f"config {config}") if config is not None else None
    given = {k: v for k, v in flags.items() if v is not None and v is not False}
    return {**(cfg.layout if cfg else {}), **given}


def check_inputs(*paths: Path | None) -> None:
    """A missing or unreadable input file fails at once, before a model or a backend (and its heavy imports) loads:
    the same one-line error the reader gives, from the file's first bytes only."""
    from koclassify.data.read import read_head

    for path in paths:
        if path is not None and str(path) != "-":  # '-' is standard input: read when the command reads it
            read_head(path)


def load_and_read(step: Any, model_dir: Path, data: Path, flags: dict[str, Any], trust_remote_code: bool) -> Any:
    """``(classifier, dataset)``: the model, then ``data`` read in the layout it remembers, each a shown stage."""
    from koclassify.api import Classifier
    from koclassify.pipes import input_path

    with step(f"loading {model_dir}"):
        clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
    with step(f"reading {data}"), input_path(data) as source:  # '-': standard input
        dataset = clf.read(source, **flags)
    return clf, dataset


def read_options(
    base: ReadOptions | None = None,
    *,
    format: str | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_sep: str | None = None,
    label_cols: str | None = None,
    multi_label: bool | None = None,
    no_header: bool = False,
    label_names: Path | None = None,
    id_col: str | None = None,
    target_col: str | None = None,
    lenient: bool = False,
) -> ReadOptions:
    """Command-line flags on top of ``base`` (a config file's or a model directory's remembered layout)."""
    from koclassify.api import layout_options

    return layout_options(
        base, format=format, text_col=text_col, label_col=label_col, label_sep=label_sep, label_cols=label_cols,
        multi_label=multi_label, no_header=no_header, label_names=label_names, id_col=id_col, target_col=target_col,
        lenient=lenient,
    )  # fmt: skip
