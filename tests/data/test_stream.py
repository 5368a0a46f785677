"""Streaming reads (chunk by chunk, same rows as a whole-file read) and Parquet in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples, sniff_format
from koclassify.data.stream import iter_chunks
from koclassify.errors import DataError
from koclassify.samples import SAMPLES, sample_path

pyarrow = pytest.importorskip("pyarrow")
pytest.importorskip("pyarrow.parquet")


def rows(dataset) -> list:
    return [(ex.id, ex.text, ex.target, ex.labels, ex.fields) for ex in dataset.examples]


@pytest.mark.parametrize("name", SAMPLES)
def test_chunks_give_the_rows_lines_and_layout_of_a_whole_read(name: str) -> None:
    whole = read_examples(sample_path(name), need_labels=False)
    chunks = list(iter_chunks(sample_path(name), chunk_rows=7))
    assert all(len(c) <= 7 for c in chunks) and len(chunks) == -(-len(whole) // 7)
    assert [r for c in chunks for r in rows(c)] == rows(whole)
    assert [line for c in chunks for line in c.lines] == whole.lines
    assert chunks[0].options == whole.options


def test_row_number_ids_continue_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text\n" + "".join(f"문장 {i}\n" for i in range(10)), encoding="utf-8")
    ids = [ex.id for c in iter_chunks(path, chunk_rows=3) for ex in c.examples]
    assert ids == [str(i) for i in range(10)]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_duplicate_id_in_a_later_chunk_names_both_lines(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"dup{suffix}"
    ids = ["a", "b", "c", "d", "b", "e"]
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps({"id": i, "text": f"문장 {i}"}) + "\n" for i in ids), encoding="utf-8")
        first, second = 2, 5
    else:
        path.write_text("id,text\n" + "".join(f"{i},문장 {i}\n" for i in ids), encoding="utf-8")
        first, second = 3, 6
    message = rf"dup{suffix}:{second}, field 'id': duplicate id 'b' \(first on line {first}\)"
    with pytest.raises(DataError, match=message):
        list(iter_chunks(path, chunk_rows=2))
    errors: list = []
    kept = [ex.id for c in iter_chunks(path, chunk_rows=2, errors=errors) for ex in c.examples]
    assert kept == ["a", "b", "c", "d", "e"] and [e["line"] for e in errors] == [second]


def test_lenient_sets_bad_rows_aside_with_file_line_field_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"id": str(i), "text": f"문장 {i}"}) for i in range(6)]
    lines[2] = '{"id": "2", "text": 5}'
    lines[4] = "{not json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.jsonl:3, field 'text'"):
        list(iter_chunks(path, chunk_rows=4))
    errors: list = []
    kept = [ex.id for c in iter_chunks(path, chunk_rows=4, errors=errors) for ex in c.examples]
    assert kept == ["0", "1", "3", "5"]
    assert [(e["path"], e["line"], e["field"]) for e in errors] == [(str(path), 3, "text"), (str(path), 5, None)]
    assert "invalid JSON" in errors[1]["error"]


def test_the_format_is_sniffed_from_the_head_only(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(json.dumps({"id": 1, "text": "가" * 100_000}).encode() + b"\n" + b"\xff" * 10)
    assert sniff_format(path) == "jsonl"  # the bad bytes after the head are not read
    parquet = tmp_path / "noext"
    pyarrow.parquet.write_table(pyarrow.table({"text": ["가"]}), parquet)
    assert sniff_format(parquet) == "parquet"


# ----------------------------------------------------------------------------------------- Parquet
def test_parquet_reads_like_csv_with_column_options(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    table = {"doc_id": [10, 11, 12], "body": ["좋아요", "싫어요", "그냥 그래요"], "tags": [["a"], ["a", "b"], []]}
    pyarrow.parquet.write_table(pyarrow.table(table), path)
    data = read_examples(path, ReadOptions(text_col="body", id_col="doc_id", label_col="tags"))
    assert data.format == "parquet" and data.options.multi_label
    assert [(ex.id, ex.text, ex.labels) for ex in data.examples] == [
        ("10", "좋아요", ("a",)), ("11", "싫어요", ("a", "b")), ("12", "그냥 그래요", ()),
    ]  # fmt: skip
    with pytest.raises(DataError, match=r"x.parquet, field 'text': no text column 'nope'"):
        read_examples(path, ReadOptions(text_col="nope"))
    streamed = [ex.id for c in iter_chunks(path, ReadOptions(text_col="body", id_col="doc_id"), chunk_rows=2)
                for ex in c.examples]  # fmt: skip
    assert streamed == ["10", "11", "12"]


def test_a_damaged_parquet_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="bad.parquet: not a readable Parquet file"):
        read_examples(path)


def test_convert_to_parquet_and_back_keeps_every_row(tmp_path: Path) -> None:
    from koclassify.data.convert import convert_file

    src = sample_path("lyrics_train.csv")
    n = convert_file(src, tmp_path / "x.parquet")
    back = read_examples(tmp_path / "x.parquet")
    assert n == len(back) == len(read_examples(src))
    assert rows(back) == rows(read_examples(src))


def test_an_unclosed_quote_is_caught_when_streaming_too(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('id,text\n1,좋아요\n2,"열린 따옴표\n3,나빠요\n4,그냥\n', encoding="utf-8")
    with pytest.raises(DataError, match="open.csv:3: malformed CSV: a quote opened here is never closed"):
        list(iter_chunks(path, chunk_rows=1))
