"""Parquet through `train`, `predict` and `evaluate` (same flags and results as CSV), and streaming `predict`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.errors import DataError
from koclassify.samples import sample_path

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
runner = CliRunner()
FLAGS = ("--text-col", "lyrics", "--label-col", "genre", "--label-sep", ",", "--lenient")


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def csv_to_parquet(src: Path, dst: Path) -> Path:
    with open(src, encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    pq.write_table(pa.table({k: [r[k] for r in records] for k in records[0]}), dst)
    return dst


def test_parquet_round_trips_through_train_predict_and_evaluate(tmp_path: Path) -> None:
    train_pq = csv_to_parquet(sample_path("lyrics_train.csv"), tmp_path / "train.parquet")
    dev_pq = csv_to_parquet(sample_path("lyrics_dev.csv"), tmp_path / "dev.parquet")
    for name, data in (("csv", sample_path("lyrics_train.csv")), ("pq", train_pq)):
        result = invoke("train", data, "--out", tmp_path / name, "--calibrate", "none", *FLAGS)
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "pq" / "config.json").read_text())["data_options"]["format"] == "parquet"

    result = invoke("predict", tmp_path / "pq", dev_pq, "--out", tmp_path / "pred.parquet")
    assert result.exit_code == 0, result.output
    result = invoke("predict", tmp_path / "csv", sample_path("lyrics_dev.csv"), "--out", tmp_path / "pred.jsonl",
                    "--probs")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "pred.parquet").to_pylist()
    expected = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert [r["id"] for r in table] == [r["id"] for r in expected] and len(table) == 50
    assert [r["labels"] for r in table] == [r["labels"] for r in expected]
    np.testing.assert_allclose([list(r["probs"].values()) for r in table],
                               [list(r["probs"].values()) for r in expected], atol=1e-12)  # fmt: skip

    metrics = []
    for model, data in (("pq", dev_pq), ("csv", sample_path("lyrics_dev.csv"))):
        result = invoke("evaluate", tmp_path / model, data, "--json")
        assert result.exit_code == 0, result.output
        metrics.append(json.loads(result.output.strip().splitlines()[-1]))
    assert metrics[0] == metrics[1]


@pytest.fixture(scope="module")
def nikl_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stream") / "model"
    result = invoke("train", sample_path("nikl_train.jsonl"), "--out", out, "--calibrate", "none")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_streaming_predict_matches_whatever_the_chunk_size(nikl_model: Path, tmp_path: Path, suffix: str) -> None:
    src = sample_path("nikl_test.jsonl")
    whole, chunked = tmp_path / f"whole{suffix}", tmp_path / f"chunked{suffix}"
    assert invoke("predict", nikl_model, src, "--out", whole, "--to", "auto").exit_code == 0
    result = invoke("predict", nikl_model, src, "--out", chunked, "--batch-size", 7)
    assert result.exit_code == 0, result.output
    assert (
        whole.read_bytes() == chunked.read_bytes()
        if suffix != ".parquet"
        else (pq.read_table(whole).equals(pq.read_table(chunked)))
    )
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_a_bad_row_in_a_later_chunk_leaves_no_output(nikl_model: Path, tmp_path: Path) -> None:
    lines = sample_path("nikl_test.jsonl").read_text(encoding="utf-8").splitlines()
    lines[40] = lines[0]  # a repeated id, far from the first
    src = tmp_path / "dup.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["predict", str(nikl_model), str(src), "--out", str(out), "--batch-size", "10"])
    assert isinstance(result.exception, DataError)  # `koclassify` prints it as one line and exits 2
    assert "dup.jsonl:41, field 'id': duplicate id 'nikluge-sample-test-000001' (first on line 1)" in str(
        result.exception
    )
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    result = invoke("predict", nikl_model, src, "--out", out, "--batch-size", "10", "--lenient")
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 59
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["field"]) for e in errors] == [(41, "id")]
