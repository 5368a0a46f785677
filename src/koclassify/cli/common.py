"""Options and helpers shared by the CLI commands: data layout flags, config files, console output."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from koclassify.data.options import ReadOptions

# soft_wrap: lines are never broken at the terminal width (a pipe or a file would get 80 columns otherwise)
console = Console(stderr=True, soft_wrap=True)
stdout = Console(soft_wrap=True)

FormatOpt = Annotated[str | None, typer.Option("--format", help="nikl | csv | tsv | jsonl | parquet (default: detect)")]
TextColOpt = Annotated[str | None, typer.Option("--text-col", help="table: the text column")]
LabelColOpt = Annotated[str | None, typer.Option("--label-col", help="table: the label column")]
LabelSepOpt = Annotated[str | None, typer.Option("--label-sep", help="separator of several labels in one cell")]
LabelColsOpt = Annotated[
    str | None, typer.Option("--label-cols", help="table, wide format: comma-separated 0/1 columns")
]
MultiLabelOpt = Annotated[bool | None, typer.Option("--multi-label/--multi-class", help="force the task type")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="table without a header row")]
LabelNamesOpt = Annotated[Path | None, typer.Option("--label-names", help="file of label names; cells hold indices")]
IdColOpt = Annotated[str | None, typer.Option("--id-col", help="table: the id column")]
TargetColOpt = Annotated[str | None, typer.Option("--target-col", help="table: a target-form column")]
LenientOpt = Annotated[bool, typer.Option("--lenient", help="NIKL: repair bad target offsets by searching the form")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="JSON or TOML file with any of these options")]
TrustRemoteCodeOpt = Annotated[
    bool, typer.Option("--trust-remote-code", help="llm: let the base model run its own code (never the default)")
]


def with_config(config: Path | None, **flags: Any) -> dict[str, Any]:
    """Layout flags given on the command line over the column options of a ``--config`` file (whose keys are
    checked: an unknown one is an error; training keys are allowed and ignored by commands that do not train)."""
    from koclassify.options import ConfigFile, load_config

    cfg = ConfigFile.parse(load_config(config), where=f"config {config}") if config is not None else None
    given = {k: v for k, v in flags.items() if v is not None and v is not False}
    return {**(cfg.layout if cfg else {}), **given}


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


class _Steps:
    """Named steps shown with a spinner and their duration, so long runs show they are alive."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    @contextmanager
    def __call__(self, description: str) -> Iterator[None]:
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
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield _Steps(progress)
