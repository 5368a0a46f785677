"""Properties over every reader and writer (hypothesis): whatever rows a writer is given, reading its file back
gives the same rows; whatever bytes a reader is given, it returns rows or raises a KoclassifyError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koclassify.data import read_examples
from koclassify.data.example import Example
from koclassify.data.options import ReadOptions
from koclassify.data.probs import read_probs
from koclassify.data.writers import (
    write_examples_jsonl,
    write_examples_nikl,
    write_examples_table,
    write_probs_jsonl,
)
from koclassify.errors import KoclassifyError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# any Unicode text, with line ends of every kind
chars = st.characters(codec="utf-8")  # every encodable character: lone surrogates are refused, tested elsewhere
texts = st.text(st.one_of(chars, st.sampled_from(["\r", "\n", '"', ",", "\t", "\u2028"])),
                min_size=1, max_size=40).filter(str.strip)  # fmt: skip
ids = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")), min_size=1, max_size=8)
label_words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=6)


@st.composite
def datasets(draw: st.DrawFn, max_labels: int = 3) -> list[Example]:
    names = draw(st.lists(label_words, min_size=1, max_size=4, unique=True))
    row_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    rows = []
    for row_id in row_ids:
        labels = draw(st.lists(st.sampled_from(names), max_size=max_labels, unique=True))
        note = draw(st.text(chars, max_size=10))
        rows.append(Example(row_id, draw(texts), labels=tuple(labels), fields={"note": note}))
    return rows


def _same(read: list[Example], written: list[Example], *, fields: bool = True) -> None:
    assert [e.id for e in read] == [e.id for e in written]
    assert [e.text for e in read] == [e.text for e in written]
    assert [tuple(e.labels or ()) for e in read] == [e.labels for e in written]
    if fields:
        assert [e.fields.get("note") for e in read] == [e.fields["note"] for e in written]


@SETTINGS
@given(rows=datasets())
def test_jsonl_writer_round_trips(rows: list[Example]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_examples_jsonl(rows, Path(tmp) / "d.jsonl")
        _same(read_examples(path).examples, rows)


@SETTINGS
@given(rows=datasets(), suffix=st.sampled_from([".csv", ".tsv"]))
def test_table_writers_round_trip(rows: list[Example], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_examples_table(rows, Path(tmp) / f"d{suffix}")
        multi = any(len(r.labels or ()) != 1 for r in rows)
        read = read_examples(path, ReadOptions(multi_label=multi or None)).examples
        _same(read, rows)


@SETTINGS
@given(rows=datasets())
def test_nikl_writer_round_trips(rows: list[Example]) -> None:
    names = sorted({lab for r in rows for lab in r.labels or ()}) or ["x"]
    rows = [Example(r.id, r.text, labels=r.labels) for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_examples_nikl(rows, names, Path(tmp) / "d.jsonl")
        read = read_examples(path).examples
        assert [e.id for e in read] == [e.id for e in rows]
        assert [e.text for e in read] == [e.text for e in rows]
        assert [set(e.labels or ()) for e in read] == [set(r.labels or ()) for r in rows]


@SETTINGS
@given(rows=datasets(), data=st.data())
def test_probability_writer_round_trips(rows: list[Example], data: st.DataObject) -> None:
    names = sorted({lab for r in rows for lab in r.labels or ()}) or ["x"]
    floats = st.floats(0, 1, allow_nan=False)
    probs = np.array([[data.draw(floats) for _ in names] for _ in rows])
    with tempfile.TemporaryDirectory() as tmp:
        path = write_probs_jsonl([r.id for r in rows], [r.labels or () for r in rows], probs, names, Path(tmp) / "p")
        got_names, got = read_probs(path)
        assert got_names == names
        np.testing.assert_array_equal(got, probs)


def _read_any(raw: bytes, suffix: str, fmt: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"d{suffix}"
        path.write_bytes(raw)
        for need_labels in (True, False):
            try:
                dataset = read_examples(path, ReadOptions(format=fmt), need_labels=need_labels)
            except KoclassifyError:
                continue
            assert all(isinstance(ex.text, str) and isinstance(ex.id, str) for ex in dataset.examples)
        try:
            read_probs(path)
        except KoclassifyError:
            pass


# bytes shaped like our formats get further into the parsers than uniform noise
structured = st.lists(
    st.one_of(
        st.sampled_from(
            [
                '{"text": ',
                '"',
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\\ud800",
                "\\u",
                "1e400",
                "-",
                "\n",
                "\r",
                "\t",
                "id",
                "label",
                "text",
                "input",
                "form",
                "target",
                "output",
                '"True"',
                "null",
                " ",
                "9" * 20,
                "NaN",
            ]
        ),  # fmt: skip
        st.text(chars, max_size=5),
    ),
    max_size=40,
).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(raw=st.one_of(st.binary(max_size=200), structured),
       where=st.sampled_from([(".csv", None), (".tsv", None), (".jsonl", None), (".txt", "nikl"), (".txt", "jsonl"),
                              (".txt", "csv"), (".dat", None)]))  # fmt: skip
def test_any_bytes_give_rows_or_a_clean_error(raw: bytes, where: tuple[str, str | None]) -> None:
    _read_any(raw, *where)


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "a\\ud800", "label": "x"}\n', b'id,label,text\n1,a,"b\n', b"\xef\xbb\xbf", b"\x00" * 10, b"\r\r\r"],
)
def test_known_hostile_bytes(raw: bytes) -> None:
    for where in ((".csv", None), (".jsonl", None), (".txt", "nikl")):
        _read_any(raw, *where)
