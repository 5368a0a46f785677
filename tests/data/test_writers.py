"""Prediction and dataset writers: one row per input id in input order, atomic, refusing misaligned input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from koclassify.data import writers
from koclassify.data.read import read_examples
from koclassify.data.writers import (
    decisions_to_labels,
    write_csv,
    write_nikl,
    write_predictions,
    write_probs_jsonl,
)
from koclassify.errors import DataError

from .conftest import EMOTIONS

NAMES = ["a", "b", "c"]


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def nikl_test(write, nikl):
    records = [
        nikl("z9", "아 학교 가기 싫다.", ("학교", 2, 4), None),
        nikl("a1", "라면 먹고 싶다.", ("라면", 0, 2), None),
        nikl("m5", "오늘은 좋았다.", "null", None),
    ]
    return records, read_examples(write("test.jsonl", records), need_labels=False)


def test_write_nikl_echoes_input_and_fills_output(tmp_path, nikl_test):
    records, dataset = nikl_test
    decisions = np.zeros((3, len(EMOTIONS)), dtype=bool)
    decisions[0, [4, 7]] = True
    decisions[2, 0] = True
    out = write_nikl(dataset, decisions, EMOTIONS, tmp_path / "pred.jsonl")
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["z9", "a1", "m5"]
    assert [r["input"] for r in rows] == [r["input"] for r in records]
    assert list(rows[0]["output"]) == EMOTIONS
    assert [k for k, v in rows[0]["output"].items() if v == "True"] == ["disgust", "sadness"]
    assert set(rows[1]["output"].values()) == {"False"}
    assert read_examples(out).examples[2].labels == ("joy",)  # the submission is valid NIKL


def test_write_nikl_rejects_wrong_row_count_and_leaves_no_file(tmp_path, nikl_test):
    _, dataset = nikl_test
    with pytest.raises(ValueError, match="3 input rows"):
        write_nikl(dataset, np.zeros((2, len(EMOTIONS)), dtype=bool), EMOTIONS, tmp_path / "p.jsonl")
    with pytest.raises(ValueError, match="shape"):
        write_nikl(dataset, np.zeros((3, 2), dtype=bool), EMOTIONS, tmp_path / "p.jsonl")
    assert list(tmp_path.glob("p.jsonl*")) == [] and list(tmp_path.glob(".p.jsonl*")) == []


def test_write_nikl_needs_nikl_input(tmp_path, write):
    dataset = read_examples(write("t.jsonl", [{"text": "좋다"}]), need_labels=False)
    with pytest.raises(DataError, match="NIKL output needs NIKL input"):
        write_nikl(dataset, np.zeros((1, 1), dtype=bool), ["x"], tmp_path / "p.jsonl")


def test_probs_jsonl_and_csv(tmp_path):
    ids = ["r2", "r1"]
    probs = np.array([[0.9, 0.2, 0.6], [0.1, 0.3, 0.05]])
    labels = decisions_to_labels(probs >= 0.5, NAMES)
    assert labels == [("a", "c"), ()]
    rows = read_jsonl(write_probs_jsonl(ids, labels, probs, NAMES, tmp_path / "p.jsonl"))
    assert rows[0] == {"id": "r2", "labels": ["a", "c"], "probs": {"a": 0.9, "b": 0.2, "c": 0.6}}
    assert rows[1]["labels"] == []
    write_csv(ids, labels, probs, NAMES, tmp_path / "p.tsv")
    with (tmp_path / "p.tsv").open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh, delimiter="\t"))
    assert table == [
        ["id", "labels", "a", "b", "c"],
        ["r2", "a, c", "0.9", "0.2", "0.6"],
        ["r1", "", "0.1", "0.3", "0.05"],
    ]


@pytest.mark.parametrize(
    ("ids", "probs", "message"),
    [
        (["x", "x"], np.full((2, 3), 0.5), "duplicate ids"),
        (["x", "y"], np.full((3, 3), 0.5), "2 input rows"),
        (["x", "y"], np.array([[0.5, np.nan, 0.1], [0.1, 0.2, 0.3]]), "NaN"),
    ],
)
def test_probs_writers_refuse_misaligned_input(tmp_path, ids, probs, message):
    labels = [()] * len(ids)
    for writer, name in ((write_probs_jsonl, "p.jsonl"), (write_csv, "p.csv")):
        with pytest.raises(ValueError, match=message):
            writer(ids, labels, probs, NAMES, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.jsonl"
    path.write_text("old\n", encoding="utf-8")
    calls = []

    def failing_dumps(obj, **kwargs):
        calls.append(obj)
        if len(calls) == 2:
            raise OSError("disk full")
        return json.JSONEncoder(ensure_ascii=False).encode(obj)

    monkeypatch.setattr(writers.json, "dumps", failing_dumps)
    with pytest.raises(OSError, match="disk full"):
        write_probs_jsonl(["a", "b", "c"], [()] * 3, np.zeros((3, 3)), NAMES, path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.jsonl"]


def test_write_predictions_dispatch(tmp_path, nikl_test, write):
    _, nikl_data = nikl_test
    plain = read_examples(
        write("t.jsonl", [{"id": "q", "text": "좋다"}, {"id": "w", "text": "싫다"}]), need_labels=False
    )
    n = len(EMOTIONS)
    d3, p3 = np.eye(3, n, dtype=bool), np.full((3, n), 0.25)
    assert write_predictions(nikl_data, d3, None, EMOTIONS, tmp_path / "sub.jsonl") == "nikl"
    assert write_predictions(nikl_data, d3, p3, EMOTIONS, tmp_path / "sub.csv") == "csv"
    assert write_predictions(nikl_data, d3, p3, EMOTIONS, tmp_path / "probs.jsonl", kind="probs") == "probs"
    assert write_predictions(plain, d3[:2, :3], p3[:2, :3], NAMES, tmp_path / "plain.jsonl") == "probs"
    assert read_jsonl(tmp_path / "plain.jsonl")[1] == {"id": "w", "labels": ["b"], "probs": dict.fromkeys(NAMES, 0.25)}
    assert read_jsonl(tmp_path / "probs.jsonl")[0]["id"] == "z9"
    with pytest.raises(ValueError, match="needs probabilities"):
        write_predictions(plain, d3[:2, :3], None, NAMES, tmp_path / "x.jsonl")
    with pytest.raises(ValueError, match="unknown output kind"):
        write_predictions(plain, d3[:2, :3], p3[:2, :3], NAMES, tmp_path / "x.jsonl", kind="xml")


def test_csv_refuses_label_names_that_clash_with_columns(tmp_path):
    with pytest.raises(DataError, match="clash"):
        write_csv(["a"], [()], np.zeros((1, 2)), ["id", "x"], tmp_path / "p.csv")
