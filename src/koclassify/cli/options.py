"""``options``: every option a backend (or training) takes, printed from its one declaration."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.errors import KoclassifyError


@app.command("options")
def list_options(
    what: Annotated[
        str,
        typer.Argument(
            help="linear | encoder | llm (backend options, -O KEY=VALUE) | train (training options) | serve (service)"
        ),
    ] = "linear",
) -> None:
    """List the options of a backend or of training: name, type, default, description (all from one declaration)."""
    from koclassify.backends.base import check_backend_options, get_options_class
    from koclassify.options import FitOptions, Options, PriorOptions, TrainOptions

    records: list[type[Options]]
    if what == "train":
        records = [TrainOptions, PriorOptions, FitOptions]
    elif what == "serve":
        from koclassify.serve import check_serve_options
        from koclassify.serve.app import ServeOptions

        check_serve_options({})  # one line naming the serve extra when it is missing
        records = [ServeOptions]
    else:
        check_backend_options(what, {"model": "x"} if what in ("encoder", "llm") else {})  # unknown name: error
        cls = get_options_class(what)
        if cls is None:  # the ensemble backend: built from fitted models, it has no -O options of its own
            raise KoclassifyError(
                f"the {what} backend takes no options: it is built by `koclassify {what} MODEL_A MODEL_B ...` "
                f"(see `koclassify {what} --help`)"
                if what == "ensemble"
                else f"the {what} backend declares no options"
            )
        records = [cls]
    for record in records:
        print(f"{record.owner} options:")
        for name, kind, default, text in record.describe():
            shown = json.dumps(default, ensure_ascii=False) if not hasattr(default, "to_dict") else "{}"
            print(f"  {name:22s} = {shown:10s} {kind}{': ' + text if text else ''}")
