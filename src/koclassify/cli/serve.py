"""``koclassify serve``: the HTTP service."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from koclassify.cli.app import app
from koclassify.cli.common import TrustRemoteCodeOpt
from koclassify.errors import MissingDependencyError, ModelError


@app.command()
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes, each with its own copy of the model")] = 1,
    max_batch_rows: Annotated[
        int, typer.Option(min=0, help="micro-batching: rows per model call (0: off, one call per request)")
    ] = 256,
    max_wait_ms: Annotated[
        float, typer.Option(min=0, help="micro-batching: how long a request waits for others to join its batch")
    ] = 5.0,
    max_request_rows: Annotated[int, typer.Option(min=1, help="rows one request may send")] = 1024,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="bytes one request body may have")] = 2_000_000,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Serve a model over HTTP: a page at /, POST /predict, /health, /ready, /info, /metrics, /docs.

    POST /predict takes {"texts": [...]} or {"items": [{"id", "text", "target", "fields"}]}.
    """
    from koclassify.serve import ENV_CONFIG, create_app

    try:
        import uvicorn

        from koclassify.serve import server_options
    except ImportError:
        raise MissingDependencyError("uvicorn", "serve") from None
    options = {
        "max_batch_rows": max_batch_rows,
        "max_wait_ms": max_wait_ms,
        "max_request_rows": max_request_rows,
        "max_body_bytes": max_body_bytes,
        "trust_remote_code": trust_remote_code,
    }
    if workers == 1:
        application = create_app(model_dir, **options)
        print(application.state.startup_line, file=sys.stderr, flush=True)
        uvicorn.run(application, host=host, port=port, **server_options())
        return
    if not (model_dir / "config.json").is_file():  # each worker loads the model; fail here, once, on a bad path
        raise ModelError(f"{model_dir}: not a koclassify model directory (no config.json)")
    os.environ[ENV_CONFIG] = json.dumps({"model_dir": str(model_dir.resolve()), "options": options})
    # a worker answers the supervisor's health pings only once started: give it time to load and warm the model
    patience: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in _config_options(uvicorn):
        patience["timeout_worker_healthcheck"] = 600
    uvicorn.run("koclassify.serve:app_from_env", factory=True, host=host, port=port, workers=workers, **patience,
                **server_options())  # fmt: skip


def _config_options(uvicorn: object) -> set[str]:
    import inspect

    return set(inspect.signature(uvicorn.Config).parameters)  # type: ignore[attr-defined]
