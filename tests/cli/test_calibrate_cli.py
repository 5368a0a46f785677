"""`koclassify calibrate` and `merge`: the seed's workflow on foreign probabilities, and a model's own thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.errors import DataError
from koclassify.samples import sample_path

runner = CliRunner()
EMOTIONS = ["joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"]


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def percent_probs(path: Path, nikl: Path, seed: int) -> None:
    """A seed-style ``*_predict.json``: a JSON list of {emotion: percent with 2 decimals}, row-aligned with ``nikl``."""
    rng = np.random.default_rng(seed)
    rows = []
    for line in nikl.read_text(encoding="utf-8").splitlines():
        output = json.loads(line)["output"] or {}
        rows.append({e: round(float(np.clip((output.get(e) == "True") * 40 + rng.random() * 60, 0, 100)), 2)
                     for e in EMOTIONS})  # fmt: skip
    path.write_text(json.dumps(rows), encoding="utf-8")


def test_the_seeds_workflow_calibrate_then_merge(tmp_path: Path) -> None:
    dev_probs, test_probs = tmp_path / "dev_predict.json", tmp_path / "test_predict.json"
    percent_probs(dev_probs, sample_path("nikl_dev.jsonl"), 0)
    percent_probs(test_probs, sample_path("nikl_test.jsonl"), 1)
    thresholds = tmp_path / "thresholds.json"
    result = invoke("calibrate", "--probs", dev_probs, "--gold", sample_path("nikl_dev.jsonl"),
                    "--objective", "accuracy", "--out", thresholds, "--table")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = json.loads(thresholds.read_text())
    assert list(table) == EMOTIONS and all(0.0 <= t < 1.0 for t in table.values())
    assert any(line.startswith("30.1%: {'joy': ") for line in result.output.splitlines())

    submission = tmp_path / "submission.jsonl"
    result = invoke("merge", "--probs", test_probs, "--thresholds", thresholds,
                    "--data", sample_path("nikl_test.jsonl"), "--out", submission)  # fmt: skip
    assert result.exit_code == 0, result.output
    source = [json.loads(x) for x in sample_path("nikl_test.jsonl").read_text(encoding="utf-8").splitlines()]
    written = [json.loads(x) for x in submission.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in written] == [r["id"] for r in source]
    assert all(r["input"] == s["input"] for r, s in zip(written, source))
    assert all(set(r["output"].values()) <= {"True", "False"} and list(r["output"]) == EMOTIONS for r in written)
    probs = json.loads(test_probs.read_text())
    for row, p in zip(written, probs):  # every decision is exactly p >= threshold
        assert {e for e, v in row["output"].items() if v == "True"} == {e for e in EMOTIONS if p[e] / 100 >= table[e]}


def test_calibrate_a_model_directory_updates_thresholds_only(tmp_path: Path) -> None:
    model = tmp_path / "model"
    assert invoke("train", sample_path("nikl_train.jsonl"), "--out", model, "--calibrate", "none").exit_code == 0
    weights = sorted((p.name, p.stat().st_mtime_ns) for p in (model / "backend").iterdir())
    result = invoke("calibrate", model, sample_path("nikl_dev.jsonl"), "--objective", "micro-f1",
                    "--decision", "at_least_one")  # fmt: skip
    assert result.exit_code == 0, result.output
    thresholds = json.loads((model / "thresholds.json").read_text())
    config = json.loads((model / "config.json").read_text())
    assert any(abs(t - 0.5) > 1e-9 for t in thresholds.values())
    assert config["calibration"]["objective"] == "micro-f1"
    assert config["calibration"]["source"].endswith("nikl_dev.jsonl")
    assert config["decision"]["rule"] == "at_least_one"
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (model / "backend").iterdir()) == weights


def test_misaligned_probabilities_are_refused_with_the_file_named(tmp_path: Path) -> None:
    probs = tmp_path / "p.jsonl"
    probs.write_text('{"joy": 0.5}\n{"joy": 0.2}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"p\.jsonl.*2 probability rows but 80 gold rows"):
        invoke("calibrate", "--probs", probs, "--gold", sample_path("nikl_dev.jsonl"), "--out", tmp_path / "t.json")
    probs.write_text('{"joy": 0.5}\n{"anger": 0.2}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"p\.jsonl:2.*labels differ"):
        invoke("calibrate", "--probs", probs, "--gold", sample_path("nikl_dev.jsonl"), "--out", tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()
