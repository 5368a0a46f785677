"""The typer application object; command modules register on it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup

GLOBAL_FLAGS = ("--quiet", "-q", "--verbose", "-v")  # the root's own flags: accepted anywhere on the line


def hoist_global_flags(args: list[str]) -> list[str]:
    """``koclassify train ... --quiet`` as ``koclassify --quiet train ...``: the root's flags given after the
    command move in front of it (not past a ``--``, after which everything is an argument)."""
    cut = args.index("--") if "--" in args else len(args)
    head = args[:cut]
    return [a for a in head if a in GLOBAL_FLAGS] + [a for a in head if a not in GLOBAL_FLAGS] + args[cut:]


class _Group(TyperGroup):
    """The root command: reads ``--quiet`` / ``--verbose`` wherever they stand (:func:`hoist_global_flags`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(list(args)))


class _App(typer.Typer):
    """A Typer whose command list shows each command's whole first paragraph (click cuts it at 45 characters), and
    whose commands declare their input paths to the write gate (:mod:`koclassify.cli.inputs`)."""

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[Any], Any]:
        from koclassify.cli.inputs import declares_inputs  # every command tells the write gate its inputs

        if "short_help" in kwargs:
            return lambda f: typer.Typer.command(self, name, **kwargs)(declares_inputs(f))

        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            first = (inspect.getdoc(f) or "").split("\n\n")[0].replace("\n", " ")
            return typer.Typer.command(self, name, short_help=first or None, **kwargs)(declares_inputs(f))

        return register


def _usage_name(self: Any) -> str:
    """``DATA`` / ``[DATA]`` in usage lines (typer 0.29 writes required arguments as ``{data}``)."""
    name = str(self.metavar or self.name).upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


if hasattr(TyperArgument, "_usage_display_name"):
    setattr(TyperArgument, "_usage_display_name", _usage_name)  # noqa: B010


app = _App(
    name="koclassify",
    cls=_Group,
    help="Labelled Korean text in, a calibrated classifier out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: '[dev]' in a docstring is not a style tag
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands inherit it
)


def _version(value: bool) -> None:
    if value:
        from koclassify import __version__

        print(f"koclassify {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit"),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="no progress or status lines: errors, warnings and results only")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="library log lines, and where each warning comes from")
    ] = False,
) -> None:
    """Labelled Korean text in, a calibrated classifier out.

    Progress: a spinner per stage on a terminal; elsewhere (a log file, a pipe) one line per stage with the
    time since the start, written as it happens."""
    from koclassify.cli.output import NORMAL, QUIET, VERBOSE, set_verbosity

    if quiet and verbose:
        raise typer.BadParameter("choose one of --quiet and --verbose")
    set_verbosity(QUIET if quiet else VERBOSE if verbose else NORMAL)
