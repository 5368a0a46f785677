"""Reshaping data: one row per true label and back, and converting files between formats.

``expand_per_label`` is the training expansion of the NIKL label-token recipe (a row with joy and trust
becomes two rows, one per emotion) and of the lyrics recipe (a song with two genres becomes two instances).
``collapse_per_label`` undoes it. ``convert_file`` is the whole ``koclassify convert`` command in one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from koclassify.data.example import Example
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.data.writers import TABLE_SUFFIXES, write_examples_jsonl, write_examples_nikl, write_examples_table
from koclassify.errors import DataError

SOURCE_ID = "source_id"
ID_SEP = "#"
TARGETS = ("nikl", "jsonl", "csv", "tsv", "parquet")


def expand_per_label(examples: Iterable[Example]) -> list[Example]:
    """One row per true label, id ``"<id>#<label>"``, the original id in ``fields["source_id"]``.

    Rows without gold (``None``) or with no label (``()``) stay one row, id unchanged, so nothing is lost.
    """
    out: list[Example] = []
    for ex in examples:
        if SOURCE_ID in ex.fields:
            raise DataError(f"row id={ex.id!r} already has a {SOURCE_ID!r} field: is it expanded already?")
        fields = {**ex.fields, SOURCE_ID: ex.id}
        if not ex.labels:
            out.append(replace(ex, fields=fields))
            continue
        out.extend(replace(ex, id=f"{ex.id}{ID_SEP}{label}", labels=(label,), fields=fields) for label in ex.labels)
    return out


def collapse_per_label(examples: Iterable[Example]) -> list[Example]:
    """Group rows by ``fields["source_id"]`` (or the id) back into label sets, in order of first appearance.

    Rows of one group must agree on text and target; their labels are united in order of first appearance.
    """
    groups: dict[str, list[Example]] = {}
    for ex in examples:
        groups.setdefault(str(ex.fields.get(SOURCE_ID, ex.id)), []).append(ex)
    out = []
    for source_id, rows in groups.items():
        first = rows[0]
        for other in rows[1:]:
            if (other.text, other.target) != (first.text, first.target):
                raise DataError(f"rows {first.id!r} and {other.id!r} share source id {source_id!r} but differ in text")
        gold = [ex.labels for ex in rows if ex.labels is not None]
        labels = tuple(dict.fromkeys(lab for labs in gold for lab in labs)) if gold else None
        fields = {k: v for k, v in first.fields.items() if k != SOURCE_ID}
        out.append(replace(first, id=source_id, labels=labels, fields=fields))
    return out


def output_format(path: str | Path, to: str | None, source_format: str) -> str:
    """``to`` if given, else from the extension: ``.csv``/``.tsv`` tables, ``.parquet``, JSON lines in the source's
    flavour."""
    if to is not None:
        if to not in TARGETS:
            raise ValueError(f"unknown target format {to!r}; choose one of {TARGETS}")
        return to
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return "tsv" if suffix == ".tsv" else "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "nikl" if source_format == "nikl" else "jsonl"


def convert_file(
    src: str | Path,
    dst: str | Path,
    options: ReadOptions | None = None,
    *,
    to: str | None = None,
    expand: bool = False,
    collapse: bool = False,
    label_names: Sequence[str] | None = None,
) -> int:
    """Read ``src`` (any format, labels optional), optionally expand or collapse, write ``dst`` as ``to``.

    Returns the number of rows written. ``label_names`` fixes the NIKL ``output`` keys; by default the
    source's declared order (NIKL keys, a label-names file, wide columns), else the order labels first appear.
    """
    if expand and collapse:
        raise ValueError("choose --expand or --collapse, not both")
    dataset = read_examples(src, options, need_labels=False)
    examples = dataset.examples
    if expand:
        examples = expand_per_label(examples)
    elif collapse:
        examples = collapse_per_label(examples)
    fmt = output_format(dst, to, dataset.format)
    if fmt == "nikl":
        names = label_names or dataset.label_names or _first_seen(examples)
        write_examples_nikl(examples, names, dst)
    elif fmt == "jsonl":
        write_examples_jsonl(examples, dst)
    elif fmt == "parquet":
        from koclassify.data.formats.parquet import write_examples_parquet

        write_examples_parquet(examples, dst)
    else:
        write_examples_table(examples, dst, delimiter="\t" if fmt == "tsv" else ",")
    return len(examples)


def _first_seen(examples: Iterable[Example]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lab for ex in examples for lab in ex.labels or ()))
