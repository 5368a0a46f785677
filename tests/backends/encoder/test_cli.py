"""`koclassify train --backend encoder --model TINY_DIR`, then `predict` and `evaluate`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.samples import sample_path

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_train_predict_evaluate(bert_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = invoke(
        "train", sample_path("nikl_train.jsonl"), "--backend", "encoder", "--model", bert_dir, "--epochs", 1,
        "--dev", sample_path("nikl_dev.jsonl"), "--lr", "1e-3", "-O", "max_length=64", "-O", "target_mode=markers",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "encoder" and config["backend_options"]["model"] == str(bert_dir)
    assert config["backend_options"]["max_length"] == 64 and config["backend_options"]["epochs"] == 1
    assert config["labels"]["multi_label"] and config["calibration"]["source"] == "dev"
    assert (out / "thresholds.json").is_file() and (out / "backend" / "model" / "model.safetensors").is_file()
    stats = json.loads((out / "backend" / "encoder.json").read_text())["train_stats"]
    assert stats["rows"] == 300 and stats["steps"] == 10 and stats["unk_rate"] < 0.01  # batch 32: 10 steps

    submission = tmp_path / "submission.jsonl"
    result = invoke("predict", out, sample_path("nikl_test.jsonl"), "--out", submission)
    assert result.exit_code == 0, result.output
    src = [json.loads(line) for line in sample_path("nikl_test.jsonl").read_text().splitlines() if line.strip()]
    rows = [json.loads(line) for line in submission.read_text().splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in src]
    assert all(set(r["output"].values()) <= {"True", "False"} for r in rows)

    result = invoke("evaluate", out, sample_path("nikl_dev.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert metrics and all(isinstance(v, (int, float, dict, list, str)) for v in metrics.values())
