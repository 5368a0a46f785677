"""The HTTP service over a model directory: ``create_app(model_dir)`` is a FastAPI app (see :mod:`.app`).

FastAPI, uvicorn and prometheus-client are the ``serve`` extra, imported only when an app is built.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from koclassify.errors import MissingDependencyError

ENV_CONFIG = "KOCLASSIFY_SERVE_CONFIG"  # JSON {"model_dir": ..., "options": {...}} for worker processes


def _require() -> None:
    for module, package in (("fastapi", "fastapi"), ("prometheus_client", "prometheus-client")):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(package, "serve") from None


def create_app(model_dir: str | Path, **options: Any) -> Any:
    """Load and warm the model in ``model_dir`` and return the FastAPI app (options: :class:`ServeOptions`)."""
    _require()
    from koclassify.serve.app import ServeOptions
    from koclassify.serve.app import create_app as build

    return build(model_dir, ServeOptions(**options))


def check_serve_options(options: dict[str, Any]) -> None:
    """Check service settings (an :class:`OptionError` naming a bad one) without loading a model."""
    _require()
    from koclassify.serve.app import ServeOptions

    ServeOptions.parse(options)


def app_from_env() -> Any:
    """App factory for uvicorn worker processes (``--workers N``): reads :data:`ENV_CONFIG`."""
    config = json.loads(os.environ[ENV_CONFIG])
    return create_app(config["model_dir"], **config.get("options", {}))


def server_options(idle_timeout: float | None = None) -> dict[str, Any]:
    """uvicorn keyword arguments that close idle connections and slow headers (see :mod:`.server`)."""
    from koclassify.serve.server import IDLE_TIMEOUT
    from koclassify.serve.server import server_options as build

    return build(IDLE_TIMEOUT if idle_timeout is None else idle_timeout)


def ray_deployment(model_dir: str | Path, **options: Any) -> Any:
    """The app as a bound Ray Serve application (``num_replicas=``, ``num_cpus=``; see :mod:`.ray_serve`)."""
    from koclassify.serve.ray_serve import deployment

    return deployment(model_dir, **options)


__all__ = ["ENV_CONFIG", "app_from_env", "check_serve_options", "create_app", "ray_deployment", "server_options"]
