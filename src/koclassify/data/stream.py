"""Reading a file chunk by chunk, so memory stays flat however long the file is.

The format is detected from the file's head (never by reading it twice). Each chunk is a :class:`Dataset` of
at most ``chunk_rows`` rows parsed by the same format modules as :func:`read_examples`, with the file's own
line numbers and row-number ids. A table's column layout is resolved on the first chunk and kept for the rest.
Ids must be unique across the whole file: each id's 64-bit hash is remembered (8 bytes a row), and a repeat is
confirmed by re-reading the file up to the first occurrence, so the error names both lines.

With ``errors`` (a list), a bad row does not stop the read: it is left out and its reason is appended as
``{"path", "line", "field", "error"}``. Without it, the first bad row raises :class:`DataError`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.dataset import Dataset, duplicate_id
from koclassify.data.formats.table import (
    check_closed_quotes,
    check_header,
    check_width,
    column_numbers,
    csv_delimiter,
    iter_records,
)
from koclassify.data.options import FORMATS, ReadOptions
from koclassify.data.ranges import Split, range_lines, table_header
from koclassify.data.read import sniff_format
from koclassify.data.text import decode_line, label_names, not_utf8
from koclassify.errors import DataError

CHUNK_ROWS = 10_000


def iter_chunks(
    path: str | Path,
    options: ReadOptions | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    need_labels: bool = False,
    errors: list[dict[str, Any]] | None = None,
    split: Split | None = None,
) -> Iterator[Dataset]:
    """Yield the rows of ``path`` as :class:`Dataset` chunks of at most ``chunk_rows`` rows, in file order.

    ``split``: read only that part of the file (see :mod:`koclassify.data.ranges`), with the whole file's line
    numbers and row-number ids; ids are then checked unique within the split.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    options = options or ReadOptions()
    fmt = options.format or sniff_format(path)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", path=str(path))
    options = options.merged(format=fmt)
    if split is not None and split.whole:
        split = None
    ids = _SeenIds(path, options, chunk_rows, need_labels, split)
    empty = True
    for chunk in _raw_chunks(path, options, chunk_rows, need_labels, errors, split):
        chunk = ids.check(chunk, errors)
        empty = False
        if len(chunk):
            yield chunk
    if empty:
        raise DataError("the file has no rows", path=str(path))


def _raw_chunks(
    path: str | Path,
    options: ReadOptions,
    chunk_rows: int,
    need_labels: bool,
    errors: list | None,
    split: Split | None = None,
) -> Iterator[Dataset]:
    if options.format in ("jsonl", "nikl"):
        yield from _json_chunks(path, options, chunk_rows, need_labels, errors, split)
    else:
        yield from _table_chunks(path, options, chunk_rows, need_labels, errors, split)


# ------------------------------------------------------------------------------------------- JSON lines
def _json_chunks(
    path: str | Path, options: ReadOptions, chunk_rows: int, need_labels: bool, errors: list | None, split: Split | None
) -> Iterator[Dataset]:
    from koclassify.data.formats.jsonl import parse_jsonl
    from koclassify.data.formats.nikl import parse_nikl

    where = str(path)

    def parse(lines: list[tuple[int, int, str]]) -> Dataset:
        text = "\n".join(line for _, _, line in lines)
        first_line, first_index = lines[0][0], lines[0][1]
        if options.format == "nikl":
            return parse_nikl(text, where, options, need_labels=need_labels, first_line=first_line)
        return parse_jsonl(
            text, where, options, need_labels=need_labels, first_line=first_line, first_index=first_index
        )

    pending: list[tuple[int, int, str]] = []  # (line number, row index, text)
    index = split.first_index if split else 0
    first = split.first_line if split else 1
    with contextlib.ExitStack() as stack:
        raws = range_lines(path, split) if split else stack.enter_context(open(path, "rb"))
        for lineno, raw in enumerate(raws, first):
            line = decode_line(raw, where, lineno)
            if not line.strip():
                continue
            pending.append((lineno, index, line.rstrip("\r\n")))
            index += 1
            if len(pending) >= chunk_rows:
                yield _parse_or_split(parse, pending, errors, where)
                pending = []
    if pending:
        yield _parse_or_split(parse, pending, errors, where)


# ------------------------------------------------------------------------------------------- tables
def _table_chunks(
    path: str | Path, options: ReadOptions, chunk_rows: int, need_labels: bool, errors: list | None, split: Split | None
) -> Iterator[Dataset]:
    from koclassify.data.formats.table import parse_table_rows

    where = str(path)
    names = label_names(options.label_names)
    resolved = options
    index = split.first_index if split else 0

    def parse(header: list[str], rows: list[tuple[int, int, list[str]]]) -> Dataset:
        return parse_table_rows(
            header,
            [(lineno, cells) for lineno, _, cells in rows],
            where,
            resolved,
            fmt=options.format or "csv",
            label_names=names,
            need_labels=need_labels,
            indices=[i for _, i, _ in rows],
        )

    for header, batch in _table_batches(path, options, chunk_rows, split):
        rows = [(lineno, index + i, cells) for i, (lineno, cells) in enumerate(batch)]
        index += len(rows)
        chunk = _parse_or_split(functools.partial(parse, header), rows, errors, where)
        if resolved is options and len(chunk):
            resolved = chunk.options  # the first chunk fixes the column layout for the rest
        yield chunk


def _table_batches(
    path: str | Path, options: ReadOptions, chunk_rows: int, split: Split | None = None
) -> Iterator[tuple[list[str], list[tuple[int, list[str]]]]]:
    """(header, rows) batches of CSV/TSV or Parquet, rows as (line number, cells)."""
    if options.format == "parquet":
        from koclassify.data.formats.parquet import iter_parquet_batches

        groups = (split.start, split.stop, split.first_index) if split else None
        yield from iter_parquet_batches(path, chunk_rows, groups)
        return
    if split is not None:
        yield from _split_table_batches(path, options, chunk_rows, split)
        return
    where = str(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            first_line = fh.readline()
            fh.seek(0)
            delimiter = "\t" if options.format == "tsv" else csv_delimiter(first_line)

            def end_check(first: int, last: int) -> None:  # an unclosed quote swallowing the rest of the file
                with open(path, encoding="utf-8-sig", newline="") as again:
                    check_closed_quotes(again, where, delimiter, first, last)

            records = iter_records(fh, where, delimiter, end_check)
            header: list[str] | None = None
            batch: list[tuple[int, list[str]]] = []
            count = 0
            for lineno, cells in records:
                if header is None:
                    if options.no_header:
                        header = column_numbers(cells)
                    else:
                        header = check_header(cells, where)
                        continue
                check_width(header, cells, where, lineno)
                batch.append((lineno, cells))
                count += 1
                if len(batch) >= chunk_rows:
                    yield header, batch
                    batch = []
        except UnicodeDecodeError as exc:
            raise not_utf8(exc.object, exc.start, where, offset=False) from None
    if header is None:
        raise DataError("the file has no rows", path=where)
    if not count:
        raise DataError("the file has a header but no rows", path=where)
    if batch:
        yield header, batch


def _split_table_batches(
    path: str | Path, options: ReadOptions, chunk_rows: int, split: Split
) -> Iterator[tuple[list[str], list[tuple[int, list[str]]]]]:
    """(header, rows) batches of one byte-range split of a CSV/TSV file: the header is the file's first record."""
    where = str(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        delimiter = "\t" if options.format == "tsv" else csv_delimiter(fh.readline())
    header: list[str] | None = None
    if not options.no_header:
        header = check_header(table_header(path, delimiter) or [], where)

    def text_lines() -> Iterator[str]:
        for lineno, raw in enumerate(range_lines(path, split), split.first_line):
            yield decode_line(raw, where, lineno)

    skip = split.first_line - 1  # the csv module counts lines from the split's start

    def end_check(first: int, last: int) -> None:  # an unclosed quote swallowing the rest of the split
        check_closed_quotes(text_lines(), where, delimiter, first, last)  # its line is shifted below

    batch: list[tuple[int, list[str]]] = []
    records = iter_records(text_lines(), where, delimiter, end_check)
    while True:
        try:
            lineno, cells = next(records)
        except StopIteration:
            break
        except DataError as exc:  # malformed CSV: the line as the file counts it
            raise DataError(exc.message, path=where, line=(exc.line or 1) + skip) from None
        lineno += skip
        if header is None:
            header = column_numbers(cells)
        check_width(header, cells, where, lineno)
        batch.append((lineno, cells))
        if len(batch) >= chunk_rows:
            yield header, batch
            batch = []
    if batch and header is not None:
        yield header, batch


# ------------------------------------------------------------------------------------------- shared
def _parse_or_split(parse: Callable[[list], Dataset], rows: list, errors: list | None, where: str) -> Dataset:
    """Parse a chunk; in lenient mode, on a bad row re-parse row by row and set the bad ones aside."""
    try:
        return parse(rows)
    except DataError as exc:
        if errors is None or exc.line is None:
            raise  # strict, or not a row's fault (a missing column): nothing to set aside
    good: list = []
    first_line: dict[str, int] = {}
    for row in rows:
        try:
            one = parse([row])
        except DataError as exc:
            if exc.line is None:
                raise
            errors.append(_reason(exc, where))
            continue
        row_id, line = one.ids[0], one.lines[0]
        if row_id in first_line:
            errors.append(_reason(duplicate_id(row_id, first_line[row_id], where, line), where))
            continue
        first_line[row_id] = line
        good.append(row)
    if not good:
        return Dataset(examples=[], format="", options=ReadOptions(), path=where)
    return parse(good)


def _reason(exc: DataError, where: str) -> dict[str, Any]:
    return {"path": exc.path or where, "line": exc.line, "field": exc.field, "error": str(exc)}


class _SeenIds:
    """Every id seen so far, as a sorted array of 64-bit hashes; a hit is confirmed by re-reading the file."""

    def __init__(
        self, path: str | Path, options: ReadOptions, chunk_rows: int, need_labels: bool, split: Split | None = None
    ) -> None:
        self.path, self.options, self.chunk_rows, self.need_labels = path, options, chunk_rows, need_labels
        self.split = split
        self.hashes = np.zeros(0, dtype=np.int64)

    def check(self, chunk: Dataset, errors: list | None) -> Dataset:
        if not len(chunk):
            return chunk
        keys = np.fromiter((hash(i) for i in chunk.ids), dtype=np.int64, count=len(chunk))
        hit = np.zeros(len(keys), dtype=bool)
        if len(self.hashes):
            pos = np.minimum(np.searchsorted(self.hashes, keys), len(self.hashes) - 1)
            hit = self.hashes[pos] == keys
        drop: set[int] = set()
        for i in np.flatnonzero(hit):
            first = self._first_line(chunk.ids[i], chunk.lines[i])
            if first is None:
                continue  # two ids with one hash: not a repeat
            exc = duplicate_id(chunk.ids[i], first, str(self.path), chunk.lines[i])
            if errors is None:
                raise exc
            errors.append(_reason(exc, str(self.path)))
            drop.add(int(i))
        ordered = np.sort(keys)
        self.hashes = np.insert(self.hashes, np.searchsorted(self.hashes, ordered), ordered)  # O(n) a chunk
        if drop:
            keep = [i for i in range(len(chunk)) if i not in drop]
            chunk = replace(
                chunk,
                examples=[chunk.examples[i] for i in keep],
                lines=[chunk.lines[i] for i in keep],
                records=[chunk.records[i] for i in keep] if chunk.records is not None else None,
            )
        return chunk

    def _first_line(self, row_id: str, before: int) -> int | None:
        """The line of the first row with ``row_id`` before line ``before``, re-reading the file from the top."""
        for chunk in _raw_chunks(self.path, self.options, self.chunk_rows, self.need_labels, [], self.split):
            for other, line in zip(chunk.ids, chunk.lines):
                if line >= before:
                    return None
                if other == row_id:
                    return line
        return None
