"""Parquet in and out (``pyarrow``, the ``parquet`` extra): how Ray, Spark and ``datasets`` users hold corpora.

A Parquet file is read as a table: its column names are the header, and the column options (``--text-col``,
``--label-col``, ``--id-col`` ...) and name detection work exactly as for CSV. Cells become strings the table
parser understands (a list of labels becomes one multi-label cell). In errors, "line" is the 1-based row number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from koclassify.data.dataset import Dataset
from koclassify.data.example import Example
from koclassify.data.options import ReadOptions
from koclassify.errors import DataError, MissingDependencyError

MAGIC = b"PAR1"
SUFFIXES = (".parquet", ".pq")
LIST_SEP = "\x1f"  # joins the items of a list cell; never in a label name


def pyarrow() -> Any:
    """The ``pyarrow`` module, or a one-line install hint."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet") from None
    return pyarrow


def is_parquet(path: str | Path, head: bytes) -> bool:
    return Path(path).suffix.lower() in SUFFIXES or head.startswith(MAGIC)


def open_parquet(path: str | Path) -> Any:
    """A ``pyarrow.parquet.ParquetFile``; a damaged or non-Parquet file is a :class:`DataError`."""
    pa = pyarrow()
    try:
        return pa.parquet.ParquetFile(str(path))
    except FileNotFoundError:
        raise DataError("no such file", path=str(path)) from None
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"not a readable Parquet file: {exc}", path=str(path)) from None


def iter_parquet_batches(
    path: str | Path, batch_rows: int, groups: tuple[int, int, int] | None = None
) -> Iterator[tuple[list[str], list[tuple[int, list[str]]]]]:
    """(header, [(row number, cells)]) per batch of at most ``batch_rows`` rows, cells as strings.

    ``groups``: (first row group, stop row group, row index of the first one's first row) to read only those.
    """
    pa = pyarrow()
    handle = open_parquet(path)
    header = list(handle.schema_arrow.names)
    row = groups[2] if groups else 0
    selected = list(range(groups[0], groups[1])) if groups else None
    try:
        for batch in handle.iter_batches(batch_size=batch_rows, row_groups=selected):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            types = [_not_text(batch.schema.field(i).type) for i in range(batch.num_columns)]
            cells = [[_typed(_cell(col[i]), t) for col, t in zip(columns, types)] for i in range(batch.num_rows)]
            yield header, [(row + i + 1, c) for i, c in enumerate(cells)]
            row += batch.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"damaged Parquet data after row {row}: {exc}", path=str(path), line=row + 1) from None


def list_columns(path: str | Path) -> set[str]:
    """Names of list-typed columns: a list of labels means a multi-label column."""
    pa = pyarrow()
    schema = open_parquet(path).schema_arrow
    return {f.name for f in schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)}


def parquet_options(path: str | Path, options: ReadOptions) -> ReadOptions:
    """A list-typed label column fixes the separator (and, unless given, makes the task multi-label)."""
    from koclassify.data.formats.table import LABEL_NAMES, by_name

    lists = list_columns(path)
    if not lists or options.label_sep is not None:
        return options.merged(format="parquet")
    header = list(open_parquet(path).schema_arrow.names)
    label = options.label_col or by_name(header, LABEL_NAMES)
    if label is None or label not in lists:
        return options.merged(format="parquet")
    multi = True if options.multi_label is None else options.multi_label
    return options.merged(format="parquet", label_sep=LIST_SEP, multi_label=multi)


def parse_parquet(path: str | Path, options: ReadOptions, *, need_labels: bool = True) -> Dataset:
    """Read a whole Parquet file into a :class:`Dataset` (column layout as for CSV)."""
    from koclassify.data.formats.table import parse_table_rows
    from koclassify.data.text import label_names

    options = parquet_options(path, options)
    header: list[str] = list(open_parquet(path).schema_arrow.names)
    rows: list[tuple[int, list[str]]] = []
    for _, batch in iter_parquet_batches(path, 65536):
        rows.extend(batch)
    if not rows:
        raise DataError("the file has no rows", path=str(path))
    names = label_names(options.label_names)
    dataset = parse_table_rows(
        header, rows, str(path), options, fmt="parquet", label_names=names, need_labels=need_labels
    )
    if names is not None:  # remember the names themselves, as for CSV
        dataset.options = dataset.options.merged(label_names=list(names))
    return dataset


class TypedCell(str):
    """A cell of a column that does not hold strings: the text column refuses it (``arrow_type`` names the type),
    other columns (ids, label indices, fields) read it as its string form."""

    arrow_type: str


def _not_text(arrow_type: Any) -> str | None:
    pa = pyarrow()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_null(arrow_type):
        return None
    return str(arrow_type)


def _typed(cell: str, arrow_type: str | None) -> str:
    if arrow_type is None:
        return cell
    typed = TypedCell(cell)
    typed.arrow_type = arrow_type
    return typed


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return LIST_SEP.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ------------------------------------------------------------------------------------------- writing
def prediction_schema(label_names: Sequence[str]) -> Any:
    """``id`` string, ``labels`` list of strings, ``probs`` a struct with one float64 per label."""
    pa = pyarrow()
    probs = pa.struct([pa.field(name, pa.float64()) for name in label_names])
    return pa.schema([("id", pa.string()), ("labels", pa.list_(pa.string())), ("probs", probs)])


def prediction_table(
    ids: Sequence[str], labels: Sequence[Sequence[str]], probs: Any, label_names: Sequence[str], schema: Any
) -> Any:
    pa = pyarrow()
    columns = [pa.array(probs[:, j], type=pa.float64()) for j in range(len(label_names))]
    struct = pa.StructArray.from_arrays(columns, fields=list(schema.field("probs").type))
    return pa.Table.from_arrays(
        [
            pa.array(list(ids), type=pa.string()),
            pa.array([list(x) for x in labels], type=pa.list_(pa.string())),
            struct,
        ],
        schema=schema,
    )


def write_examples_parquet(examples: Sequence[Example], path: str | Path) -> Path:
    """``id``, ``text``, ``target`` (if any row has one), ``label`` (one per row) or ``labels`` (lists), fields."""
    from koclassify.io import atomic_open

    pa = pyarrow()
    data: dict[str, list[Any]] = {"id": [ex.id for ex in examples], "text": [ex.text for ex in examples]}
    if any(ex.target is not None and ex.target.form for ex in examples):
        data["target"] = [(ex.target.form if ex.target is not None else None) for ex in examples]
    if any(ex.labels is not None for ex in examples):
        if all(ex.labels is not None and len(ex.labels) == 1 for ex in examples):
            data["label"] = [ex.labels[0] for ex in examples]  # type: ignore[index]
        else:
            data["labels"] = [list(ex.labels) if ex.labels is not None else None for ex in examples]
    for name in dict.fromkeys(k for ex in examples for k in ex.fields):
        if name in data:
            raise DataError(f"field {name!r} clashes with the output's own columns; rename it", path=str(path))
        values = [ex.fields.get(name) for ex in examples]
        if len({type(v) for v in values if v is not None}) > 1 or any(isinstance(v, (dict, list)) for v in values):
            values = [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                      for v in values]  # fmt: skip
        data[name] = values
    table = pa.table(data)
    with atomic_open(path, "wb") as fh:
        pa.parquet.write_table(table, fh)
    return Path(path)
