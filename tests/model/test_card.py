"""The model card (README.md in the Hugging Face format) that every saved model directory holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from typer.testing import CliRunner

from koclassify import Classifier
from koclassify.cli.commands import app
from koclassify.samples import sample_path

POS = ["정말 재미있어요", "최고의 영화였어요", "배우 연기가 좋았어요", "또 보고 싶어요", "감동적이고 재미있어요"]
NEG = ["너무 지루했어요", "최악의 영화였어요", "연기가 별로였어요", "시간 아까워요", "지루하고 재미없어요"]


def test_api_save_writes_the_card(tmp_path: Path) -> None:
    clf = Classifier(C=0.8).fit(POS * 4 + NEG * 3, ["긍정"] * 20 + ["부정"] * 15)
    clf.save(tmp_path / "m")
    card = ModelCard.load(tmp_path / "m" / "README.md")  # parses as a Hugging Face model card
    meta = card.data.to_dict()
    assert meta["language"] == "ko" and meta["library_name"] == "koclassify"
    assert meta["pipeline_tag"] == "text-classification" and meta["labels"] == ["긍정", "부정"]
    assert "multi-class" in meta["tags"]
    text = card.text
    assert "35 rows" in text and "| 긍정 | 20 |" in text and "| 부정 | 15 |" in text
    assert "| `C` | `0.8` |" in text
    assert "argmax" in text and "Intended use and limits" in text
    # a loaded and re-saved model keeps what fit recorded
    Classifier.load(tmp_path / "m").save(tmp_path / "again")
    assert "| 부정 | 15 |" in (tmp_path / "again" / "README.md").read_text(encoding="utf-8")


def test_cli_train_card_names_data_command_thresholds_and_dev_metrics(tmp_path: Path) -> None:
    out = tmp_path / "model"
    args = ["train", str(sample_path("nikl_train.jsonl")), "--out", str(out), "--dev",
            str(sample_path("nikl_dev.jsonl")), "--seed", "7"]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = (out / "README.md").read_text(encoding="utf-8")
    assert f"- file: `{sample_path('nikl_train.jsonl')}`" in text and "- 300 rows" in text
    assert "- dev: 80 rows" in text
    assert f"koclassify train {sample_path('nikl_train.jsonl')} --out {out} --dev" in text and "--seed 7" in text
    assert "| `seed` | `7` |" in text
    assert "`at_least_one`" in text and "| joy | 0." in text
    assert "Thresholds tuned for micro-f1 on the dev rows (80 rows)" in text
    assert "| micro_f1 | 0." in text


def test_recalibration_rewrites_the_card(tmp_path: Path) -> None:
    from koclassify.data.read import read_examples

    train = read_examples(sample_path("nikl_train.jsonl")).examples
    clf = Classifier().fit(train)
    clf.save(tmp_path / "m")
    assert "Thresholds were not tuned" in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    clf.calibrate(read_examples(sample_path("nikl_dev.jsonl")).examples)
    clf.save_calibration(tmp_path / "m")
    assert "Thresholds tuned for micro-f1" in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["README.md"])
def test_card_is_listed_among_the_model_files(tmp_path: Path, name: str) -> None:
    Classifier().fit(POS * 2 + NEG * 2, ["a"] * 10 + ["b"] * 10).save(tmp_path / "m")
    assert (tmp_path / "m" / name).is_file()
