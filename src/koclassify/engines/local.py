"""Predicting a whole file in one process with flat memory: read a chunk, predict it, append it to the output.

This is what ``koclassify predict`` runs, and what every Ray worker runs on each shard. The output file is
written atomically (whole, or not at all), in input order, one row per id; ids are checked unique across the
whole file. With ``errors_path``, bad input rows are set aside there (one JSON line each, with the file, line,
field and reason) instead of stopping the run, so nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koclassify.data.example import Example
from koclassify.data.options import ReadOptions
from koclassify.data.ranges import Split
from koclassify.data.read import sniff_format
from koclassify.data.stream import CHUNK_ROWS, iter_chunks
from koclassify.data.writers import PredictionWriter, prediction_kind
from koclassify.io import atomic_open, discard

PREVIEW_ROWS = 5


@dataclass
class PredictResult:
    """What one file's prediction did: rows written, output kind, rows set aside, and a few rows to show."""

    rows: int
    kind: str
    errors: int = 0
    preview: list[tuple[Example, tuple[str, ...]]] = field(default_factory=list)


def predict_file(
    clf: Any,
    source: str | Path,
    out: str | Path,
    options: ReadOptions | None = None,
    *,
    kind: str = "auto",
    chunk_rows: int = CHUNK_ROWS,
    errors_path: str | Path | None = None,
    on_chunk: Callable[[int], None] | None = None,
    top_k: int | None = None,
    split: Split | None = None,
) -> PredictResult:
    """Classify ``source`` with the loaded ``clf`` into ``out``, ``chunk_rows`` rows at a time.

    ``errors_path``: where bad rows go (lenient); ``None`` makes the first bad row an error. ``on_chunk`` is
    called with each chunk's row count (progress). ``top_k``: jsonl rows also list the K most probable labels.
    ``split``: only that part of ``source`` (a Ray work unit).
    """
    options = options or ReadOptions()
    fmt = options.format or sniff_format(source)
    options = options.merged(format=fmt)
    kind = prediction_kind(out, kind, nikl_input=fmt == "nikl")
    names = list(clf.labels_.names)
    errors: list[dict[str, Any]] | None = [] if errors_path is not None else None
    result = PredictResult(rows=0, kind=kind)
    with PredictionWriter(out, kind, names, top_k=top_k) as writer:
        for chunk in iter_chunks(source, options, chunk_rows=chunk_rows, need_labels=False, errors=errors, split=split):
            probs = clf.predict_proba(chunk.examples)
            decisions = clf.decide(probs)
            writer.write(chunk, decisions, probs)
            if len(result.preview) < PREVIEW_ROWS:
                for ex, row in list(zip(chunk.examples, decisions))[: PREVIEW_ROWS - len(result.preview)]:
                    result.preview.append((ex, tuple(n for n, on in zip(names, row) if on)))
            if on_chunk is not None:
                on_chunk(len(chunk))
        result.rows = writer.rows
    if errors_path is not None:
        write_errors(errors or [], errors_path)
        result.errors = len(errors or [])
    return result


def write_errors(errors: list[dict[str, Any]], path: str | Path) -> None:
    """The rows set aside, one JSON object a line; no file (and no stale one) when there are none."""
    import json

    path = Path(path)
    if not errors:
        discard(path)
        return
    with atomic_open(path) as fh:
        for reason in errors:
            fh.write(json.dumps(reason, ensure_ascii=False) + "\n")
