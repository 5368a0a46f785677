"""Every bad option value fails with one line naming it, before any file is read (issue #14 item 9, #15).

The data and model paths given here do not exist: an option error that came after reading them would report the
missing file instead, so each case also shows that the options are checked first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from koclassify.cli import main

MISSING = "/nonexistent/koclassify-data.jsonl"


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["koclassify", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    return int(exc.value.code or 0), err


TRAIN_CASES = [
    (["--grid", "0"], "grid=0.0 (calibration): allowed: > 0 and <= 0.5"),
    (["--grid", "0.3"], "divides 1 evenly"),
    (["--cv", "1"], "cv=1 (calibration): allowed: >= 2"),
    (["--decision", "max_labels"], "max_labels=null (training): allowed: an integer >= 1"),
    (["--decision", "bogus"], 'decision="bogus" (training): allowed: "auto", "threshold"'),
    (["--objective", "bogus"], 'objective="bogus" (calibration): allowed: "micro-f1"'),
    (["--calibrate", "bogus"], 'calibrate="bogus" (calibration): allowed:'),
    (["--calibrate", "dev"], '--calibrate="dev": allowed: auto, cv or none without --dev FILE'),
    (["-O", "C=abc"], 'C="abc" (linear backend): allowed: a number'),
    (["-O", "C=0"], "C=0.0 (linear backend): allowed: > 0"),
    (["-O", "bogus=1"], "unknown option 'bogus' for the linear backend (known: C, class_weight"),
    (["-O", "min_dff=3"], "unknown option 'min_dff' for the linear backend; did you mean 'min_df'?"),
    (["-O", "novalue"], '--option="novalue": allowed: KEY=VALUE'),
    (["--features", "tfidf,morf"], "unknown feature blocks ['morf']"),
    (["--prior", "artist", "--prior-mode", "x"], 'prior_mode="x" (training): allowed: "learned", "multiplier"'),
    (["--prior", "artist", "--prior-min-count", "0"], "min_count=0 (prior): allowed: >= 1"),
    (["--multi-value", "both"], 'multi_value="both" (training)'),
    (["--backend", "lineer"], "unknown backend 'lineer'; did you mean 'linear'?"),
    (["--backend", "encoder", "--model", "m", "-O", "max_lenght=64"], "did you mean 'max_length'?"),
    (["--backend", "encoder", "--model", "m", "-O", "aggregate=median"], 'aggregate="median" (encoder backend)'),
    (["--backend", "llm", "--model", "m", "-O", "epoch=2"], "unknown option 'epoch' for the llm backend; did you"),
    (["--backend", "llm", "-O", "lr=0.1"], "model=null (llm backend)"),
]


@pytest.mark.parametrize("flags,message", TRAIN_CASES, ids=[" ".join(c[0]) for c in TRAIN_CASES])
def test_train_option_errors(capsys, monkeypatch, tmp_path: Path, flags: list[str], message: str) -> None:
    code, err = run(capsys, monkeypatch, "train", MISSING, "--out", tmp_path / "m", *flags)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one line, no traceback
    assert message in err
    assert not (tmp_path / "m").exists()


def test_config_file_keys_and_values_are_checked(capsys, monkeypatch, tmp_path: Path) -> None:
    cases = {
        "typo.json": ({"objectiv": "accuracy"}, "unknown option 'objectiv' for the config"),
        "backend.json": ({"backend_options": {"C": "x"}}, 'C="x" (linear backend)'),
        "cv.toml": ("cv = 1\n", "cv=1 (calibration)"),
        "decision.toml": ('decision = "max_labels"\n', "max_labels=null"),
        "list.json": ([1, 2], "holds one object of options"),
        "layout.json": ({"format": "xlsx"}, "unknown format 'xlsx'"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        code, err = run(capsys, monkeypatch, "train", MISSING, "--out", tmp_path / "m", "--config", path)
        assert code == 2 and message in err and err.count("\n") == 1, (name, err)


def test_config_file_options_are_used(tmp_path: Path) -> None:
    from koclassify.samples import sample_path

    config = tmp_path / "c.toml"
    config.write_text('objective = "accuracy"\ncv = 3\ndecision = "threshold"\n[backend_options]\nC = 1.0\n')
    code = None
    sys_argv = sys.argv
    try:
        sys.argv = ["koclassify", "train", str(sample_path("nikl_train.jsonl")), "--out", str(tmp_path / "m"),
                    "--config", str(config)]  # fmt: skip
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    finally:
        sys.argv = sys_argv
    assert code in (None, 0)
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["calibration"]["objective"] == "accuracy" and saved["calibration"]["source"] == "cv3"
    assert saved["decision"]["rule"] == "threshold" and saved["backend_options"]["C"] == 1.0


@pytest.mark.parametrize(
    "args,message",
    [
        (["predict", "/nonexistent/model", MISSING, "--out", "o.jsonl", "--to", "bogus"], '--to="bogus": allowed:'),
        (["calibrate", "/nonexistent/model", MISSING, "--grid", "0"], "grid=0.0"),
        (["calibrate", "/nonexistent/model", MISSING, "--objective", "f2"], 'objective="f2"'),
        (["calibrate", "/nonexistent/model", MISSING, "--decision", "bogus"], 'decision="bogus"'),
        (["calibrate", "/nonexistent/model", MISSING, "--decision", "max_labels"], "max_labels=null"),
        (["calibrate", "--probs", MISSING, "--gold", MISSING, "--out", "t.json", "--scale", "x"], '--scale="x"'),
    ],
)
def test_other_commands_check_options_first(capsys, monkeypatch, args: list[str], message: str) -> None:
    code, err = run(capsys, monkeypatch, *args)
    assert code == 2 and message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("command", ["predict", "evaluate", "calibrate", "report"])
def test_every_command_with_options_checks_its_config_file(capsys, monkeypatch, tmp_path: Path, command) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"text_coll": "lyrics"}), encoding="utf-8")
    extra = ["--out", str(tmp_path / "o")] if command in ("predict", "report") else []
    code, err = run(capsys, monkeypatch, command, "/nonexistent/model", MISSING, *extra, "--config", config)
    assert code == 2 and "unknown option 'text_coll'" in err and "did you mean 'text_col'?" in err, err


def test_options_command_lists_each_declaration(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["koclassify", "options", "encoder"])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr().out
    assert exc.value.code in (0, None)
    assert 'aggregate              = "mean"     one of "mean", "max"' in out
    assert "max_length             = null       an integer or null, >= 8" in out
    code, err = run(capsys, monkeypatch, "options", "linaer")
    assert code == 2 and "did you mean 'linear'?" in err
