"""``koclassify report``: a thin layer over :func:`koclassify.report.write_report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.cli.common import (
    ConfigOpt,
    FormatOpt,
    LabelColOpt,
    LabelSepOpt,
    LenientOpt,
    NoHeaderOpt,
    TextColOpt,
    TrustRemoteCodeOpt,
    console,
    steps,
    with_config,
)


@app.command()
def report(
    model_dir: Annotated[Path, typer.Argument(help="model directory written by `koclassify train`")],
    data: Annotated[Path, typer.Argument(help="labelled file to score (e.g. the dev set); '-': standard input")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report directory to write (index.html + PNG plots)")],
    title: Annotated[str | None, typer.Option("--title", help="page title (default: the data file's name)")] = None,
    format: FormatOpt = None,
    text_col: TextColOpt = None,
    label_col: LabelColOpt = None,
    label_sep: LabelSepOpt = None,
    no_header: NoHeaderOpt = False,
    lenient: LenientOpt = False,
    config: ConfigOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Write an HTML report with plots: per-label P/R/F1, F1-vs-threshold, confusion/error matrix, distribution."""
    from koclassify.api import Classifier
    from koclassify.card import CARD_FILE
    from koclassify.pipes import input_path
    from koclassify.report import write_report
    from koclassify.report.plots import require_matplotlib

    require_matplotlib()  # before the slow steps
    layout = with_config(config, format=format, text_col=text_col, label_col=label_col, label_sep=label_sep,
                         no_header=no_header, lenient=lenient)  # fmt: skip
    card = model_dir / CARD_FILE
    with steps() as step:
        with step(f"loading {model_dir}"):
            clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
        with step("reading data"), input_path(data) as source:  # '-': standard input
            dataset = clf.read(source, **layout)
        with step(f"scoring {len(dataset)} rows and drawing the plots"):
            index = write_report(
                clf,
                clf.prepare(dataset.examples, source=str(data)),  # one row per label in split mode
                out,
                title=title or f"{data.name}",
                subtitle=f"model {model_dir} on {data}",
                source=str(data),
                model_card=card if card.is_file() else None,
            )
    console.print(f"[green]wrote[/] {index}  (open it in a browser)")
