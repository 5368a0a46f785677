"""``koclassify report``: a thin layer over :func:`koclassify.report.write_report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.cli.common import check_inputs, console, load_and_read, steps
from koclassify.cli.flags import LABELLED, Layout, TrustRemoteCodeOpt, layout_flags


@app.command()
@layout_flags(*LABELLED, config=True)
def report(
    model_dir: Annotated[Path, typer.Argument(help="model directory written by `koclassify train`")],
    data: Annotated[Path, typer.Argument(help="labelled file to score (e.g. the dev set); '-': standard input")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report directory to write (index.html + PNG plots)")],
    title: Annotated[str | None, typer.Option("--title", help="page title (default: the data file's name)")] = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
    layout: Layout | None = None,
) -> None:
    """Write an HTML report with plots: per-label P/R/F1, F1-vs-threshold, confusion/error matrix, distribution."""
    from koclassify.model.card import CARD_FILE

    flags = (layout or Layout()).flags()
    check_inputs(data)
    from koclassify.report import write_report
    from koclassify.report.plots import require_matplotlib

    require_matplotlib()  # before the slow steps
    card = model_dir / CARD_FILE
    with steps() as step:
        clf, dataset = load_and_read(step, model_dir, data, flags, trust_remote_code)
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
