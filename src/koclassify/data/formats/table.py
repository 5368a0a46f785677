"""CSV and TSV tables: a text column plus a label column (one or several values per cell) or 0/1 label columns.

Cells are read with the ``csv`` module, so CSV-quoted multi-line cells (song lyrics) and quoted tabs work.
Column layout comes from ``ReadOptions``; what is not given is detected from the header names (``text``,
``document``, ``comments`` ... / ``label``, ``genre``, ``hate`` ...) or, for a headerless file with a
``label_names`` list (the KOTE layout), from the cells. Every other column is kept, as a string, in
``Example.fields``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from koclassify.data.dataset import Dataset, check_text, check_unique_ids
from koclassify.data.example import Example, Span
from koclassify.data.options import ReadOptions
from koclassify.errors import DataError

TEXT_NAMES = ("text", "document", "comments", "comment", "sentence", "lyrics", "lyric", "review", "content", "contents")
LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "emotion", "emotions", "genre", "genres", "hate")
ID_NAMES = ("id", "idx", "guid", "uid")
TARGET_NAMES = ("target", "aspect")
NO_LABEL = ("", "-")  # cells that mean 'no label applies'
TRUTHY = {"1", "1.0", "true", "yes", "y", "t"}
FALSY = {"0", "0.0", "false", "no", "n", "f", ""}
DEFAULT_SEP = ","
MAX_CELL_LINES = 100_000  # a quoted cell over more lines than this is an unclosed quote, not lyrics
_FIELD_LIMIT = 2**31 - 1  # lyrics cells exceed the csv module's 128 KiB default


@dataclass
class _Layout:
    text: str
    label: str | None
    label_cols: list[str] | None
    id: str | None
    target: str | None


def split_multi(cell: str, sep: str = DEFAULT_SEP) -> list[str]:
    """Split ``cell`` on ``sep`` outside brackets, strip each part, drop empty parts.

    ``"발라드, 국내드라마"`` -> ``["발라드", "국내드라마"]``; ``"S (강타, 신혜성), 원티드"`` ->
    ``["S (강타, 신혜성)", "원티드"]``: a group name with its members stays one value.
    """
    if not any(b in cell for b in "([{"):
        return [p.strip() for p in cell.split(sep) if p.strip()]
    parts, depth, start, i = [], 0, 0, 0
    while i < len(cell):
        char = cell[i]
        if char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        elif depth == 0 and cell.startswith(sep, i):
            parts.append(cell[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(cell[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_table(
    text: str,
    where: str,
    options: ReadOptions,
    *,
    label_names: Sequence[str] | None = None,
    need_labels: bool = True,
) -> Dataset:
    """Parse a CSV/TSV file's text. ``label_names``: the names that index-valued label cells point into."""
    delimiter = "\t" if options.format == "tsv" else csv_delimiter(text)
    fmt = options.format or ("tsv" if delimiter == "\t" else "csv")
    header, rows = _rows(text, where, delimiter, options.no_header)
    return parse_table_rows(header, rows, where, options, fmt=fmt, label_names=label_names, need_labels=need_labels)


def parse_table_rows(
    header: list[str],
    rows: list[tuple[int, list[str]]],
    where: str,
    options: ReadOptions,
    *,
    fmt: str,
    label_names: Sequence[str] | None = None,
    need_labels: bool = True,
    indices: Sequence[int] | None = None,
) -> Dataset:
    """Rows already split into cells -> a :class:`Dataset`; shared by CSV/TSV, Parquet and streamed chunks.

    ``rows`` are (line number, cells). ``indices``: each row's 0-based row number in its file (default 0, 1,
    ...), the id of a row when the file has no id column, so a streamed chunk gets the ids the whole file would.
    Columns not given in ``options`` are detected from these rows; a streaming reader passes the first chunk's
    resolved options on.
    """
    layout = _layout(header, rows, options, label_names, where, need_labels)
    label_cells = [cells[header.index(layout.label)] for _, cells in rows] if layout.label else []
    sep = options.label_sep
    if sep is None and layout.label and options.multi_label is not False:
        if label_names is not None or options.multi_label or any(DEFAULT_SEP in c for c in label_cells):
            sep = DEFAULT_SEP
    multi_label = options.multi_label
    if multi_label is None and (
        layout.label_cols or (sep is not None and any(len(split_multi(c, sep)) > 1 for c in label_cells))
    ):
        multi_label = True
    used = {c for c in (layout.text, layout.label, layout.id, layout.target, *(layout.label_cols or [])) if c}
    extra = [c for c in header if c not in used]
    label_field = layout.label or (layout.label_cols[0] if layout.label_cols else None)
    examples, lines, repairs = [], [], 0
    for index, (lineno, cells) in zip(indices if indices is not None else range(len(rows)), rows):
        row = dict(zip(header, cells, strict=True))
        arrow_type = getattr(row[layout.text], "arrow_type", None)  # a Parquet column of another type
        if arrow_type is not None:
            raise DataError(
                f"the text column holds {arrow_type} values, not strings; convert it to a string column",
                path=where, line=lineno, field=layout.text,
            )  # fmt: skip
        sentence, repaired = check_text(row[layout.text], where, lineno, layout.text, lenient=options.lenient)
        repairs += repaired
        if layout.label_cols:
            labels: tuple[str, ...] | None = _wide_labels(row, layout.label_cols, where, lineno)
        elif layout.label:
            labels = _cell_labels(row[layout.label], sep, label_names, where, lineno, layout.label)
        else:
            labels = None
        if multi_label is False and labels is not None and len(labels) != 1:
            raise DataError(
                f"{len(labels)} labels {list(labels)} but the task is multi-class",
                path=where,
                line=lineno,
                field=label_field,
            )
        row_id = row[layout.id].strip() if layout.id else str(index)
        if not row_id:
            raise DataError("empty id", path=where, line=lineno, field=layout.id)
        target = _target(row[layout.target], sentence) if layout.target else None
        examples.append(Example(row_id, sentence, target, labels, {c: row[c] for c in extra}))
        lines.append(lineno)
    check_unique_ids(examples, lines, where)
    resolved = options.merged(
        format=fmt,
        text_col=layout.text,
        label_col=layout.label,
        label_cols=layout.label_cols,
        label_sep=sep,
        multi_label=multi_label,
        id_col=layout.id,
        target_col=layout.target,
    )
    declared = tuple(label_names) if label_names is not None else tuple(layout.label_cols or ()) or None
    return Dataset(
        examples=examples,
        format=fmt,
        options=resolved,
        path=where,
        label_names=declared,
        repairs=repairs,
        fields=extra,
        lines=lines,
    )


def table_records(text: str, where: str, options: ReadOptions) -> tuple[list[str] | None, list[list[str]], str]:
    """Header (``None`` for ``no_header``), raw cells of every row in :func:`parse_table`'s order, and the delimiter:
    for writers that echo the input's own columns (``koclassify split``)."""
    delimiter = "\t" if options.format == "tsv" else csv_delimiter(text)
    header, rows = _rows(text, where, delimiter, options.no_header)
    return (None if options.no_header else header), [cells for _, cells in rows], delimiter


# ------------------------------------------------------------------------------------------ parsing
def csv_delimiter(text: str) -> str:
    """',' unless the first line has none of them but has ';', '|' or a tab."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    return next((d for d in (";", "|", "\t") if d in first), ",")


def _rows(text: str, where: str, delimiter: str, no_header: bool) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (first line number, cells) of every non-blank record; ragged rows are errors."""

    def end_check(first: int, last: int) -> None:
        check_closed_quotes(io.StringIO(text, newline=""), where, delimiter, first, last)

    records = list(iter_records(io.StringIO(text, newline=""), where, delimiter, end_check))
    if not records:
        raise DataError("the file has no rows", path=where)
    if no_header:
        header = column_numbers(records[0][1])
    else:
        header, records = check_header(records[0][1], where), records[1:]
        if not records:
            raise DataError("the file has a header but no rows", path=where)
    for lineno, cells in records:
        check_width(header, cells, where, lineno)
    return header, records


def iter_records(
    source: Iterable[str], where: str, delimiter: str, end_check: Callable[[int, int], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every non-blank record of ``source`` (a text or an open file, newline="").

    ``end_check(first, last)`` is called with the line span of the last record once the source is exhausted
    (:func:`check_closed_quotes`: an unclosed quote would have swallowed the rest of the file into that cell).
    """
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(source, delimiter=delimiter)
    start = 1
    last: int | None = None
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                last = start
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}", path=where, line=start) from None
    if last is not None and end_check is not None:
        end_check(last, reader.line_num)


def column_numbers(cells: list[str]) -> list[str]:
    """The header of a headerless table: 0, 1, 2 ..."""
    return [str(i) for i in range(len(cells))]


def check_header(cells: list[str], where: str) -> list[str]:
    header = [h.strip() for h in cells]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes or "" in header:
        raise DataError(f"header names must be unique and non-empty: {header}", path=where, line=1)
    return header


def check_width(header: list[str], cells: list[str], where: str, lineno: int) -> None:
    if len(cells) != len(header):
        raise DataError(
            f"expected {len(header)} columns {header}, got {len(cells)} (check the delimiter and quoting)",
            path=where,
            line=lineno,
        )


def check_closed_quotes(lines: Iterable[str], where: str, delimiter: str, first: int, last: int) -> None:
    """The last record must not be a quote left open that ran to the end of the file (the csv module would
    silently swallow every later line into one cell), nor a quoted cell spanning more than ``MAX_CELL_LINES``."""
    kind = "TSV" if delimiter == "\t" else "CSV"
    if last - first > MAX_CELL_LINES:
        raise DataError(
            f"a quoted cell runs over {last - first} lines: is a quote left open here? (close it, or double a "
            'literal " inside a quoted cell)',
            path=where,
            line=first,
        )
    tail = itertools.islice(lines, first - 1, None)  # the lines as csv counts them (opened with newline="")
    try:
        for _ in csv.reader(tail, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise DataError(
                f"malformed {kind}: a quote opened here is never closed (it would swallow the rest of the file)",
                path=where,
                line=first,
            ) from None


def _layout(
    header: list[str],
    rows: list[tuple[int, list[str]]],
    options: ReadOptions,
    label_names: Sequence[str] | None,
    where: str,
    need_labels: bool,
) -> _Layout:
    """Resolve every column role: given ones must exist; missing ones are detected or reported."""
    columns = f"columns are {header}"

    def given(ref: str | None, role: str, required: bool = True) -> str | None:
        if ref is None:
            return None
        col = _find(header, str(ref))
        if col is None and required:
            raise DataError(f"no {role} column {ref!r}; {columns}", path=where, field=role)
        return col

    label_cols = [c for c in (given(r, "label") for r in options.label_cols or []) if c] or None
    text = given(options.text_col, "text")
    label = None if label_cols else given(options.label_col, "label", required=need_labels)
    if options.no_header:
        text = text or _longest_column(header, rows, exclude={label})
        if label is None and not label_cols and options.label_col is None and label_names is not None:
            label = _index_column(header, rows, len(label_names), exclude={text})
    else:
        text = text or by_name(header, TEXT_NAMES)
        if label is None and not label_cols and options.label_col is None:
            label = by_name(header, LABEL_NAMES, exclude={text})
    if text is None:
        raise DataError(f"cannot tell which column holds the text; pass --text-col ({columns})", path=where)
    if label is None and not label_cols and need_labels:
        raise DataError(
            f"cannot tell which column holds the labels; pass --label-col or --label-cols ({columns})", path=where
        )
    used = {text, label, *(label_cols or [])}
    id_col = given(options.id_col, "id") or _id_column(header, rows, options.no_header, used)
    target = given(options.target_col, "target") or (
        None if options.no_header else by_name(header, TARGET_NAMES, exclude=used | {id_col})
    )
    return _Layout(text, label, label_cols, id_col, target)


def _find(header: list[str], ref: str) -> str | None:
    """A column by exact name, case-insensitive name, or 0-based index."""
    if ref in header:
        return ref
    lowered = {h.lower(): h for h in header}
    if ref.strip().lower() in lowered:
        return lowered[ref.strip().lower()]
    if ref.isdigit() and int(ref) < len(header):
        return header[int(ref)]
    return None


def by_name(header: list[str], names: Sequence[str], exclude: Collection[str | None] = ()) -> str | None:
    for name in names:
        col = _find(header, name)
        if col is not None and col not in exclude:
            return col
    return None


def _column(rows: list[tuple[int, list[str]]], header: list[str], col: str) -> list[str]:
    i = header.index(col)
    return [cells[i] for _, cells in rows]


def _longest_column(header: list[str], rows: list[tuple[int, list[str]]], exclude: set[str | None]) -> str | None:
    """Headerless: the text is the column with the longest cells on average."""
    candidates = [c for c in header if c not in exclude]
    if not candidates:
        return None
    return max(candidates, key=lambda c: sum(len(v) for v in _column(rows, header, c)))


def _index_column(
    header: list[str], rows: list[tuple[int, list[str]]], n_names: int, exclude: set[str | None]
) -> str | None:
    """Headerless with a label-names file: the last column whose every cell is a list of valid indices."""

    def is_indices(cell: str) -> bool:
        parts = split_multi(cell)
        return all(p.isdigit() and int(p) < n_names for p in parts)

    matches = [c for c in header if c not in exclude and all(is_indices(v) for v in _column(rows, header, c))]
    return matches[-1] if matches else None


def _id_column(
    header: list[str], rows: list[tuple[int, list[str]]], no_header: bool, used: set[str | None]
) -> str | None:
    """A column named ``id`` (``idx``, ``guid``, ``uid``) is the id column, whatever its cells hold: duplicates
    and empty cells are then errors, never a silent switch to row numbers. A ``*_id`` column (or a headerless
    first column) is taken only when its cells are non-empty, unique and without spaces."""
    named = None if no_header else by_name(header, ID_NAMES)
    if named is not None and named not in used:
        return named
    if no_header:
        candidates = [header[0]]
    else:
        candidates = [c for c in header if c.lower().endswith("_id")]
    for col in candidates:
        if col in used:
            continue
        values = [v.strip() for v in _column(rows, header, col)]
        if all(values) and len(set(values)) == len(values) and not any(" " in v for v in values):
            return col
    return None


def _cell_labels(
    cell: str, sep: str | None, label_names: Sequence[str] | None, where: str, lineno: int, col: str
) -> tuple[str, ...]:
    cell = cell.strip()
    if cell in NO_LABEL:
        return ()
    listed = _json_labels(cell)
    parts = (
        listed if listed is not None else [p for p in (split_multi(cell, sep) if sep else [cell]) if p not in NO_LABEL]
    )
    if label_names is not None:
        parts = [_label_name(p, label_names, where, lineno, col) for p in parts]
    return tuple(dict.fromkeys(parts))


def _json_labels(cell: str) -> list[str] | None:
    """A cell written as a JSON list of strings (how the writers keep a label holding the separator whole)."""
    if not (cell.startswith('["') and cell.endswith("]")):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    return None


def _label_name(part: str, names: Sequence[str], where: str, lineno: int, col: str) -> str:
    if part.isdigit():
        if int(part) < len(names):
            return names[int(part)]
        raise DataError(
            f"label index {part} is out of range: there are {len(names)} label names",
            path=where,
            line=lineno,
            field=col,
        )
    if part in names:
        return part
    raise DataError(
        f"label {part!r} is neither an index nor one of the label names", path=where, line=lineno, field=col
    )


def _wide_labels(row: dict[str, str], label_cols: list[str], where: str, lineno: int) -> tuple[str, ...]:
    labels = []
    for col in label_cols:
        value = row[col].strip().lower()
        if value in TRUTHY:
            labels.append(col)
        elif value not in FALSY:
            raise DataError(f"expected 0/1 (or true/false), got {row[col]!r}", path=where, line=lineno, field=col)
    return tuple(labels)


def _target(form: str, sentence: str) -> Span | None:
    """A target column holds only the form: offsets are its first occurrence, or unknown if it does not occur."""
    form = form.strip()
    if not form:
        return None
    begin = sentence.find(form)
    return Span(form, begin, begin + len(form)) if begin >= 0 else Span(form)
