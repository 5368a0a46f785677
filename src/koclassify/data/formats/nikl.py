"""NIKL (국립국어원) emotion-analysis JSON Lines: target-conditioned multi-label rows.

One object per line::

    {"id": "1", "input": {"form": "아 학교 가기 싫다.", "target": {"form": "학교", "begin": 2, "end": 4}},
     "output": {"joy": "False", ..., "sadness": "True"}}

Test files carry ``"output": ""`` (labels ``None``). A target whose form, begin and end are all null means
'the whole sentence' and becomes ``Span(None)``; a missing or null ``target`` becomes ``target=None``.
Label names are the ``output`` keys of the first labelled row, in file order. Top-level keys other than
``id``, ``input`` and ``output`` are kept in ``Example.fields`` (and echoed by the writer with the record).
"""

from __future__ import annotations

from typing import Any

from koclassify.data.dataset import Dataset, check_text, iter_json_lines, resolve_target
from koclassify.data.example import Example, Span
from koclassify.data.options import ReadOptions
from koclassify.errors import DataError

STRING_BOOLS = {"True": True, "False": False}
RESERVED = ("id", "input", "output")


def parse_nikl(
    text: str, where: str, options: ReadOptions, *, need_labels: bool = True, first_line: int = 1
) -> Dataset:
    """Parse NIKL JSON Lines; the raw objects are kept in ``Dataset.records`` for :func:`write_nikl`.

    ``first_line``: the number of the text's first line in its file, when it is one chunk of a streamed file.
    """
    examples: list[Example] = []
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    field_names: dict[str, None] = {}
    label_names: tuple[str, ...] | None = None
    repairs = 0
    for lineno, obj in iter_json_lines(text, where, first_line):
        row_id = _row_id(obj, where, lineno)
        inp = obj.get("input")
        if not isinstance(inp, dict):
            raise DataError(f"id {row_id!r}: 'input' must be an object", path=where, line=lineno, field="input")
        sentence, repaired = check_text(inp.get("form"), where, lineno, "input.form", lenient=options.lenient)
        target, span_repaired = _target(inp.get("target"), sentence, where, lineno, row_id, options.lenient)
        labels, label_names = _labels(obj.get("output"), label_names, where, lineno, row_id, need_labels)
        repairs += repaired or span_repaired
        extra = {k: v for k, v in obj.items() if k not in RESERVED}
        field_names.update(dict.fromkeys(extra))
        examples.append(Example(id=row_id, text=sentence, target=target, labels=labels, fields=extra))
        records.append(obj)
        lines.append(lineno)
    return Dataset.parsed(examples, lines, "nikl", options, where, records=records, label_names=label_names,
                          repairs=repairs, fields=list(field_names))  # fmt: skip


def _row_id(obj: dict[str, Any], where: str, lineno: int) -> str:
    row_id = obj.get("id")
    if isinstance(row_id, bool) or not isinstance(row_id, (str, int)) or str(row_id) == "":
        raise DataError("every row needs an 'id' (string or integer)", path=where, line=lineno, field="id")
    return str(row_id)


def _target(
    target: Any, sentence: str, where: str, lineno: int, row_id: str, lenient: bool
) -> tuple[Span | None, bool]:
    if target is None:
        return None, False
    if not isinstance(target, dict):
        raise DataError(f"id {row_id!r}: 'target' must be an object", path=where, line=lineno, field="input.target")
    return resolve_target(sentence, target, where=where, lineno=lineno, row_id=row_id, lenient=lenient)


def _labels(
    output: Any,
    names: tuple[str, ...] | None,
    where: str,
    lineno: int,
    row_id: str,
    need_labels: bool,
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """Labels of one row and the (possibly newly fixed) label order."""
    if output is None or output == "":
        if need_labels:
            raise DataError(
                f"id {row_id!r}: no gold labels (empty 'output': is this a test file?)",
                path=where,
                line=lineno,
                field="output",
            )
        return None, names
    if not isinstance(output, dict) or not output:
        raise DataError(
            f'id {row_id!r}: \'output\' must be an object of label: "True"/"False"',
            path=where,
            line=lineno,
            field="output",
        )
    if names is None:
        names = tuple(output)
    elif set(output) != set(names):
        raise DataError(
            f"id {row_id!r}: output labels {sorted(output)} differ from the first row's {sorted(names)}",
            path=where,
            line=lineno,
            field="output",
        )
    labels = []
    for name in names:
        value = output[name]
        if not isinstance(value, bool):
            if not isinstance(value, str) or value not in STRING_BOOLS:
                raise DataError(
                    f'id {row_id!r}: expected "True" or "False", got {value!r}',
                    path=where,
                    line=lineno,
                    field=f"output.{name}",
                )
            value = STRING_BOOLS[value]
        if value:
            labels.append(name)
    return tuple(labels), names
