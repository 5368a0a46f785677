"""Reading any supported file into a :class:`Dataset`: decoding, format detection, dispatch, shared row checks.

The format modules (``nikl``, ``table``, ``jsonl``) parse already-decoded text; everything they have in
common (UTF-8 decoding with a useful error, empty-text and duplicate-id checks, target-span validation and
repair, JSON-lines iteration) lives here so every format reports bad input the same way.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koclassify.data.example import Example, Span
from koclassify.data.options import FORMATS, ReadOptions
from koclassify.errors import DataError

JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
TABLE_SUFFIXES = {".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}


@dataclass
class Dataset:
    """Examples read from one file, plus what is needed to write results back in the same shape.

    Attributes:
        examples: one :class:`Example` per input row, in file order.
        format: the format actually read (one of ``FORMATS``).
        options: the resolved layout (format and columns filled in) so a model directory can remember it.
        path: the file read.
        records: the raw parsed rows for formats whose writer echoes the input (NIKL); ``None`` otherwise.
        label_names: the label order the file itself declares (NIKL output keys, a ``label_names`` file,
            wide ``label_cols``); ``None`` when labels are only known from the rows.
        repairs: how many rows ``options.lenient`` repaired (target offsets, empty texts kept).
        fields: names of the extra columns/keys kept in ``Example.fields``, in file order.
        lines: the line (Parquet: row) number of each example, for errors found after parsing.
    """

    examples: list[Example]
    format: str
    options: ReadOptions
    path: str
    records: list[dict[str, Any]] | None = None
    label_names: tuple[str, ...] | None = None
    repairs: int = 0
    fields: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def ids(self) -> list[str]:
        return [ex.id for ex in self.examples]

    @property
    def has_labels(self) -> bool:
        """True when every row carries gold labels (a training or evaluation file)."""
        return bool(self.examples) and all(ex.labels is not None for ex in self.examples)


def read_examples(path: str | Path, options: ReadOptions | None = None, *, need_labels: bool = True) -> Dataset:
    """Read ``path`` into a :class:`Dataset`, detecting the format unless ``options.format`` is set.

    ``need_labels=False`` is for prediction inputs: a missing label column or an empty NIKL ``output``
    then gives ``labels=None`` instead of an error.
    """
    options = options or ReadOptions()
    where = str(path)
    if options.format == "parquet" or (options.format is None and sniff_format(path) == "parquet"):
        from koclassify.data.parquet import parse_parquet

        return _warn_repairs(parse_parquet(path, options, need_labels=need_labels))
    text = read_text(path)
    fmt = options.format or detect_format(path, text)
    if fmt not in FORMATS:  # options validate themselves; this guards hand-built ones
        raise DataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", path=where)
    resolved = options.merged(format=fmt)
    if fmt in ("nikl", "jsonl") and options.label_names is not None:
        raise DataError(
            f"--label-names maps label indices in CSV/TSV/Parquet cells; a {fmt} file names its labels itself "
            "(leave --label-names out)",
            path=where,
        )
    if fmt == "nikl":
        from koclassify.data.nikl import parse_nikl

        dataset = parse_nikl(text, where, resolved, need_labels=need_labels)
    elif fmt == "jsonl":
        from koclassify.data.jsonl import parse_jsonl

        dataset = parse_jsonl(text, where, resolved, need_labels=need_labels)
    else:
        from koclassify.data.table import parse_table

        names = _label_names(resolved.label_names)
        dataset = parse_table(text, where, resolved, label_names=names, need_labels=need_labels)
        if names is not None:  # remember the names themselves: a path means nothing from another directory
            dataset.options = dataset.options.merged(label_names=list(names))
    return _warn_repairs(dataset)


def _warn_repairs(dataset: Dataset) -> Dataset:
    if dataset.repairs:
        warnings.warn(
            f"{dataset.path}: --lenient repaired or kept {dataset.repairs} imperfect row(s) (target offsets, "
            "empty texts)",
            UserWarning,
            stacklevel=3,
        )
    return dataset


HEAD_BYTES = 1 << 16


def read_head(path: str | Path) -> bytes:
    """The file's first bytes: at least one whole non-blank line (or all of a shorter file), for detection."""
    with _readable(path), open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        while head.lstrip() and b"\n" not in head.lstrip() and len(head) < (64 << 20):
            more = fh.read(HEAD_BYTES)
            if not more:
                break
            head += more
    return head


@contextmanager
def _readable(path: str | Path) -> Iterator[None]:
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


def sniff_format(path: str | Path, head: bytes | None = None) -> str:
    """The format of ``path`` from its name and first bytes only: the file is not read whole to detect it."""
    from koclassify.data.parquet import is_parquet

    head = read_head(path) if head is None else head
    if is_parquet(path, head):
        return "parquet"
    if b"\n" in head.lstrip():
        head = head[: head.rindex(b"\n") + 1]  # whole lines only: the last one may be cut anywhere
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut in two by the end of the head
            line = head.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"not UTF-8 (byte 0x{head[exc.start]:02x} at offset {exc.start}); "
                "re-save it as UTF-8, e.g. `iconv -f cp949 -t utf-8 IN > OUT`",
                path=str(path),
                line=line,
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    if not text.strip():
        raise DataError("the file is empty", path=str(path))
    return detect_format(path, text)


def read_text(path: str | Path) -> str:
    """The whole file as text. Non-UTF-8 and empty files are errors that say where and what to do."""
    where = str(path)
    with _readable(path):
        raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8, e.g. `iconv -f cp949 -t utf-8 IN > OUT`",
            path=where,
            line=line,
        ) from None
    if not text.strip():
        raise DataError("the file is empty", path=where)
    return text


def _label_names(value: str | list[str] | None) -> list[str] | None:
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


def detect_format(path: str | Path, text: str) -> str:
    """Pick a format from the extension, then from the content (JSON keys, a sniffed delimiter)."""
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return TABLE_SUFFIXES[suffix]
    first_line, first = next(((n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()), (1, ""))
    if suffix in JSON_SUFFIXES or first.lstrip().startswith(("{", "[")):
        return _detect_json(str(path), first_line, first)
    header = first.rstrip("\r")
    if "\t" in header:
        return "tsv"
    if any(d in header for d in ",;|"):
        return "csv"
    raise DataError(
        "cannot tell the format from the name or the content; pass --format (nikl, jsonl, csv, tsv or parquet)",
        path=str(path),
    )


def _detect_json(where: str, lineno: int, line: str) -> str:
    if line.lstrip().startswith("["):
        raise DataError("this is a JSON array; koclassify reads JSON Lines (one object per line)", path=where)
    obj = parse_json_line(line, where, lineno)
    inp = obj.get("input")
    if isinstance(inp, dict) and "form" in inp:
        return "nikl"
    if "text" in obj:
        return "jsonl"
    raise DataError(
        f"JSON object with keys {sorted(obj)}: expected 'text' (jsonl) or 'input.form' (NIKL); "
        "for another text key pass --format jsonl --text-col KEY",
        path=where,
        line=lineno,
    )


# ---------------------------------------------------------------- shared by the format modules
def parse_json_line(line: str, where: str, lineno: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=where, line=lineno) from None
    except (ValueError, RecursionError) as exc:  # integers past Python's digit limit, nesting too deep
        raise DataError(f"invalid JSON: {str(exc)[:120]}", path=where, line=lineno) from None
    if not isinstance(obj, dict):
        raise DataError(f"expected a JSON object, got {type(obj).__name__}", path=where, line=lineno)
    if "\\u" in line and _SURROGATE_ESCAPE.search(line):
        check_unicode(obj, where, lineno)
    return obj


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def check_unicode(obj: Any, where: str, lineno: int | None) -> None:
    """JSON escapes can spell lone surrogates (``"\\ud800"``), which are not text: no tokenizer, writer or HTTP
    response can encode them. Refuse them where they are read."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise DataError(
            f"holds {bad!r}, a lone surrogate (not valid Unicode); fix the JSON escape", path=where, line=lineno
        ) from None


def iter_json_lines(text: str, where: str, first_line: int = 1) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line. Splits on newlines only: JSON strings may hold U+2028.

    ``first_line``: the number of the text's first line in its file (a chunk of a streamed file).
    """
    for lineno, line in enumerate(text.split("\n"), first_line):
        if line.strip():
            yield lineno, parse_json_line(line, where, lineno)


def check_text(value: Any, where: str, lineno: int | None, field_name: str, *, lenient: bool) -> tuple[str, bool]:
    """Validate a text cell: a string, non-blank unless ``lenient``. Returns (text, was_repaired)."""
    if not isinstance(value, str):
        raise DataError(f"text must be a string, got {type(value).__name__}", path=where, line=lineno, field=field_name)
    if value.strip():
        return value, False
    if lenient:
        return value, True
    raise DataError("empty text (use --lenient to keep such rows)", path=where, line=lineno, field=field_name)


def check_unique_ids(examples: list[Example], lines: list[int], where: str) -> None:
    """Predictions are keyed by id, so two rows with one id would make the output ambiguous."""
    seen: dict[str, int] = {}
    for ex, lineno in zip(examples, lines, strict=True):
        if ex.id in seen:
            raise DataError(
                f"duplicate id {ex.id!r} (first on line {seen[ex.id]}); ids must be unique",
                path=where,
                line=lineno,
                field="id",
            )
        seen[ex.id] = lineno


def resolve_span(
    text: str,
    form: Any,
    begin: Any,
    end: Any,
    *,
    where: str,
    lineno: int,
    row_id: str,
    lenient: bool,
) -> tuple[Span, bool]:
    """Check ``text[begin:end] == form``; with ``lenient`` repair it to the occurrence nearest ``begin``.

    All three ``None`` is the whole-sentence target, ``Span(None)``. Returns (span, was_repaired).
    """
    if form is None:
        if begin is None and end is None:
            return Span(None), False
        raise DataError(f"id {row_id!r}: target has offsets but no form", path=where, line=lineno, field="target.form")
    if not isinstance(form, str) or not form:
        raise DataError(
            f"id {row_id!r}: target form must be a non-empty string", path=where, line=lineno, field="target.form"
        )
    for name, value in (("begin", begin), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise DataError(
                f"id {row_id!r}: offset must be an integer, got {value!r}",
                path=where,
                line=lineno,
                field=f"target.{name}",
            )
    if begin is not None and end is not None and 0 <= begin <= end and text[begin:end] == form:
        return Span(form, begin, end), False
    found = text[begin:end] if begin is not None and end is not None else None
    if not lenient:
        raise DataError(
            f"id {row_id!r}: target form {form!r} != text[{begin}:{end}] = {found!r} (use --lenient to repair)",
            path=where,
            line=lineno,
            field="target",
        )
    starts = _occurrences(text, form)
    if not starts:
        raise DataError(
            f"id {row_id!r}: target form {form!r} does not occur in the text", path=where, line=lineno, field="target"
        )
    anchor = begin if begin is not None else 0
    start = min(starts, key=lambda s: (abs(s - anchor), s))
    return Span(form, start, start + len(form)), True


def _occurrences(text: str, form: str) -> list[int]:
    starts, i = [], text.find(form)
    while i != -1:
        starts.append(i)
        i = text.find(form, i + 1)
    return starts
