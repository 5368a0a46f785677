"""Plain JSON Lines."""

from __future__ import annotations

import pytest

from koclassify.data.example import Span
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.errors import DataError


def test_labels_label_target_and_fields(write):
    path = write(
        "d.jsonl",
        [
            {"id": "a", "text": "아 학교 가기 싫다", "labels": ["슬픔", "혐오"], "artist": "윤슬", "rank": 3},
            {"id": 7, "text": "좋다", "label": "기쁨", "target": "좋"},
            {"text": "학교 앞", "labels": [], "target": {"form": "학교", "begin": 0, "end": 2}},
            {"text": "비가 온다", "label": "-", "target": "우산"},
        ],
    )
    dataset = read_examples(path)
    ex = dataset.examples
    assert [e.id for e in ex] == ["a", "7", "2", "3"]
    assert [e.labels for e in ex] == [("슬픔", "혐오"), ("기쁨",), (), ()]
    assert ex[0].fields == {"artist": "윤슬", "rank": 3}
    assert dataset.fields == ["artist", "rank"]
    assert [e.target for e in ex] == [None, Span("좋", 0, 1), Span("학교", 0, 2), Span("우산")]
    assert dataset.records is None


def test_renamed_keys(write):
    path = write("d.jsonl", [{"no": "x1", "document": "좋은 영화", "y": "1"}])
    dataset = read_examples(path, ReadOptions(format="jsonl", text_col="document", label_col="y", id_col="no"))
    assert (dataset.examples[0].id, dataset.examples[0].labels, dataset.examples[0].fields) == ("x1", ("1",), {})


@pytest.mark.parametrize(
    ("row", "message", "field"),
    [
        ({"text": "좋다", "label": "a", "labels": ["a"]}, "not both", "labels"),
        ({"text": "좋다"}, "no gold labels", "labels"),
        ({"text": "", "label": "a"}, "empty text", "text"),
        ({"text": 3, "label": "a"}, "text must be a string", "text"),
        ({"text": "좋다", "labels": [["a"]]}, "labels must be strings", "labels"),
        ({"text": "좋다", "label": "a", "target": 5}, "target must be a string", "target"),
        ({"text": "좋다", "label": "a", "id": None}, "id must be", "id"),
        ({"text": "좋다", "label": "a", "target": {"form": "싫", "begin": 0, "end": 1}}, "--lenient", "target"),
    ],
)
def test_bad_rows(write, row, message, field):
    path = write("bad.jsonl", [{"text": "괜찮다", "label": "a"}, row])
    with pytest.raises(DataError, match=message) as info:
        read_examples(path)
    assert (info.value.line, info.value.field) == (2, field)


def test_prediction_input_without_labels(write):
    dataset = read_examples(write("t.jsonl", [{"id": "q", "text": "좋다"}]), need_labels=False)
    assert dataset.examples[0].labels is None


def test_forced_multiclass(write):
    path = write("m.jsonl", [{"text": "좋다", "labels": ["a", "b"]}])
    with pytest.raises(DataError, match="multi-class"):
        read_examples(path, ReadOptions(multi_label=False))
