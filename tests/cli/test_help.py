"""Every command's --help renders (help texts are plain text, never parsed as markup)."""

from __future__ import annotations

from typer.testing import CliRunner

from koclassify.cli.commands import app

runner = CliRunner()
COMMANDS = ("train", "predict", "evaluate", "convert", "calibrate", "merge", "serve")


def test_top_level_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.output


def test_each_command_has_help() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert set(COMMANDS) <= set(names)
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, f"{name}: {result.output}"
        assert "Usage" in result.output
