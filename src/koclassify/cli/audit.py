"""``koclassify audit``: likely label errors and conflicting duplicates of a labelled file (:mod:`koclassify.audit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.cli.common import console, steps
from koclassify.cli.flags import ALL_LAYOUT, Layout, layout_flags
from koclassify.options import OptionError
from koclassify.pipes import STDIN_NAME, STDOUT_NAME, input_path, is_dash, output_path

PREVIEW = 5


@app.command()
@layout_flags(*ALL_LAYOUT)
def audit(
    data: Annotated[Path, typer.Argument(help="labelled file to audit; '-': standard input")],
    out: Annotated[Path, typer.Option("--out", "-o", help="findings, one JSON object a line; '-': standard output")],
    html: Annotated[
        Path | None, typer.Option("--html", help="HTML page of the findings (default: --out with .html; none for -)")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="linear (default), encoder or llm")] = "linear",
    option: Annotated[
        list[str] | None, typer.Option("--option", "-O", help="backend option KEY=VALUE (repeatable)")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="cross-validation folds for the probabilities")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="fold assignment and the backend's random state")] = 0,
    title: Annotated[str | None, typer.Option("--title", help="page title (default: the data file's name)")] = None,
    *,
    layout: Layout,
) -> None:
    """Rank the rows most likely mislabelled (confident learning over cross-validated probabilities, cleanlab),
    with the label suggested and why, and find duplicates whose labels conflict; writes jsonl and an HTML page."""
    from koclassify.audit import require_cleanlab, write_findings, write_page
    from koclassify.data.read import read_examples
    from koclassify.model.classifier import Classifier
    from koclassify.options import parse_pairs

    if folds < 2:
        raise OptionError("--folds", folds, message="--folds must be at least 2")
    read = layout.read_options()
    options = parse_pairs(option or [])
    if backend in ("linear", "encoder", "llm"):
        options.setdefault("seed", seed)
    clf = Classifier(backend, multi_label=read.multi_label, **options)  # options checked before any data is read
    require_cleanlab()
    page = html if html is not None else (None if is_dash(out) else out.with_suffix(".html"))
    name = STDIN_NAME if is_dash(data) else str(data)
    with steps() as step, input_path(data) as source:
        with step("reading data"):
            dataset = read_examples(source, read)
        with step(f"{folds}-fold probabilities with {backend} on {len(dataset)} rows, then cleanlab"):
            from koclassify.audit import audit as run_audit

            result = run_audit(clf, dataset.examples, folds=folds, seed=seed)
        with output_path(out) as target:
            write_findings(result, target)
        if page is not None:
            write_page(result, page, title=title or f"audit: {Path(name).name}", subtitle=f"{name}, {backend}")
    shown = STDOUT_NAME if is_dash(out) else out
    console.print(
        f"[green]wrote[/] {shown}: {len(result.label_issues)} likely label errors of {result.rows} rows, "
        f"{len(result.duplicates)} groups of conflicting duplicates" + (f"; page {page}" if page else "")
    )
    from rich.markup import escape

    for finding in result.label_issues[:PREVIEW]:
        given = ", ".join(finding.given[0]) or "(none)"
        line = f"  {finding.ids[0]}: {finding.texts[0][:40]} [{given} -> {', '.join(finding.suggested) or '(none)'}]"
        console.print(escape(line), highlight=False)
