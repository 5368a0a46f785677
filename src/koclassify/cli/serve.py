"""``koclassify serve``: the HTTP service."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from koclassify.cli.app import app
from koclassify.cli.common import say
from koclassify.cli.flags import TrustRemoteCodeOpt
from koclassify.errors import KoclassifyError, MissingDependencyError, ModelError

GRACEFUL_SHUTDOWN_S = 1.0  # seconds open requests get after SIGTERM / Ctrl-C before the server stops


@app.command()
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes, each with its own copy of the model")] = 1,
    max_batch_rows: Annotated[
        int | None, typer.Option(help="micro-batching: rows per model call (0: off, one call per request)")
    ] = None,
    max_wait_ms: Annotated[
        float | None, typer.Option(help="micro-batching: how long a request waits for others to join its batch")
    ] = None,
    max_request_rows: Annotated[int | None, typer.Option(help="rows one request may send")] = None,
    max_body_bytes: Annotated[int | None, typer.Option(help="bytes one request body may have")] = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Serve a model over HTTP: a page at /, POST /predict, /health, /ready, /info, /metrics, /docs.

    POST /predict takes {"texts": [...]} or {"items": [{"id", "text", "target", "fields"}]}. The service
    settings' defaults and ranges are declared once, in ServeOptions: `koclassify options serve` lists them.
    """
    if not (model_dir / "config.json").is_file():  # fail here, once, before fastapi and the model load
        raise ModelError(f"{model_dir}: not a koclassify model directory (no config.json)")
    from koclassify.serve import ENV_CONFIG, check_serve_options, create_app

    try:
        import uvicorn

        from koclassify.serve import server_options
    except ImportError:
        raise MissingDependencyError("uvicorn", "serve") from None
    given = {"max_batch_rows": max_batch_rows, "max_wait_ms": max_wait_ms, "max_request_rows": max_request_rows,
             "max_body_bytes": max_body_bytes}  # fmt: skip
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    options["trust_remote_code"] = trust_remote_code
    check_serve_options(options)  # a bad value fails here, before the model loads
    _check_address(host, port)
    # SIGTERM: stop taking requests and give open ones a moment, not uvicorn's wait for every keep-alive client
    quick: dict[str, Any] = {}
    if "timeout_graceful_shutdown" in _config_options(uvicorn):
        quick["timeout_graceful_shutdown"] = GRACEFUL_SHUTDOWN_S
    if workers == 1:
        say(f"loading {model_dir} ...")
        application = create_app(model_dir, **options)
        print(application.state.startup_line, file=sys.stderr, flush=True)
        _leave(lambda: uvicorn.run(application, host=host, port=port, **quick, **server_options()))
    os.environ[ENV_CONFIG] = json.dumps({"model_dir": str(model_dir.resolve()), "options": options})
    say(f"loading {model_dir} in {workers} workers ...")
    # a worker answers the supervisor's health pings only once started: give it time to load and warm the model
    if "timeout_worker_healthcheck" in _config_options(uvicorn):
        quick["timeout_worker_healthcheck"] = 600
    _leave(lambda: uvicorn.run("koclassify.serve:app_from_env", factory=True, host=host, port=port, workers=workers,
                               **quick, **server_options()))  # fmt: skip


def _check_address(host: str, port: int) -> None:
    """Bind ``host:port`` once before the model loads: a name that does not resolve or a port in use is one line
    (uvicorn logged it and exited 3 after loading the model)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise KoclassifyError(f"--host {host} --port {port}: cannot listen there: {reason}") from None


def _leave(run_server: Callable[[], None]) -> NoReturn:
    """Run the server; once it has shut down, end the process at once. The interpreter's own finalization (tearing
    down the model, its libraries and their thread pools) took seconds after a SIGTERM (7 s on a busy machine),
    and a service writes no files that would need it."""
    try:
        run_server()
        code = 0
    except SystemExit as exc:  # uvicorn re-raises the SIGTERM it caught; main() turns that into exit 143
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _config_options(uvicorn: object) -> set[str]:
    import inspect

    return set(inspect.signature(uvicorn.Config).parameters)  # type: ignore[attr-defined]
