"""Label probabilities made elsewhere (another model, the NIKL 2023 recipe's ``*_predict.json``, ``--probs`` output).

Accepted: a JSON list, or jsonl, of rows that are either ``{label: p, ...}`` (the NIKL 2023 recipe's files, percentages
0-100 allowed) or ``{"id": ..., "probs": {label: p, ...}}`` (what ``koclassify predict --probs`` writes).
Every row must name the same labels; the label order is the first row's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.dataset import iter_json_lines
from koclassify.data.text import read_text
from koclassify.errors import DataError

ROW_KEYS = frozenset({"id"})  # keys of a flat probabilities row that name the row, never a label


def read_probs(path: str | Path) -> tuple[list[str], np.ndarray]:
    """(label names, (n, L) float matrix in the file's own scale) from a probabilities file."""
    where = str(path)
    text = read_text(path)
    stripped = text.lstrip()
    if not stripped:
        raise DataError("the file is empty", path=where)
    rows: list[tuple[int, Any]]
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg}", path=where, line=exc.lineno) from None
        except (ValueError, RecursionError) as exc:  # huge integers, nesting too deep
            raise DataError(f"invalid JSON: {str(exc)[:120]}", path=where) from None
        if not isinstance(data, list):
            raise DataError("expected a JSON list of rows", path=where)
        rows = [(i + 1, row) for i, row in enumerate(data)]
        unit = "item"
    else:
        rows = list(iter_json_lines(text, where))
        unit = "line"
    names: list[str] | None = None
    matrix = []
    for number, row in rows:
        where_row = f"{where} ({unit} {number})" if unit == "item" else where
        line = number if unit == "line" else None
        probs = row.get("probs", row) if isinstance(row, dict) else None
        if probs is row and isinstance(row, dict) and ROW_KEYS & set(row):  # a flat row's id is not a label
            probs = {k: v for k, v in row.items() if k not in ROW_KEYS}
        if not isinstance(probs, dict) or not probs:
            raise DataError("expected an object of {label: probability}", path=where_row, line=line)
        if names is None:
            names = list(probs)
        elif set(probs) != set(names):
            missing, extra = sorted(set(names) - set(probs)), sorted(set(probs) - set(names))
            raise DataError(f"labels differ from the first row's (missing {missing}, extra {extra})",
                            path=where_row, line=line)  # fmt: skip
        values = []
        for name in names:
            value = probs[name]
            if isinstance(value, int) and not isinstance(value, bool):
                value = float(value) if abs(value) < 10**308 else math.inf  # float() of a huge int overflows
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise DataError(f"probability must be a finite number, got {value!r}", path=where_row, line=line,
                                field=name)  # fmt: skip
            values.append(float(value))
        matrix.append(values)
    if names is None:
        raise DataError("no rows", path=where)
    return names, np.asarray(matrix, dtype=np.float64)
