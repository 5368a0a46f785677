"""Import every command module so its commands register on :data:`koclassify.cli.app.app`."""

from koclassify.cli import audit, calibrate, core, ensemble, export, options, report, serve, split  # noqa: F401
from koclassify.cli.app import app

__all__ = ["app"]
