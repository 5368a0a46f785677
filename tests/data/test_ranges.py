"""Splits of one file (the units of Ray work): read split by split, a file gives exactly the rows, lines and
row-number ids of a whole-file read, whatever its line ends, quoting or trailing newline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from koclassify.data.options import ReadOptions
from koclassify.data.ranges import SplitOptions, fingerprint, plan_splits, tree_sha256
from koclassify.data.read import read_examples
from koclassify.data.stream import iter_chunks
from koclassify.errors import DataError
from koclassify.options import OptionError
from koclassify.samples import sample_path


def rows_by_split(path: Path, fmt: str, options: ReadOptions, **sizes: int) -> tuple[list, list]:
    splits = plan_splits(path, fmt, no_header=options.no_header, options=SplitOptions(**sizes))
    got = [[(ex.id, ex.text, line) for c in iter_chunks(path, options, chunk_rows=2, split=s)
            for ex, line in zip(c.examples, c.lines)] for s in splits]  # fmt: skip
    return splits, got


def whole(path: Path, options: ReadOptions) -> list:
    data = read_examples(path, options, need_labels=False)
    return [(ex.id, ex.text, line) for ex, line in zip(data.examples, data.lines)]


def assert_covers(splits: list, size: int) -> None:
    """Consecutive ranges, from the first record to the end of the file, each numbered k of n."""
    assert splits[-1].stop == size
    assert all(a.stop == b.start for a, b in zip(splits, splits[1:]))
    assert [(s.number, s.count) for s in splits] == [(k, len(splits)) for k in range(len(splits))]


def test_a_crlf_jsonl_without_trailing_newline_splits_into_the_rows_of_a_whole_read(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"문장 {i}", "label": "a"}, ensure_ascii=False) for i in range(11)]
    path = tmp_path / "crlf.jsonl"  # no id key: ids are row numbers, which must be the whole file's
    path.write_bytes(("\ufeff" + "\r\n".join(lines[:5]) + "\r\n\r\n  \r\n" + "\r\n".join(lines[5:])).encode())
    options = ReadOptions(format="jsonl")
    splits, got = rows_by_split(path, "jsonl", options, split_rows=3)
    assert len(splits) == 4 and [len(g) for g in got] == [3, 3, 3, 2]
    assert_covers(splits, path.stat().st_size)
    assert [r for g in got for r in g] == whole(path, options)
    assert [r[0] for g in got for r in g] == [str(i) for i in range(11)]


def test_a_split_ends_at_the_first_record_end_at_or_after_its_size(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i:02d}", "text": "가" * 10}) + "\n" for i in range(20)))
    line_bytes = len(path.read_bytes()) // 20
    splits, got = rows_by_split(path, "jsonl", ReadOptions(format="jsonl"), split_bytes=line_bytes * 4 + 1)
    assert [len(g) for g in got] == [5, 5, 5, 5]  # 4 lines and one byte: the 5th line is finished first
    assert all(path.read_bytes()[s.start - 1 : s.start] == b"\n" for s in splits[1:])


def test_a_csv_with_quoted_cells_over_several_lines_is_never_cut_inside_them(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(b'id,text\r\n1,"first\r\nsecond\r\nthird"\r\n2,plain\r\n3,"say ""hi""\nthere"\n\n4,"x,y"\n5,last')
    options = ReadOptions(format="csv", text_col="text", id_col="id")
    splits, got = rows_by_split(path, "csv", options, split_rows=1)
    assert [g[0][0] for g in got] == ["1", "2", "3", "4", "5"]
    assert [r for g in got for r in g] == whole(path, options)
    assert got[0][0][1] == "first\r\nsecond\r\nthird" and got[2][0][1] == 'say "hi"\nthere'
    assert splits[0].start == len(b"id,text\r\n")  # the header is read by every split from the top
    assert_covers(splits, path.stat().st_size)


def test_a_tsv_without_header_and_a_sample_file_match_a_whole_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.tsv"
    path.write_text("".join(f"r{i}\t문장 {i}\tpos\n" for i in range(9)), encoding="utf-8")
    options = ReadOptions(format="tsv", no_header=True, text_col="1", id_col="0")
    splits, got = rows_by_split(path, "tsv", options, split_rows=4)
    assert [len(g) for g in got] == [4, 4, 1] and [r for g in got for r in g] == whole(path, options)
    sample = sample_path("lyrics_dev.csv")  # long quoted lyrics, many lines each
    layout = read_examples(sample, need_labels=False).options
    splits, got = rows_by_split(sample, "csv", layout, split_bytes=4_000)
    assert len(splits) > 2 and [r for g in got for r in g] == whole(sample, layout)


def test_files_that_cannot_be_cut_safely_stay_one_split_and_say_why(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,text\r1,a\r2,b\r3,c\r")
    (only,) = plan_splits(path, "csv", options=SplitOptions(split_rows=1))
    assert only.whole and "bare carriage return" in only.note
    assert [ex.id for c in iter_chunks(path, split=only) for ex in c.examples] == ["1", "2", "3"]
    nikl = sample_path("nikl_test.jsonl")
    assert plan_splits(nikl, "nikl", options=SplitOptions(split_rows=1))[0].note == "not cut: NIKL"


def test_a_bad_row_in_a_later_split_is_named_by_its_file_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('id,text\n1,a\n2,"b\nc"\n3,d\n4,"e\n', encoding="utf-8")
    splits = plan_splits(path, "csv", options=SplitOptions(split_rows=2))
    assert len(splits) == 2
    with pytest.raises(DataError, match=r"bad.csv:6: malformed CSV: a quote opened here is never closed"):
        list(iter_chunks(path, ReadOptions(format="csv"), split=splits[1]))


def test_parquet_is_cut_into_runs_of_whole_row_groups(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    path = tmp_path / "groups.parquet"
    table = pa.table({"id": [f"r{i}" for i in range(10)], "text": [f"문장 {i}" for i in range(10)]})
    pq.write_table(table, path, row_group_size=3)  # groups of 3, 3, 3, 1
    options = ReadOptions(format="parquet", text_col="text", id_col="id")
    splits, got = rows_by_split(path, "parquet", options, split_rows=5)
    assert [(s.unit, s.start, s.stop) for s in splits] == [("row_groups", 0, 2), ("row_groups", 2, 4)]
    assert [len(g) for g in got] == [6, 4] and [r for g in got for r in g] == whole(path, options)


def test_split_sizes_are_checked_and_fingerprints_see_changes(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="split_rows"):
        SplitOptions(split_rows=0)
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 3_000_000)
    before = fingerprint(path)
    path.write_bytes(b"x" * 2_999_999 + b"y")  # same size, last byte changed
    assert fingerprint(path)["head_tail_sha256"] != before["head_tail_sha256"]
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "w.bin").write_bytes(b"1")
    first = tree_sha256(tmp_path / "m")
    (tmp_path / "m" / "w.bin").write_bytes(b"2")
    assert tree_sha256(tmp_path / "m") != first
