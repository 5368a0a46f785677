"""Import every command module so its commands register on :data:`koclassify.cli.app.app`."""

from koclassify.cli import core, serve  # noqa: F401
from koclassify.cli.app import app

__all__ = ["app"]
from koclassify.cli import calibrate  # noqa: F401
from koclassify.cli import report  # noqa: F401
from koclassify.cli import split  # noqa: F401
