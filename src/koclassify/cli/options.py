"""``options``: every option a backend (or training) takes, printed from its one declaration."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from koclassify.cli.app import app


@app.command("options")
def list_options(
    what: Annotated[
        str, typer.Argument(help="linear | encoder | llm (backend options, -O KEY=VALUE) | train (training options)")
    ] = "linear",
) -> None:
    """List the options of a backend or of training: name, type, default, description (all from one declaration)."""
    from koclassify.backends.base import check_backend_options, get_options_class
    from koclassify.options import FitOptions, Options, PriorOptions, TrainOptions

    records: list[type[Options]]
    if what == "train":
        records = [TrainOptions, PriorOptions, FitOptions]
    else:
        check_backend_options(what, {"model": "x"} if what in ("encoder", "llm") else {})  # unknown name: error
        cls = get_options_class(what)
        records = [cls] if cls is not None else []
    for record in records:
        print(f"{record.owner} options:")
        for name, kind, default, text in record.describe():
            shown = json.dumps(default, ensure_ascii=False) if not hasattr(default, "to_dict") else "{}"
            print(f"  {name:22s} = {shown:10s} {kind}{': ' + text if text else ''}")
