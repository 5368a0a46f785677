"""Cutting one input file into splits, the units of parallel work, and reading one split.

A JSONL/NIKL/CSV/TSV file is cut into byte ranges that start and end on record boundaries: a split ends at the
first record end (a newline outside any quoted cell) at or after ``split_bytes`` bytes or ``split_rows`` rows, and
the next split starts right after it. The plan is made in one pass over the file by the same parser the reader
uses (the ``csv`` module for tables), so a quoted cell holding newlines is never cut, and each split knows the
file line number and row number of its first row (row-number ids and error lines are the whole file's). A
table's header is the file's first record: every split reads it from the top. A Parquet file is cut into runs of
whole row groups. A file that cannot be cut safely (a bare carriage return as a line end, bytes that are not
UTF-8) stays one split, and the plan says why.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from koclassify.options import Options, opt

BLOCK = 2**20  # bytes read at a time when hashing
FINGERPRINT_BYTES = 2**20  # head and tail hashed for a file's quick fingerprint


@dataclass
class SplitOptions(Options):
    """How big a unit of parallel work is: a split closes at whichever limit it reaches first."""

    owner: ClassVar[str] = "splits"

    split_rows: int = opt(100_000, min=1, help="rows per split (Parquet: whole row groups up to this many rows)")
    split_bytes: int = opt(64 * 2**20, min=1, help="bytes per split of a text file (JSONL, CSV, TSV)")


@dataclass(frozen=True)
class Split:
    """One unit of work: ``[start, stop)`` bytes of a text file, or row groups ``[start, stop)`` of a Parquet one.

    ``first_line`` / ``first_index``: the file line number and 0-based row number of the split's first row.
    ``sha256``: of the split's bytes (Parquet: of the whole file). ``number`` of ``count`` splits of its file.
    """

    path: str
    unit: str  # "bytes" or "row_groups"
    start: int
    stop: int
    first_line: int
    first_index: int
    rows: int
    sha256: str
    number: int = 0
    count: int = 1
    note: str = ""

    @property
    def whole(self) -> bool:
        """The split is the whole file (read as the plain file is)."""
        return self.count == 1

    def describe(self) -> str:
        """``FILE`` or ``FILE (bytes 0-1000, split 1 of 3)`` for messages."""
        if self.whole:
            return self.path
        what = "bytes" if self.unit == "bytes" else "row groups"
        return f"{self.path} ({what} {self.start}-{self.stop}, split {self.number + 1} of {self.count})"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Split:
        return cls(**data)


def plan_splits(
    path: str | Path, fmt: str, *, no_header: bool = False, options: SplitOptions | None = None
) -> list[Split]:
    """The splits of ``path`` (format ``fmt``), in file order; one pass over the file."""
    options = options or SplitOptions()
    path = str(path)
    if fmt == "parquet":
        return _parquet_splits(path, options)
    if fmt == "nikl":
        return [Split(path, "bytes", 0, os.path.getsize(path), 1, 0, 0, file_sha256(path), note="not cut: NIKL")]
    table = fmt in ("csv", "tsv")
    bounds, note = _text_bounds(path, fmt, table and not no_header, options)
    size = os.path.getsize(path)
    if note or len(bounds) <= 1:
        return [Split(path, "bytes", 0, size, 1, 0, bounds[0][3] if bounds else 0, file_sha256(path), note=note)]
    splits = []
    with open(path, "rb") as fh:
        for k, (start, line, index, rows) in enumerate(bounds):
            stop = bounds[k + 1][0] if k + 1 < len(bounds) else size
            digest = _hash_range(fh, start, stop)
            splits.append(Split(path, "bytes", start, stop, line, index, rows, digest, k, len(bounds)))
    return splits


def _text_bounds(
    path: str, fmt: str, header: bool, options: SplitOptions
) -> tuple[list[tuple[int, int, int, int]], str]:
    """(start byte, first line, first row index, rows) of each split, or a note saying why the file is not cut."""
    pos = line = 0  # bytes and lines consumed so far
    carriage = ""

    def lines(fh: Any) -> Iterator[str]:
        nonlocal pos, line, carriage
        for raw in fh:
            body = raw[:-2] if raw.endswith(b"\r\n") else raw.removesuffix(b"\n")
            if b"\r" in body:
                carriage = f"line {line + 1} ends with a bare carriage return"
            pos += len(raw)
            line += 1
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")

    bounds: list[tuple[int, int, int, int]] = []
    start, start_line, index, rows = 0, 1, 0, 0
    seen_header = not header
    try:
        with open(path, "rb") as fh:
            if fmt in ("csv", "tsv"):
                from koclassify.data.formats.table import csv_delimiter

                first = fh.readline().decode("utf-8-sig", errors="replace")
                fh.seek(0)
                delimiter = "\t" if fmt == "tsv" else csv_delimiter(first)
                records: Iterator[bool] = (any(c.strip() for c in cells) for cells in
                                           csv.reader(lines(fh), delimiter=delimiter))  # fmt: skip
            else:
                records = (bool(text.strip()) for text in lines(fh))
            for filled in records:
                if carriage:
                    return [], f"not cut: {carriage}"
                if not filled:
                    continue
                if not seen_header:
                    seen_header = True
                    start, start_line = pos, line + 1
                    continue
                rows += 1
                if rows >= options.split_rows or pos - start >= options.split_bytes:
                    bounds.append((start, start_line, index, rows))
                    start, start_line, index, rows = pos, line + 1, index + rows, 0
    except (UnicodeDecodeError, csv.Error) as exc:
        if carriage:
            return [], f"not cut: {carriage}"
        return [], f"not cut: unreadable near line {line} ({exc.__class__.__name__})"
    if rows:
        bounds.append((start, start_line, index, rows))
    return bounds, ""  # blank lines after the last row belong to the last split (it runs to the end)


def _parquet_splits(path: str, options: SplitOptions) -> list[Split]:
    from koclassify.data.formats.parquet import open_parquet

    meta = open_parquet(path).metadata
    groups: list[tuple[int, int, int, int]] = []  # (first group, stop group, first row, rows)
    first, rows, size, row = 0, 0, 0, 0
    for g in range(meta.num_row_groups):
        rows += meta.row_group(g).num_rows
        size += meta.row_group(g).total_byte_size
        if rows >= options.split_rows or size >= options.split_bytes:
            groups.append((first, g + 1, row, rows))
            first, row, rows, size = g + 1, row + rows, 0, 0
    if rows or not groups:
        groups.append((first, meta.num_row_groups, row, rows))
    digest = file_sha256(path)
    return [
        Split(path, "row_groups", a, b, r + 1, r, n, digest, k, len(groups)) for k, (a, b, r, n) in enumerate(groups)
    ]


# ------------------------------------------------------------------------------------------- reading
def range_lines(path: str | Path, split: Split) -> Iterator[bytes]:
    """The raw lines (with their newline) of a byte-range split."""
    with open(path, "rb") as fh:
        fh.seek(split.start)
        pos = split.start
        for raw in fh:
            if pos >= split.stop:
                break
            pos += len(raw)
            yield raw


def table_header(path: str | Path, delimiter: str) -> list[str] | None:
    """The first non-blank record of a table file: the header every split of it shares."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for cells in csv.reader(fh, delimiter=delimiter):
            if any(c.strip() for c in cells):
                return cells
    return None


# ------------------------------------------------------------------------------------------- hashing
def _hash_range(fh: Any, start: int, stop: int) -> str:
    digest = hashlib.sha256()
    fh.seek(start)
    left = stop - start
    while left > 0:
        block = fh.read(min(BLOCK, left))
        if not block:
            break
        digest.update(block)
        left -= len(block)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return _hash_range(fh, 0, os.fstat(fh.fileno()).st_size)


def fingerprint(path: str | Path) -> dict[str, Any]:
    """Size, modification time and the sha256 of the first and last MiB plus the size: a quick identity."""
    st = os.stat(path)
    digest = hashlib.sha256(str(st.st_size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(FINGERPRINT_BYTES))
        if st.st_size > FINGERPRINT_BYTES:
            fh.seek(max(FINGERPRINT_BYTES, st.st_size - FINGERPRINT_BYTES))
            digest.update(fh.read(FINGERPRINT_BYTES))
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "head_tail_sha256": digest.hexdigest()}


def tree_sha256(directory: str | Path) -> str:
    """One hash of a directory tree: sha256 over its files' sorted (relative path, size, sha256 of content)."""
    root = Path(directory)
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for p in files:
        rel = p.relative_to(root).as_posix()
        digest.update(f"{rel}\0{p.stat().st_size}\0{file_sha256(p)}\n".encode())
    return digest.hexdigest()
