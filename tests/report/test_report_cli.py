"""`koclassify report` end to end: a model trained by `koclassify train` on the bundled NIKL sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.errors import ModelError
from koclassify.samples import sample_path

runner = CliRunner()
NIKL_LABELS = ["joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"]


def invoke(*args: object, catch: bool = False):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=catch)


@pytest.fixture(scope="module")
def nikl_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-cli") / "model"
    result = invoke("train", sample_path("nikl_train.jsonl"), "--out", out, "--calibrate", "none")
    assert result.exit_code == 0, result.output
    return out


def test_report_command_writes_the_page(nikl_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = invoke("report", nikl_model, sample_path("nikl_dev.jsonl"), "--out", out, "--title", "NIKL 개발 세트")
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "NIKL 개발 세트" in html
    for name in NIKL_LABELS:
        assert f'data-label="{name}"' in html
    for png in ("per_label.png", "thresholds.png", "errors.png", "cooccurrence.png", "distribution.png"):
        assert f'src="{png}"' in html and (out / png).stat().st_size > 10_000
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in summary["labels"]] == NIKL_LABELS
    assert {r["threshold_status"] for r in summary["labels"]} == {"default: not calibrated"}
    assert summary["metrics"]["samples"] == 80
    assert any("never tuned" in note for note in summary["notes"])


def test_model_without_weights_is_a_clear_error(nikl_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(nikl_model, broken)
    shutil.rmtree(broken / "backend")
    result = invoke("report", broken, sample_path("nikl_dev.jsonl"), "--out", tmp_path / "r", catch=True)
    assert isinstance(result.exception, ModelError) and "backend: missing" in str(result.exception)
    assert not (tmp_path / "r").exists()


def test_not_a_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke("report", tmp_path, sample_path("nikl_dev.jsonl"), "--out", tmp_path / "r", catch=True)
    assert isinstance(result.exception, ModelError) and "not a koclassify model directory" in str(result.exception)


def test_report_links_the_model_card(nikl_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = invoke("report", nikl_model, sample_path("nikl_dev.jsonl"), "--out", out)
    assert result.exit_code == 0, result.output
    href = json.loads((out / "report.json").read_text(encoding="utf-8"))["model_card"]
    assert (out / href).resolve() == (nikl_model / "README.md").resolve()
    assert f'<a href="{href}">model card</a>' in (out / "index.html").read_text(encoding="utf-8")


def test_report_reads_standard_input(nikl_model: Path, tmp_path: Path) -> None:
    data = sample_path("nikl_dev.jsonl").read_text(encoding="utf-8")
    result = runner.invoke(app, ["report", str(nikl_model), "-", "--out", str(tmp_path / "r"), "--title", "stdin"],
                           input=data)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))["metrics"]["samples"] == 80
