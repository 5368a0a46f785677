"""NIKL emotion-analysis JSON Lines."""

from __future__ import annotations

import json

import pytest

from koclassify.data.example import Span
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.errors import DataError

from ..conftest import EMOTIONS


def test_reads_targets_labels_and_label_order(write, nikl):
    path = write(
        "train.jsonl",
        [
            nikl("1", "아 학교 가기 싫다.", ("학교", 2, 4), ("disgust", "sadness")),
            nikl("2", "라면 먹고 싶다.", ("라면", 0, 2), ("anticipation",)),
            nikl("3", "오늘은 다 좋았다.", "null", ("joy",)),
            nikl("4", "그냥 그렇다.", None, ()),
        ],
    )
    dataset = read_examples(path)
    assert dataset.format == "nikl"
    assert dataset.label_names == tuple(EMOTIONS)
    assert [ex.id for ex in dataset.examples] == ["1", "2", "3", "4"]
    first = dataset.examples[0]
    assert first.target == Span("학교", 2, 4)
    assert first.labels == ("disgust", "sadness")
    assert dataset.examples[2].target == Span(None)
    assert dataset.examples[3].target is None and dataset.examples[3].labels == ()
    assert dataset.records[1]["input"]["form"] == "라면 먹고 싶다."
    assert dataset.repairs == 0


def test_test_file_has_no_labels(write, nikl):
    path = write("test.jsonl", [nikl("t1", "라면 먹고 싶다.", ("라면", 0, 2), None)])
    dataset = read_examples(path, need_labels=False)
    assert dataset.examples[0].labels is None
    assert not dataset.has_labels
    with pytest.raises(DataError, match=r"test.jsonl:1.*'t1'.*test file"):
        read_examples(path)


def test_bad_json_names_the_line(write, nikl):
    good = json.dumps(nikl("1", "좋다", None, ("joy",)), ensure_ascii=False)
    path = write("bad.jsonl", f'{good}\n{good.replace("1", "2", 1)}\n{{"id": "3", "input": \n')
    with pytest.raises(DataError, match=r"bad.jsonl:3: invalid JSON") as info:
        read_examples(path)
    assert info.value.line == 3


def test_target_mismatch_names_file_line_and_id(write, nikl):
    path = write(
        "dev.jsonl",
        [
            nikl("ok", "학교 가기 싫다", ("학교", 0, 2), ("sadness",)),
            nikl("x-7", "아 학교 가기 싫다", ("학교", 0, 2), ("sadness",)),
        ],
    )
    with pytest.raises(DataError, match=r"dev.jsonl:2.*'target'.*'x-7'.*--lenient") as info:
        read_examples(path)
    assert (info.value.line, info.value.field) == (2, "target")


def test_lenient_repairs_to_the_nearest_occurrence_and_counts(write, nikl):
    text = "학교 앞 분식집, 학교 뒤 문구점"  # "학교" at 0 and 10
    path = write(
        "dev.jsonl",
        [
            nikl("1", text, ("학교", 9, 11), ("joy",)),  # off by one: nearest is 10
            nikl("2", text, ("학교", 1, 3), ("joy",)),  # nearest is 0
            nikl("3", text, ("분식집", 5, 8), ("joy",)),  # already right
            nikl("4", text, ("문구점", None, None), ("joy",)),  # offsets missing
        ],
    )
    with pytest.warns(UserWarning, match="3 imperfect row"):
        dataset = read_examples(path, ReadOptions(lenient=True))
    assert dataset.repairs == 3
    assert [ex.target for ex in dataset.examples] == [
        Span("학교", 10, 12),
        Span("학교", 0, 2),
        Span("분식집", 5, 8),
        Span("문구점", 15, 18),
    ]
    assert dataset.options.lenient


def test_lenient_cannot_repair_a_form_that_is_absent(write, nikl):
    path = write("dev.jsonl", [nikl("1", "학교 가기 싫다", ("회사", 0, 2), ("sadness",))])
    with pytest.raises(DataError, match="does not occur"):
        read_examples(path, ReadOptions(lenient=True))


@pytest.mark.parametrize(
    ("mutate", "message", "field"),
    [
        (lambda o: o["output"].update(joy="yes"), 'expected "True" or "False"', "output.joy"),
        (lambda o: o["output"].pop("joy"), "differ from the first row", "output"),
        (lambda o: o["input"].update(form="  "), "empty text", "input.form"),
        (lambda o: o.pop("id"), "needs an 'id'", "id"),
        (lambda o: o.update(input="문장"), "'input' must be an object", "input"),
        (lambda o: o["input"]["target"].update(begin="2"), "offset must be an integer", "target.begin"),
        (
            lambda o: o["input"].update(target={"form": None, "begin": 0, "end": 2}),
            "offsets but no form",
            "target.form",
        ),
    ],
)
def test_bad_rows_name_line_and_field(write, nikl, mutate, message, field):
    second = nikl("2", "아 학교 가기 싫다.", ("학교", 2, 4), ("sadness",))
    mutate(second)
    path = write("rows.jsonl", [nikl("1", "좋다", None, ("joy",)), second])
    with pytest.raises(DataError, match=message) as info:
        read_examples(path)
    assert (info.value.line, info.value.field) == (2, field)


def test_duplicate_ids_are_rejected(write, nikl):
    path = write("dup.jsonl", [nikl("1", "좋다", None, ("joy",)), nikl("1", "싫다", None, ("anger",))])
    with pytest.raises(DataError, match=r"dup.jsonl:2.*duplicate id '1' \(first on line 1\)"):
        read_examples(path)


def test_boolean_outputs_and_extra_keys(write, nikl):
    record = nikl("1", "좋다", None, ("joy",))
    record["output"] = {e: e == "joy" for e in EMOTIONS}
    record["meta"] = {"source": "web"}
    dataset = read_examples(write("b.jsonl", [record]))
    assert dataset.examples[0].labels == ("joy",)
    assert dataset.examples[0].fields == {"meta": {"source": "web"}}
    assert dataset.fields == ["meta"]
