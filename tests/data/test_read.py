"""read_examples: decoding, format detection and the errors every format shares."""

from __future__ import annotations

import pytest

from koclassify.data.options import ReadOptions
from koclassify.data.read import detect_format, read_examples, read_label_names
from koclassify.errors import DataError


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.jsonl", '{"id": "1", "input": {"form": "좋다", "target": null}, "output": ""}\n', "nikl"),
        ("a.json", '{"id": "1", "text": "좋다", "label": "긍정"}\n', "jsonl"),
        ("a.txt", '\n{"text": "좋다", "label": "긍정"}\n', "jsonl"),
        ("a.tsv", "text\tlabel\n좋다\t긍정\n", "tsv"),
        ("a.csv", "text,label\n좋다,긍정\n", "csv"),
        ("a.dat", "text\tlabel\n좋다\t긍정\n", "tsv"),
        ("a", "text;label\n좋다;긍정\n", "csv"),
    ],
)
def test_detect_format(write, name, content, expected):
    path = write(name, content)
    assert detect_format(path, content) == expected
    assert read_examples(path, need_labels=False).format == expected


def test_format_option_overrides_the_extension(write):
    path = write("data.txt", "text\tlabel\n좋다\t긍정\n싫다\t부정\n")
    dataset = read_examples(path, ReadOptions(format="tsv"))
    assert [ex.labels for ex in dataset.examples] == [("긍정",), ("부정",)]
    assert dataset.options.format == "tsv"


def test_unknown_format_option_is_rejected():
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        ReadOptions(format="xml")


def test_undetectable_format_names_the_file(write):
    path = write("notes", "그냥 한 줄짜리 글\n")
    with pytest.raises(DataError, match="notes.*pass --format"):
        read_examples(path)


def test_json_without_known_keys_lists_them(write):
    path = write("a.jsonl", '{"sentence": "좋다", "y": 1}\n')
    with pytest.raises(DataError, match=r"a.jsonl:1.*\['sentence', 'y'\]"):
        read_examples(path)


def test_json_array_is_explained(write):
    path = write("a.json", '[{"text": "좋다"}]')
    with pytest.raises(DataError, match="JSON array"):
        read_examples(path)


def test_non_utf8_file_names_line_and_fix(write):
    path = write("cp949.tsv", b"text\tlabel\n" + "좋다\t긍정\n".encode("cp949"))
    with pytest.raises(DataError, match=r"cp949.tsv:2.*not UTF-8.*iconv") as info:
        read_examples(path)
    assert info.value.line == 2


def test_utf8_bom_is_accepted(write):
    path = write("bom.csv", "\ufefftext,label\n좋다,긍정\n".encode())
    assert read_examples(path).options.text_col == "text"


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_file(write, content):
    with pytest.raises(DataError, match="empty.jsonl: the file is empty"):
        read_examples(write("empty.jsonl", content))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_examples(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_examples(tmp_path)


def test_label_names_file_rejects_duplicates(write):
    assert read_label_names(write("labels.txt", "기쁨\n\n슬픔\n")) == ["기쁨", "슬픔"]
    with pytest.raises(DataError, match=r"labels.txt:3.*duplicate label name '기쁨'"):
        read_label_names(write("labels.txt", "기쁨\n슬픔\n기쁨\n"))
