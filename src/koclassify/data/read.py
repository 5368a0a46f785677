"""Reading any supported file into a :class:`Dataset`: format detection and the one dispatch to a format module.

Decoding lives in :mod:`koclassify.data.text`, the dataset and the row checks every format shares in
:mod:`koclassify.data.dataset`; the format modules (``nikl``, ``jsonl``, ``table``, ``parquet``) import those,
never this module, so reading has no import circle.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from koclassify.data.dataset import Dataset, parse_json_line
from koclassify.data.options import FORMATS, ReadOptions
from koclassify.data.text import label_names, not_utf8, read_head, read_label_names, read_text
from koclassify.errors import DataError

__all__ = ["Dataset", "detect_format", "read_examples", "read_label_names", "read_text", "sniff_format"]

JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
TABLE_SUFFIXES = {".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}


def read_examples(path: str | Path, options: ReadOptions | None = None, *, need_labels: bool = True) -> Dataset:
    """Read ``path`` into a :class:`Dataset`, detecting the format unless ``options.format`` is set.

    ``need_labels=False`` is for prediction inputs: a missing label column or an empty NIKL ``output``
    then gives ``labels=None`` instead of an error.
    """
    options = options or ReadOptions()
    where = str(path)
    if options.format == "parquet" or (options.format is None and sniff_format(path) == "parquet"):
        from koclassify.data.formats.parquet import parse_parquet

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
        from koclassify.data.formats.nikl import parse_nikl

        dataset = parse_nikl(text, where, resolved, need_labels=need_labels)
    elif fmt == "jsonl":
        from koclassify.data.formats.jsonl import parse_jsonl

        dataset = parse_jsonl(text, where, resolved, need_labels=need_labels)
    else:
        from koclassify.data.formats.table import parse_table

        names = label_names(resolved.label_names)
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


def sniff_format(path: str | Path, head: bytes | None = None) -> str:
    """The format of ``path`` from its name and first bytes only: the file is not read whole to detect it."""
    from koclassify.data.formats.parquet import is_parquet

    head = read_head(path) if head is None else head
    if is_parquet(path, head):
        return "parquet"
    if b"\n" in head.lstrip():
        head = head[: head.rindex(b"\n") + 1]  # whole lines only: the last one may be cut anywhere
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut in two by the end of the head
            raise not_utf8(head, exc.start, str(path)) from None
        text = head[: exc.start].decode("utf-8-sig")
    if not text.strip():
        raise DataError("the file is empty", path=str(path))
    return detect_format(path, text)


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
