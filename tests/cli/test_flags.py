"""Flags declared once (issue 21): the layout flags come from ReadOptions, renamed flags keep their old spelling as
a hidden alias with a one-line notice, and serve's defaults live only in ServeOptions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.cli.flags import ALL_LAYOUT, LAYOUT_FLAGS, flag_name
from koclassify.data.options import ReadOptions

runner = CliRunner()


def test_every_layout_option_has_one_flag_named_after_it() -> None:
    assert list(LAYOUT_FLAGS) == [f.name for f in dataclasses.fields(ReadOptions)] == list(ALL_LAYOUT)
    for name, (alias, _) in LAYOUT_FLAGS.items():
        option = alias.__metadata__[0]
        assert option.default.split("/")[0] == flag_name(name), name  # --multi-label/--multi-class is a pair


@pytest.mark.parametrize(
    "command,flags",
    [
        ("train", ALL_LAYOUT),
        ("evaluate", ("format", "label_col", "lenient")),
        ("predict", ("format", "id_col", "target_col", "lenient")),
        ("report", ("text_col", "label_sep")),
        ("calibrate", ("label_col", "no_header")),
        ("ensemble", ("label_col", "no_header")),
        ("convert", ("label_cols", "label_names")),
        ("split", ("id_col",)),
        ("merge", ("text_col",)),
    ],
)
def test_commands_get_the_generated_flags(command: str, flags: tuple[str, ...]) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in flags:
        assert result.output.count(flag_name(name) + " ") == 1, (command, name)
    assert "--batch-size" not in result.output or command == "train"  # predict's is --chunk-rows now
    assert "--out-dir" not in result.output and "--force" not in result.output  # hidden old spellings


def test_old_spellings_still_work_and_say_the_new_name(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"text": f"문장 {i}", "label": "a"}) + "\n" for i in range(20)), encoding="utf-8"
    )
    result = runner.invoke(app, ["split", str(data), "--out-dir", str(tmp_path / "p"), "--dev", "0.2"])
    assert result.exit_code == 0, result.output
    assert "warning: --out-dir is now --out" in result.output and (tmp_path / "p" / "split.json").is_file()
    again = runner.invoke(app, ["split", str(data), "-o", str(tmp_path / "p"), "--dev", "0.2", "--force"])
    assert again.exit_code == 0 and "warning: --force is now --overwrite" in again.output, again.output
    refused = runner.invoke(app, ["split", str(data), "--dev", "0.2"])
    assert refused.exit_code != 0 and "split needs --out FOLDER" in str(refused.exception)


def test_predict_batch_size_is_chunk_rows(tmp_path: Path) -> None:
    from koclassify import Classifier

    model = Classifier(min_df=1).fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(tmp_path / "m")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["좋아요", "싫어요", "최고"]), encoding="utf-8")
    old = runner.invoke(app, ["predict", str(model), str(data), "-o", str(tmp_path / "a.jsonl"), "--batch-size", "2"])
    assert old.exit_code == 0 and "warning: --batch-size is now --chunk-rows" in old.output, old.output
    new = runner.invoke(app, ["predict", str(model), str(data), "-o", str(tmp_path / "b.jsonl"), "--chunk-rows", "2"])
    assert new.exit_code == 0 and "warning" not in new.output, new.output
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    bad = runner.invoke(app, ["predict", str(model), str(data), "-o", str(tmp_path / "c.jsonl"), "--chunk-rows", "0"])
    assert bad.exit_code != 0 and "chunk_rows=0 (prediction): allowed: >= 1" in str(bad.exception)


def test_serve_defaults_live_in_serve_options() -> None:
    pytest.importorskip("fastapi")
    from koclassify.serve.app import ServeOptions

    listing = runner.invoke(app, ["options", "serve"])
    assert listing.exit_code == 0, listing.output
    for name, _, default, _ in ServeOptions.describe():
        assert f"  {name} " in listing.output and json.dumps(default) in listing.output
    serve = next(c for c in app.registered_commands if c.name == "serve" or c.callback.__name__ == "serve")
    import inspect

    defaults = {p.name: p.default for p in inspect.signature(serve.callback).parameters.values()}
    assert all(defaults[name] is None for name in ("max_batch_rows", "max_wait_ms", "max_request_rows"))


@pytest.mark.parametrize("command", ["calibrate", "ensemble"])
@pytest.mark.parametrize(
    "flags,named",
    [(["--objective", "f2"], "objective"), (["--grid", "0.7"], "grid"), (["--scale", "permille"], "--scale"),
     (["--decision", "max_labels"], "max_labels")],
)  # fmt: skip
def test_tuning_flags_are_checked_once_the_same_way_before_any_file_is_read(
    command: str, flags: list[str], named: str, tmp_path: Path
) -> None:
    """`calibrate` and `ensemble` share one declaration and one check of the tuning flags (one error type): a bad
    value is refused as an OptionError (exit 2 from the command line) although every file named is missing."""
    from koclassify.options import OptionError

    missing = str(tmp_path / "missing.jsonl")
    args = ["--probs", missing, "--gold", missing, "--out", str(tmp_path / "o.json"), *flags]
    result = runner.invoke(app, [command, *args])
    assert isinstance(result.exception, OptionError), result.exception
    assert named in str(result.exception) and "missing.jsonl" not in str(result.exception)


def test_merge_takes_the_declared_decision_flags_and_the_rules_own_default(tmp_path: Path) -> None:
    """`merge` has no default of its own: without --decision it applies :class:`DecisionRule`'s default
    (threshold: a row may stay empty), and --decision max_labels --max-labels 1 caps every row."""
    from koclassify.decide.decision import DecisionRule

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"t{i}"}) + "\n" for i in range(3)), encoding="utf-8")
    probs = tmp_path / "p.json"
    probs.write_text(json.dumps([{"a": 0.9, "b": 0.8}, {"a": 0.1, "b": 0.2}, {"a": 0.6, "b": 0.1}]), encoding="utf-8")
    thresholds = tmp_path / "t.json"
    thresholds.write_text(json.dumps({"a": 0.5, "b": 0.5}), encoding="utf-8")

    def labels(*extra: str) -> list[list[str]]:
        out = tmp_path / "out.jsonl"
        args = ["merge", "--probs", probs, "--thresholds", thresholds, "--data", data, "--out", out, *extra]
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return [sorted(json.loads(line)["labels"]) for line in out.read_text(encoding="utf-8").splitlines()]

    assert DecisionRule().rule == "threshold"
    assert labels() == [["a", "b"], [], ["a"]]
    assert labels("--decision", "max_labels", "--max-labels", "1") == [["a"], ["b"], ["a"]]
