"""Writing predictions and datasets. Every writer is atomic (``koclassify.io.atomic_open``): a failure leaves
no file behind, and a reader never sees half a file. Prediction writers emit exactly one row per input id,
in input order, and refuse mismatched shapes or duplicate ids rather than write something misaligned.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.dataset import Dataset
from koclassify.data.example import Example
from koclassify.errors import DataError
from koclassify.io import atomic_open

KINDS = ("auto", "nikl", "probs", "csv", "parquet")
PARQUET_SUFFIXES = (".parquet", ".pq")
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}


def decisions_to_labels(decisions: np.ndarray, label_names: Sequence[str]) -> list[tuple[str, ...]]:
    """(n, L) 0/1 decisions -> the label names of each row, in ``label_names`` order."""
    decisions = np.asarray(decisions, dtype=bool)
    if decisions.ndim != 2 or decisions.shape[1] != len(label_names):
        raise ValueError(f"decisions have shape {decisions.shape}, expected (n, {len(label_names)})")
    memo: dict[tuple[bool, ...], tuple[str, ...]] = {}  # few distinct rows: each decoded once, not once a row
    out = []
    for row in map(tuple, decisions.tolist()):
        labels = memo.get(row)
        if labels is None:
            labels = memo[row] = tuple(name for name, on in zip(label_names, row) if on)
        out.append(labels)
    return out


# ----------------------------------------------------------------------------------- predictions
def write_nikl(dataset: Dataset, decisions: np.ndarray, label_names: Sequence[str], path: str | Path) -> Path:
    """The NIKL submission: every input record, same ids and order, ``input`` untouched, ``output`` filled."""
    with PredictionWriter(path, "nikl", label_names) as writer:
        writer.write(dataset, decisions, None)
    return Path(path)


def write_probs_jsonl(
    ids: Sequence[str],
    labels_per_row: Sequence[Sequence[str]],
    probs: np.ndarray,
    label_names: Sequence[str],
    path: str | Path,
) -> Path:
    """One ``{"id", "labels": [...], "probs": {label: p}}`` line per input row."""
    with PredictionWriter(path, "probs", label_names) as writer:
        writer.write_rows(ids, labels_per_row, probs)
    return Path(path)


def write_csv(
    ids: Sequence[str],
    labels_per_row: Sequence[Sequence[str]],
    probs: np.ndarray,
    label_names: Sequence[str],
    path: str | Path,
    *,
    label_sep: str = ", ",
    delimiter: str | None = None,
) -> Path:
    """Columns ``id``, ``labels`` (joined by ``label_sep``), then one probability column per label.

    The delimiter follows the extension (``.tsv``: tab) unless given.
    """
    with PredictionWriter(path, "csv", label_names, label_sep=label_sep, delimiter=delimiter) as writer:
        writer.write_rows(ids, labels_per_row, probs)
    return Path(path)


def write_predictions(
    dataset: Dataset,
    decisions: np.ndarray,
    probs: np.ndarray | None,
    label_names: Sequence[str],
    path: str | Path,
    kind: str = "auto",
) -> str:
    """Write predictions for ``dataset`` in the shape asked for; returns the kind written.

    ``auto``: a table for a ``.csv``/``.tsv`` path, Parquet for ``.parquet``, the NIKL submission for NIKL input,
    else probs jsonl.
    """
    kind = prediction_kind(path, kind, nikl_input=dataset.records is not None)
    with PredictionWriter(path, kind, label_names) as writer:
        writer.write(dataset, decisions, probs)
    return kind


def prediction_kind(path: str | Path, kind: str, *, nikl_input: bool) -> str:
    """Resolve ``auto`` from the output's extension and the input's format."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; choose one of {KINDS}")
    if kind != "auto":
        return kind
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "nikl" if nikl_input else "probs"


class PredictionWriter:
    """One prediction file written chunk by chunk, atomically: it appears, whole, only when the block ends well.

    ``write`` takes one chunk (a :class:`Dataset` and its decisions and probabilities) and appends its rows in
    order; memory holds one chunk at a time. Ids must differ across chunks too (the streaming reader checks).
    """

    def __init__(
        self,
        path: str | Path,
        kind: str,
        label_names: Sequence[str],
        *,
        top_k: int | None = None,
        label_sep: str = ", ",
        delimiter: str | None = None,
    ) -> None:
        if kind not in KINDS or kind == "auto":
            raise ValueError(f"unknown output kind {kind!r}; choose one of {KINDS[1:]}")
        if top_k is not None and kind != "probs":
            raise ValueError(f"top_k adds to probs jsonl rows; the {kind!r} output has no place for it")
        self.path, self.kind, self.label_names = Path(path), kind, list(label_names)
        self.top_k, self.label_sep, self.delimiter = top_k, label_sep, delimiter
        self.rows = 0
        self._stack: Any = None

    def __enter__(self) -> PredictionWriter:
        from contextlib import ExitStack

        if self.kind == "csv":
            clash = {"id", "labels"} & set(self.label_names)
            if clash:
                raise DataError(f"label names {sorted(clash)} clash with the id/labels columns; write jsonl instead")
        self._stack = ExitStack()
        try:
            self._fh = self._stack.enter_context(atomic_open(self.path, "wb" if self.kind == "parquet" else "w"))
            if self.kind == "csv":
                delimiter = self.delimiter or TABLE_SUFFIXES.get(self.path.suffix.lower(), ",")
                self._writerow = _table_writer(self._fh, delimiter)
                self._writerow(["id", "labels", *self.label_names])
            elif self.kind == "parquet":
                from koclassify.data.formats.parquet import prediction_schema, pyarrow

                self._schema = prediction_schema(self.label_names)
                self._parquet = pyarrow().parquet.ParquetWriter(self._fh, self._schema)
                self._stack.callback(self._parquet.close)  # runs before the atomic rename
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.__exit__(*exc_info)

    def write(self, dataset: Dataset, decisions: np.ndarray, probs: np.ndarray | None) -> None:
        """One chunk: the rows of ``dataset`` with their decisions (and probabilities, except for NIKL output)."""
        rows = decisions_to_labels(decisions, self.label_names)
        if self.kind != "nikl":
            if probs is None:
                raise ValueError(f"the {self.kind!r} output needs probabilities")
            self.write_rows(dataset.ids, rows, probs)
            return
        if dataset.records is None:
            raise DataError(
                f"NIKL output needs NIKL input; {dataset.path} was read as {dataset.format}", path=str(self.path)
            )
        _check_lengths(len(dataset.records), rows=len(rows))
        for record, labels in zip(dataset.records, rows, strict=True):
            out = dict(record)
            out["output"] = {name: "True" if name in labels else "False" for name in self.label_names}
            self._fh.write(json.dumps(out, ensure_ascii=False) + "\n")
        self.rows += len(rows)

    def write_rows(self, ids: Sequence[str], labels_per_row: Sequence[Sequence[str]], probs: np.ndarray) -> None:
        """One chunk of ids, their labels and probabilities (probs jsonl, CSV/TSV or Parquet output)."""
        if self.kind == "nikl":
            raise ValueError("NIKL output echoes its input records: write() it a dataset")
        probs = _check_probs(ids, labels_per_row, probs, self.label_names)
        if self.kind == "parquet":
            from koclassify.data.formats.parquet import prediction_table

            self._parquet.write_table(prediction_table(ids, labels_per_row, probs, self.label_names, self._schema))
        elif self.kind == "csv":
            for row_id, labels, row in zip(ids, labels_per_row, probs, strict=True):
                self._writerow([row_id, labels_cell(labels, self.label_sep), *(repr(float(p)) for p in row)])
        else:
            for row_id, labels, row in zip(ids, labels_per_row, probs, strict=True):
                scores = dict(zip(self.label_names, map(float, row), strict=True))
                obj: dict[str, Any] = {"id": row_id, "labels": list(labels), "probs": scores}
                if self.top_k is not None:
                    obj["top_k"] = [list(pair) for pair in top_labels(row, self.label_names, self.top_k)]
                self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.rows += len(labels_per_row)


def top_labels(row: np.ndarray, label_names: Sequence[str], k: int) -> list[tuple[str, float]]:
    """The ``k`` most probable labels of one row of probabilities, most probable first (ties: label order)."""
    order = np.argsort(-np.asarray(row, dtype=np.float64), kind="stable")[:k]
    return [(label_names[i], float(row[i])) for i in order]


def _check_lengths(n: int, **others: int) -> None:
    bad = {name: m for name, m in others.items() if m != n}
    if bad:
        raise ValueError(f"{n} input rows but {bad}: every input row needs exactly one prediction")


def _check_probs(
    ids: Sequence[str], labels_per_row: Sequence[Sequence[str]], probs: np.ndarray, label_names: Sequence[str]
) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(label_names):
        raise ValueError(f"probabilities have shape {probs.shape}, expected (n, {len(label_names)})")
    _check_lengths(len(ids), labels=len(labels_per_row), probs=len(probs))
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids: predictions would be ambiguous")
    if not np.isfinite(probs).all():
        raise ValueError("probabilities contain NaN or infinity")
    return probs


# --------------------------------------------------------------------------------------- datasets
def write_examples_jsonl(examples: Iterable[Example], path: str | Path) -> Path:
    """Plain jsonl: ``id``, ``text``, ``target`` (if any), ``labels`` (if gold), then the fields as keys."""
    with atomic_open(path) as fh:
        for ex in examples:
            obj: dict[str, Any] = {"id": ex.id, "text": ex.text}
            if ex.target is not None:
                obj["target"] = ex.target.to_json()
            if ex.labels is not None:
                obj["labels"] = list(ex.labels)
            obj.update(_fields(ex, ("id", "text", "target", "labels", "label")))
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return Path(path)


def write_examples_nikl(examples: Iterable[Example], label_names: Sequence[str], path: str | Path) -> Path:
    """NIKL jsonl: ``output`` over ``label_names`` (``""`` for rows without gold); fields as top-level keys."""
    names = list(label_names)
    with atomic_open(path) as fh:
        for ex in examples:
            if ex.labels is not None and set(ex.labels) - set(names):
                raise DataError(f"row id={ex.id!r}: labels {sorted(set(ex.labels) - set(names))} not in {names}")
            output: Any = "" if ex.labels is None else {n: str(n in ex.labels) for n in names}
            target = ex.target.to_json() if ex.target is not None else None
            obj = {"id": ex.id, "input": {"form": ex.text, "target": target}, "output": output}
            obj.update(_fields(ex, ("id", "input", "output")))
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return Path(path)


def write_examples_table(
    examples: Sequence[Example], path: str | Path, *, delimiter: str | None = None, label_sep: str = ", "
) -> Path:
    """CSV/TSV with ``id``, ``text``, ``target`` (if any row has one), ``label``/``labels``, then the fields.

    The label column is ``labels`` when any row has other than one label; it is left out when no row has gold.
    Non-string field values are written as JSON.
    """
    delimiter = delimiter or TABLE_SUFFIXES.get(Path(path).suffix.lower(), ",")
    has_target = any(ex.target is not None and ex.target.form for ex in examples)
    has_labels = any(ex.labels is not None for ex in examples)
    label_col = "label" if all(ex.labels is not None and len(ex.labels) == 1 for ex in examples) else "labels"
    header = ["id", "text"] + (["target"] if has_target else []) + ([label_col] if has_labels else [])
    field_names = list(dict.fromkeys(k for ex in examples for k in ex.fields))
    with atomic_open(path) as fh:
        writerow = _table_writer(fh, delimiter)
        writerow(header + field_names)
        for ex in examples:
            fields = _fields(ex, tuple(header))
            row = [ex.id, ex.text]
            if has_target:
                row.append((ex.target.form or "") if ex.target is not None else "")
            if has_labels:
                row.append(labels_cell(ex.labels or (), label_sep))
            row += [_cell(fields.get(name, "")) for name in field_names]
            writerow(row)
    return Path(path)


def labels_cell(labels: Sequence[str], label_sep: str = ", ") -> str:
    """The labels of one row as one table cell: joined by ``label_sep``, or a JSON list when a label holds the
    separator or starts like one (``"good, bad"`` must come back as one label, not two)."""
    sep = label_sep.strip() or label_sep
    if any(sep in label or label.lstrip().startswith("[") for label in labels):
        return json.dumps(list(labels), ensure_ascii=False)
    return label_sep.join(labels)


def _table_writer(fh: Any, delimiter: str) -> Any:
    """``writerow`` for CSV/TSV with ``\n`` line ends that also quotes a row whose cells hold a lone ``\r``
    (the csv module quotes only the line terminator's characters, and a reader would split the row there)."""
    minimal = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
    quoted = csv.writer(fh, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(row: Sequence[str]) -> None:
        (quoted if any("\r" in cell for cell in row) else minimal).writerow(row)

    return writerow


def _fields(ex: Example, reserved: tuple[str, ...]) -> dict[str, Any]:
    clash = set(ex.fields) & set(reserved)
    if clash:
        raise DataError(f"row id={ex.id!r}: field(s) {sorted(clash)} clash with the output's own keys; rename them")
    return ex.fields


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
