"""``koclassify serve``: the HTTP service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koclassify.cli.app import app
from koclassify.cli.common import TrustRemoteCodeOpt
from koclassify.errors import MissingDependencyError


@app.command()
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Serve a model over HTTP: POST /predict {"texts": [...]} or {"items": [{"id", "text", "target"}]}."""
    from koclassify.serve import create_app

    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("uvicorn", "serve") from None
    uvicorn.run(create_app(model_dir, trust_remote_code=trust_remote_code), host=host, port=port)
