"""One home for what every reader reports (issue 21): the UTF-8 error and the duplicate-id error are written
once (data/text.py, data/dataset.py), and whole-file and chunked reading say the same thing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from koclassify.data.read import read_examples
from koclassify.data.stream import iter_chunks
from koclassify.errors import DataError

DATA = Path(__file__).resolve().parents[2] / "src" / "koclassify" / "data"


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


@pytest.mark.parametrize("text,home", [("not UTF-8", "text.py"), ("duplicate id", "dataset.py")])
def test_each_error_text_is_written_once(text: str, home: str) -> None:
    # f-strings keep their literal parts as constants, so a copy anywhere in data/ is found
    readers = [p for p in DATA.rglob("*.py") if p.name != "writers.py"]  # its guard is about output, not a file
    assert sorted(p.name for p in readers if any(text in s for s in _strings(p))) == [home]


def test_formats_import_the_shared_checks_not_the_reader() -> None:
    for name in ("jsonl.py", "nikl.py", "table.py", "parquet.py"):
        imported = [n.module for n in ast.walk(ast.parse((DATA / "formats" / name).read_text(encoding="utf-8")))
                    if isinstance(n, ast.ImportFrom)]  # fmt: skip
        assert "koclassify.data.read" not in imported, name


@pytest.mark.parametrize("suffix,content", [
    (".jsonl", '{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"id": "a", "text": "z"}\n'),
    (".csv", "id,text\na,x\nb,y\na,z\n"),
])  # fmt: skip
def test_whole_file_and_chunked_reading_report_a_repeated_id_alike(tmp_path: Path, suffix: str, content: str) -> None:
    path = tmp_path / f"dup{suffix}"
    path.write_text(content, encoding="utf-8")
    messages = []
    for read in (lambda: read_examples(path, need_labels=False), lambda: list(iter_chunks(path, chunk_rows=1))):
        with pytest.raises(DataError) as info:
            read()
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "duplicate id 'a'" in messages[0] and "ids must be unique" in messages[0]


def test_whole_file_and_chunked_reading_report_bad_bytes_alike(tmp_path: Path) -> None:
    path = tmp_path / "cp949.jsonl"
    path.write_bytes(b'{"id": "a", "text": "x"}\n' + '{"id": "b", "text": "정말"}\n'.encode("cp949"))
    messages = []
    for read in (lambda: read_examples(path, need_labels=False), lambda: list(iter_chunks(path, chunk_rows=1))):
        with pytest.raises(DataError) as info:
            read()
        messages.append(str(info.value))
    assert all("cp949.jsonl:2" in m and "not UTF-8" in m and "iconv -f cp949" in m for m in messages), messages
