"""Per-label expansion and collapse, and file conversion between formats."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koclassify.data.convert import collapse_per_label, convert_file, expand_per_label, output_format
from koclassify.data.example import Example, Span
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.errors import DataError

LABELS = st.sampled_from(["joy", "trust", "anger", "sadness"])
EXAMPLES = st.lists(
    st.builds(
        Example,
        id=st.just(""),
        text=st.text(min_size=1, max_size=8),
        target=st.none() | st.just(Span(None)),
        labels=st.none() | st.lists(LABELS, unique=True, max_size=3).map(tuple),
        fields=st.dictionaries(st.sampled_from(["artist", "date"]), st.text(max_size=4), max_size=2),
    ),
    max_size=6,
).map(lambda rows: [Example(str(i), e.text, e.target, e.labels, e.fields) for i, e in enumerate(rows)])


def test_expand_ids_and_source_id():
    rows = expand_per_label([Example("12", "학교 가기 싫다", labels=("disgust", "sadness"), fields={"a": "1"})])
    assert [(r.id, r.labels) for r in rows] == [("12#disgust", ("disgust",)), ("12#sadness", ("sadness",))]
    assert all(r.fields == {"a": "1", "source_id": "12"} for r in rows)
    with pytest.raises(DataError, match="expanded already"):
        expand_per_label(rows)


@given(EXAMPLES)
def test_collapse_inverts_expand(examples):
    assert collapse_per_label(expand_per_label(examples)) == examples


def test_collapse_unites_labels_in_first_seen_order_and_checks_text():
    rows = [Example("1", "가", labels=("b",)), Example("2", "나", labels=("a",)), Example("1", "가", labels=("a", "b"))]
    assert [(r.id, r.labels) for r in collapse_per_label(rows)] == [("1", ("b", "a")), ("2", ("a",))]
    with pytest.raises(DataError, match="differ in text"):
        collapse_per_label([Example("1", "가", labels=("a",)), Example("1", "다", labels=("b",))])


def test_nikl_round_trips_through_jsonl_and_expansion(write, nikl, tmp_path):
    records = [
        nikl("1", "아 학교 가기 싫다.", ("학교", 2, 4), ("disgust", "sadness")),
        nikl("2", "오늘은 좋았다.", "null", ("joy",)),
        nikl("3", "그냥 그렇다.", None, ()),
    ]
    src = write("train.jsonl", records)
    assert convert_file(src, tmp_path / "plain.jsonl", to="jsonl", expand=True) == 4
    expanded = read_examples(tmp_path / "plain.jsonl")
    assert [e.id for e in expanded.examples] == ["1#disgust", "1#sadness", "2#joy", "3"]
    assert convert_file(tmp_path / "plain.jsonl", tmp_path / "back.jsonl", to="nikl", collapse=True) == 3
    lines = (tmp_path / "back.jsonl").read_text(encoding="utf-8").splitlines()
    restored = [json.loads(line) for line in lines]
    assert [r["id"] for r in restored] == ["1", "2", "3"]
    assert [r["input"] for r in restored] == [r["input"] for r in records]
    assert read_examples(tmp_path / "back.jsonl").examples == read_examples(src).examples


def test_nikl_label_order_comes_from_the_source(write, nikl, tmp_path):
    src = write("train.jsonl", [nikl("1", "좋다", None, ("sadness",))])
    convert_file(src, tmp_path / "copy.jsonl")
    assert list(json.loads((tmp_path / "copy.jsonl").read_text(encoding="utf-8"))["output"])[:2] == [
        "joy",
        "anticipation",
    ]


def test_table_to_jsonl_to_table(write, tmp_path):
    src = write(
        "lyrics.csv",
        'song_id,artist,genre,lyrics\n1,"S (강타, 신혜성)","발라드, 댄스","첫 줄\n둘째 줄"\n2,윤슬,-,가사\n',
    )
    convert_file(src, tmp_path / "l.jsonl")
    plain = read_examples(tmp_path / "l.jsonl")
    assert plain.examples[0].fields == {"artist": "S (강타, 신혜성)"}
    assert [e.labels for e in plain.examples] == [("발라드", "댄스"), ()]
    convert_file(tmp_path / "l.jsonl", tmp_path / "l.tsv")
    table = read_examples(tmp_path / "l.tsv")
    assert table.examples == read_examples(src).examples
    assert table.options.label_col == "labels"


def test_test_files_convert_without_labels(write, nikl, tmp_path):
    src = write("test.jsonl", [nikl("t1", "라면 먹고 싶다.", ("라면", 0, 2), None)])
    convert_file(src, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()[0] == "id,text,target"
    convert_file(src, tmp_path / "t2.jsonl", to="nikl")
    assert json.loads((tmp_path / "t2.jsonl").read_text(encoding="utf-8"))["output"] == ""


def test_convert_argument_errors(write, tmp_path):
    src = write("a.csv", "text,label\n좋다,a\n")
    with pytest.raises(ValueError, match="not both"):
        convert_file(src, tmp_path / "b.jsonl", expand=True, collapse=True)
    with pytest.raises(ValueError, match="unknown target format"):
        convert_file(src, tmp_path / "b.jsonl", to="xml")
    assert convert_file(src, tmp_path / "b.jsonl", ReadOptions(label_col="label")) == 1
    assert read_examples(tmp_path / "b.jsonl").format == "jsonl"


@pytest.mark.parametrize(
    ("path", "to", "source", "expected"),
    [("o.csv", None, "nikl", "csv"), ("o.TSV", None, "jsonl", "tsv"), ("o.jsonl", None, "nikl", "nikl"),
     ("o.jsonl", None, "csv", "jsonl"), ("o.csv", "nikl", "csv", "nikl")],
)  # fmt: skip
def test_output_format(path, to, source, expected):
    assert output_format(path, to, source) == expected
