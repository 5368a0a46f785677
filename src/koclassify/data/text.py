"""A data file as text: opening it, UTF-8 decoding with one error that says where and what to do, label-name files.

Shared by the whole-file reader (:mod:`koclassify.data.read`), the chunked one (:mod:`koclassify.data.stream`)
and the format modules, so each of these errors is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from koclassify.errors import DataError

RESAVE = "re-save it as UTF-8, e.g. `iconv -f cp949 -t utf-8 IN > OUT`"


def not_utf8(raw: bytes, start: int, where: str, *, line: int | None = None, offset: bool = True) -> DataError:
    """The error for bytes that are not UTF-8 at ``start`` of ``raw`` (the file, its head, or one line).

    ``line``: the line number when ``raw`` is one line (else counted from ``raw``); ``offset=False`` when
    ``start`` is not an offset in the file (a line read on its own)."""
    at = f" at offset {start}" if offset else ""
    if line is None and offset:
        line = raw.count(b"\n", 0, start) + 1
    return DataError(f"not UTF-8 (byte 0x{raw[start]:02x}{at}); {RESAVE}", path=where, line=line)


def decode_line(raw: bytes, where: str, lineno: int) -> str:
    """One line of a file read line by line (the first may start with a byte-order mark)."""
    try:
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(raw, exc.start, where, line=lineno, offset=False) from None


HEAD_BYTES = 1 << 16


def read_head(path: str | Path) -> bytes:
    """The file's first bytes: at least one whole non-blank line (or all of a shorter file), for detection."""
    with readable(path), open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        while head.lstrip() and b"\n" not in head.lstrip() and len(head) < (64 << 20):
            more = fh.read(HEAD_BYTES)
            if not more:
                break
            head += more
    return head


@contextmanager
def readable(path: str | Path) -> Iterator[None]:
    """OS errors of opening or reading ``path`` as one-line :class:`DataError` s naming the file."""
    where = str(path)
    try:
        yield
    except FileNotFoundError:
        raise DataError("no such file", path=where) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a data file", path=where) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=where) from None


def read_text(path: str | Path) -> str:
    """The whole file as text. Non-UTF-8 and empty files are errors that say where and what to do."""
    where = str(path)
    with readable(path):
        raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_utf8(raw, exc.start, where) from None
    if not text.strip():
        raise DataError("the file is empty", path=where)
    return text


def label_names(value: str | list[str] | None) -> list[str] | None:
    """``ReadOptions.label_names`` is a file of names (given by the person) or the names (stored in a model)."""
    if value is None:
        return None
    return list(value) if isinstance(value, list) else read_label_names(value)


def read_label_names(path: str | Path) -> list[str]:
    """One label name per non-blank line (the KOTE ``labels.txt`` layout)."""
    names = [line.strip() for line in read_text(path).splitlines() if line.strip()]
    seen: dict[str, int] = {}
    for lineno, name in enumerate(names, 1):
        if name in seen:
            raise DataError(f"duplicate label name {name!r} (also line {seen[name]})", path=str(path), line=lineno)
        seen[name] = lineno
    return names
