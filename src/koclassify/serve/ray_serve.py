"""The same service as a Ray Serve deployment, for more replicas than one machine holds.

    from ray import serve
    from koclassify.serve.ray_serve import deployment

    serve.run(deployment("model", num_replicas=4), route_prefix="/")   # or: serve run app:app

Each replica builds the app itself (the builder runs on the replica: the model is loaded and warmed there, not
pickled from the driver), so every replica has its own model, micro-batcher and ``/metrics``; Ray's proxy spreads
requests over them. The model directory must be readable at the same path on every node. Needs Ray Serve:
``pip install 'koclassify[ray]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.errors import MissingDependencyError, ModelError


def deployment(
    model_dir: str | Path,
    *,
    num_replicas: int = 1,
    num_cpus: float = 1.0,
    name: str = "koclassify",
    **options: Any,
) -> Any:
    """A bound Ray Serve application serving ``model_dir``; ``options`` as for :func:`koclassify.serve.create_app`."""
    try:
        from ray import serve
    except ImportError:
        raise MissingDependencyError("ray[serve]", "ray") from None
    path = Path(model_dir).resolve()
    if not (path / "config.json").is_file():
        raise ModelError(f"{model_dir}: not a koclassify model directory (no config.json)")
    model_path = str(path)

    def build_app() -> Any:  # runs on each replica
        from koclassify.serve import create_app

        return create_app(model_path, **options)

    @serve.ingress(build_app)
    class KoclassifyService:
        """One replica: the koclassify FastAPI app over its own copy of the model."""

    service: Any = serve.deployment(
        KoclassifyService, name=name, num_replicas=num_replicas, ray_actor_options={"num_cpus": num_cpus}
    )
    return service.bind()
