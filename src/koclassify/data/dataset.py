"""What reading a file gives (:class:`Dataset`) and the row checks every format shares: text cells, unique ids,
target spans, JSON lines. The format modules (``nikl``, ``jsonl``, ``table``, ``parquet``) import this module and
never :mod:`koclassify.data.read`, which imports them: each bad input is reported the same way in every format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from koclassify.data.example import Example, Span
from koclassify.data.options import ReadOptions
from koclassify.errors import DataError


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

    @classmethod
    def parsed(
        cls, examples: list[Example], lines: list[int], fmt: str, options: ReadOptions, where: str, **more: Any
    ) -> Dataset:
        """What a format module returns: ids checked unique (the same error in every format), the layout with
        the format filled in; ``more``: the other attributes (``records``, ``label_names``, ``repairs`` ...)."""
        check_unique_ids(examples, lines, where)
        return cls(examples=examples, format=fmt, options=options.merged(format=fmt), path=where, lines=lines, **more)

    @property
    def has_labels(self) -> bool:
        """True when every row carries gold labels (a training or evaluation file)."""
        return bool(self.examples) and all(ex.labels is not None for ex in self.examples)


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
            raise duplicate_id(ex.id, seen[ex.id], where, lineno)
        seen[ex.id] = lineno


def duplicate_id(row_id: str, first_line: int, where: str, line: int) -> DataError:
    """The error for a repeated id (whole-file and chunked reading alike)."""
    return DataError(
        f"duplicate id {row_id!r} (first on line {first_line}); ids must be unique", path=where, line=line, field="id"
    )


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


def resolve_target(
    text: str, target: dict[str, Any], *, where: str, lineno: int, row_id: str, lenient: bool
) -> tuple[Span, bool]:
    """:func:`resolve_span` of a ``{form, begin, end}`` object (NIKL's ``input.target``, a jsonl ``target``)."""
    return resolve_span(text, target.get("form"), target.get("begin"), target.get("end"), where=where,
                        lineno=lineno, row_id=row_id, lenient=lenient)  # fmt: skip


def _occurrences(text: str, form: str) -> list[int]:
    starts, i = [], text.find(form)
    while i != -1:
        starts.append(i)
        i = text.find(form, i + 1)
    return starts
