"""``koclassify export onnx``: a thin layer over :func:`koclassify.model.export.export_onnx`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.cli.common import console, steps

export_app = typer.Typer(help="Export a trained model for serving elsewhere.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("onnx")
def onnx(
    model_dir: Annotated[Path, typer.Argument(help="model directory of an encoder model (`koclassify train`)")],
    int8: Annotated[
        bool, typer.Option("--int8", help="dynamic int8 quantisation of the weights (faster on CPU)")
    ] = False,
) -> None:
    """Write MODEL_DIR/backend/model.onnx, checked against the torch model; later loads predict with ONNX Runtime
    on CPU (delete the file to go back to torch)."""
    from koclassify.model.export import export_onnx

    with steps() as step:
        with step(f"exporting {model_dir} to ONNX{' (int8)' if int8 else ''}"):
            result = export_onnx(model_dir, int8=int8)
    console.print(
        f"[green]wrote[/] {result.path} ({result.size_mb:.1f} MiB); largest probability difference from torch on "
        f"the check sentences: {result.max_prob_diff:.2e}"
    )
