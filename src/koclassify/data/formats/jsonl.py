"""Plain JSON Lines: ``{"id": ..., "text": ..., "labels": [...]}`` or ``"label": "x"`` per line.

Optional ``"target"`` is a form string (offsets found in the text) or a ``{"form", "begin", "end"}`` object
checked like NIKL. Any other key is kept, value untouched, in ``Example.fields``. ``options.text_col``,
``label_col`` and ``id_col`` rename the text, label and id keys.
"""

from __future__ import annotations

from typing import Any

from koclassify.data.dataset import Dataset, check_text, iter_json_lines, resolve_target
from koclassify.data.example import Example, Span
from koclassify.data.options import ReadOptions
from koclassify.errors import DataError

TARGET_KEY = "target"


def parse_jsonl(
    text: str, where: str, options: ReadOptions, *, need_labels: bool = True, first_line: int = 1, first_index: int = 0
) -> Dataset:
    """Parse plain JSON Lines into a :class:`Dataset` (no ``records``: predictions are written as probs).

    ``first_line`` / ``first_index``: where the text starts in its file, when it is one chunk of a streamed file
    (line numbers in errors, and the row-number ids of rows without an id, stay those of the whole file).
    """
    text_key = options.text_col or "text"
    id_key = options.id_col or "id"
    label_keys = (options.label_col,) if options.label_col else ("labels", "label")
    examples: list[Example] = []
    lines: list[int] = []
    field_names: dict[str, None] = {}
    repairs = 0
    for index, (lineno, obj) in enumerate(iter_json_lines(text, where, first_line), first_index):
        if text_key not in obj:
            raise DataError(f"no {text_key!r} key; keys are {sorted(obj)}", path=where, line=lineno, field=text_key)
        sentence, repaired = check_text(obj[text_key], where, lineno, text_key, lenient=options.lenient)
        row_id = _row_id(obj.get(id_key, index), where, lineno, id_key)
        target, span_repaired = _target(obj.get(TARGET_KEY), sentence, where, lineno, row_id, options.lenient)
        labels = _labels(obj, label_keys, where, lineno, need_labels)
        if options.multi_label is False and labels is not None and len(labels) != 1:
            raise DataError(
                f"{len(labels)} labels {list(labels)} but the task is multi-class",
                path=where,
                line=lineno,
                field=label_keys[0],
            )
        extra = {k: v for k, v in obj.items() if k not in (text_key, id_key, TARGET_KEY, *label_keys)}
        field_names.update(dict.fromkeys(extra))
        repairs += repaired or span_repaired
        examples.append(Example(id=row_id, text=sentence, target=target, labels=labels, fields=extra))
        lines.append(lineno)
    return Dataset.parsed(examples, lines, "jsonl", options, where, repairs=repairs, fields=list(field_names))


def _row_id(value: Any, where: str, lineno: int, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise DataError(
            f"id must be a non-empty string or an integer, got {value!r}", path=where, line=lineno, field=key
        )
    return str(value)


def _target(value: Any, sentence: str, where: str, lineno: int, row_id: str, lenient: bool) -> tuple[Span | None, bool]:
    if value is None:
        return None, False
    if isinstance(value, str):
        if not value:
            return None, False
        begin = sentence.find(value)
        return (Span(value, begin, begin + len(value)) if begin >= 0 else Span(value)), False
    if isinstance(value, dict):
        return resolve_target(sentence, value, where=where, lineno=lineno, row_id=row_id, lenient=lenient)
    raise DataError("target must be a string or a {form, begin, end} object", path=where, line=lineno, field=TARGET_KEY)


def _labels(
    obj: dict[str, Any], keys: tuple[str, ...], where: str, lineno: int, need_labels: bool
) -> tuple[str, ...] | None:
    present = [k for k in keys if k in obj and obj[k] is not None]
    if len(present) > 1:
        raise DataError(
            "give either 'labels' (a list) or 'label' (one value), not both", path=where, line=lineno, field="labels"
        )
    if not present:
        if need_labels:
            raise DataError(f"no gold labels (expected one of {list(keys)})", path=where, line=lineno, field=keys[0])
        return None
    key = present[0]
    value = obj[key]
    items = value if isinstance(value, list) else [value]
    labels: dict[str, None] = {}
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise DataError(f"labels must be strings, got {item!r}", path=where, line=lineno, field=key)
        if str(item).strip() not in ("", "-"):
            labels[str(item).strip()] = None
    return tuple(labels)
