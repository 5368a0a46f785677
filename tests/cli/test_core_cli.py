"""`koclassify train / predict / evaluate / convert` end to end on the bundled samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.samples import sample_path

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def nikl_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    result = invoke("train", sample_path("nikl_train.jsonl"), "--out", out, "--calibrate", "cv", "--cv", "3")
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_a_model_directory_with_tuned_thresholds(nikl_model: Path) -> None:
    config = json.loads((nikl_model / "config.json").read_text())
    assert config["backend"] == "linear"
    assert config["labels"]["names"] == [
        "joy",
        "anticipation",
        "trust",
        "surprise",
        "disgust",
        "fear",
        "anger",
        "sadness",
    ]
    assert config["data_options"]["format"] == "nikl"
    assert config["calibration"]["source"] == "cv3"
    thresholds = json.loads((nikl_model / "thresholds.json").read_text())
    assert any(abs(t - 0.5) > 1e-9 for t in thresholds.values()), "CV calibration moved some threshold"


def test_predict_writes_the_nikl_submission(nikl_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "submission.jsonl"
    result = invoke("predict", nikl_model, sample_path("nikl_test.jsonl"), "--out", out)
    assert result.exit_code == 0, result.output
    src = [json.loads(line) for line in sample_path("nikl_test.jsonl").read_text().splitlines() if line.strip()]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in src]
    assert all(r["input"] == s["input"] for r, s in zip(rows, src))
    assert all(set(r["output"].values()) <= {"True", "False"} for r in rows)
    assert all("True" in r["output"].values() for r in rows), "at_least_one: every row gets an emotion"


def test_predict_probs(nikl_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "probs.jsonl"
    assert invoke("predict", nikl_model, sample_path("nikl_test.jsonl"), "--probs", "--out", out).exit_code == 0
    row = json.loads(out.read_text().splitlines()[0])
    assert set(row) == {"id", "labels", "probs"} and len(row["probs"]) == 8


def test_evaluate_json_last_line(nikl_model: Path) -> None:
    result = invoke("evaluate", nikl_model, sample_path("nikl_dev.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert {"micro_f1", "macro_f1", "accuracy"} <= set(metrics)
    assert metrics["micro_f1"] > 0.4


def test_csv_layout_is_remembered(tmp_path: Path) -> None:
    model = tmp_path / "lyrics"
    result = invoke(
        "train", sample_path("lyrics_train.csv"), "--out", model, "--text-col", "lyrics", "--label-col", "genre",
        "--label-sep", ",", "--calibrate", "none", "--lenient",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke("evaluate", model, sample_path("lyrics_dev.csv"), "--json")
    assert result.exit_code == 0, result.output
    out = tmp_path / "pred.csv"
    assert invoke("predict", model, sample_path("lyrics_dev.csv"), "--out", out).exit_code == 0
    assert out.read_text().splitlines()[0].startswith("id")


def test_convert_expand(tmp_path: Path) -> None:
    out = tmp_path / "expanded.jsonl"
    result = invoke("convert", sample_path("nikl_train.jsonl"), out, "--expand", "--to", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(len(r["labels"]) <= 1 for r in rows)
    assert len(rows) > 300


def test_user_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "좋아요", "label": "p"}\n{"id": "2", "text": \n', encoding="utf-8")
    from koclassify.cli import main

    with pytest.raises(SystemExit) as exc:
        import sys

        sys.argv = ["koclassify", "train", str(bad), "--out", str(tmp_path / "m")]
        main()
    assert exc.value.code == 2


def test_train_prints_the_rule_and_saves_nb_and_second_stage(tmp_path: Path) -> None:
    out = tmp_path / "m"
    options = ["-O", "nb=on", "-O", "stack=on"]
    result = invoke("train", sample_path("nikl_train.jsonl"), "--out", out, "--cv", "3", *options)
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())  # rich wraps long lines
    assert "decision at_least_one (auto: 100.0% of training rows have a label)" in printed
    assert "second stage used" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["stack"] == "on" and config["decision"]["labelled_share"] == 1.0
    assert config["calibration"]["stack"]["used"] is True
    import numpy as np

    with np.load(out / "stack.npz", allow_pickle=False) as npz:
        assert npz["coef"].shape == (8, 8)
    with np.load(out / "backend" / "arrays.npz", allow_pickle=False) as npz:
        assert npz["nb"].shape == npz["coef"].shape
    assert invoke("evaluate", out, sample_path("nikl_dev.jsonl")).exit_code == 0


def test_train_prints_what_stack_auto_decided_on(tmp_path: Path) -> None:
    out = tmp_path / "m"
    result = invoke("train", sample_path("nikl_train.jsonl"), "--out", out, "--cv", "3", "-O", "nb=0.5")
    assert result.exit_code == 0, result.output
    stack = json.loads((out / "config.json").read_text())["calibration"]["stack"]
    assert stack["mode"] == "auto" and {"cv_score_first_stage", "cv_score_stacked"} <= set(stack)
    printed = " ".join(result.output.split())
    used = "used" if stack["used"] else "not used"
    expected = (
        f"second stage {used} ({stack['cv_score_first_stage']:.4f} -> {stack['cv_score_stacked']:.4f} cross-validated)"
    )
    assert expected in printed
    assert (out / "stack.npz").exists() == stack["used"]
    assert json.loads((out / "backend" / "linear.json").read_text())["head"]["nb"] == 0.5


@pytest.mark.parametrize("option", ["nb=maybe", "stack=sometimes"])
def test_bad_nb_or_stack_option_exits_2_without_traceback(tmp_path: Path, option: str, capsys) -> None:
    from koclassify.cli import main

    with pytest.raises(SystemExit) as exc:
        import sys

        sys.argv = ["koclassify", "train", str(sample_path("nikl_train.jsonl")), "--out", str(tmp_path / "m"),
                    "-O", option]  # fmt: skip
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid option" in err and option.split("=")[0] in err and "Traceback" not in err
