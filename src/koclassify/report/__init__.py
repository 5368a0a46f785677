"""An evaluation report of a fitted classifier on labelled data: one HTML page with PNG plots.

>>> from koclassify.report import write_report
>>> write_report(clf, dev_examples, "report/", title="NIKL dev")   # doctest: +SKIP
PosixPath('report/index.html')

Needs the ``report`` extra (matplotlib, and koreanize-matplotlib for a Hangul font).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from koclassify.data.example import Example
from koclassify.io import atomic_directory, atomic_open, check_replaceable_directory, write_json

INDEX = "index.html"
SUMMARY = "report.json"

__all__ = ["INDEX", "SUMMARY", "FontWarning", "write_report"]


class FontWarning(UserWarning):
    """The plots could not use a font with Hangul; Korean text in them may show as boxes."""


def write_report(
    clf: Any,
    examples: Sequence[Example],
    out_dir: str | os.PathLike,
    *,
    title: str = "koclassify report",
    subtitle: str | None = None,
    source: str = "report data",
    model_card: str | os.PathLike | None = None,
) -> Path:
    """Score ``clf`` on labelled ``examples`` and write ``out_dir`` (index.html, PNG plots, report.json).

    ``model_card``: the model directory's ``README.md`` (:mod:`koclassify.model.card`); the page links it by its path
    relative to ``out_dir``.

    The directory is built beside ``out_dir`` and swapped in whole, so a reader never sees half a report.
    An existing ``out_dir`` is replaced only if it is empty or an earlier report. Returns the index.html path.
    """
    from koclassify.report import content, page, plots
    from koclassify.report.fonts import korean_font, web_subset

    plots.require_matplotlib()
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    data = content.build(clf, examples, title=title, source=source)
    font = korean_font()
    notes = list(data.notes)
    links = [("model card", os.path.relpath(model_card, out_dir))] if model_card is not None else []
    if not font.found:
        warnings.warn(font.describe(), FontWarning, stacklevel=2)
        notes.append(f"Plots: {font.describe()}.")
    with atomic_directory(out_dir, kind="report") as tmp:
        drawn, missing = plots.draw_all(data, tmp, font)
        if missing and font.found:
            message = f"the plot font {font.family} cannot draw {''.join(missing)!r}: those characters show as boxes"
            warnings.warn(message, FontWarning, stacklevel=2)
            notes.append(f"Plots: {message}.")
        with atomic_open(tmp / INDEX) as fh:
            embed = functools.partial(web_subset, font)
            fh.write(page.render(data, drawn, notes, subtitle=subtitle, embed_font=embed, links=links))
        summary = _summary(data, drawn, notes, font.describe())
        if links:
            summary["model_card"] = links[0][1]
        write_json(tmp / SUMMARY, summary)
    return out_dir / INDEX


def _report_entry(name: str) -> bool:
    """What a report directory holds; a directory holding anything else is the person's and never replaced."""
    return name in (INDEX, SUMMARY) or name.endswith(".png")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to swap away a directory that is not an earlier report holding only report files (e.g. ``--out .``
    or a project folder that happens to hold a report.json)."""
    check_replaceable_directory(out_dir, kind="report", entries=_report_entry, legacy=_legacy_report)


def _legacy_report(path: Path) -> bool:
    """A report written before the gate's marker: its report.json has the summary's keys."""
    from koclassify.io import read_json

    try:
        summary = read_json(path / SUMMARY)
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and {"title", "task", "metrics", "labels"} <= set(summary)


def _summary(data: Any, drawn: list[Any], notes: list[str], font: str) -> dict[str, Any]:
    """The page's numbers as JSON, for scripts that compare reports."""
    return {
        "title": data.title,
        "task": "multi-label" if data.multi_label else "multi-class",
        "decision": data.decision,
        "calibration": data.calibration,
        "metrics": data.metrics,
        "labels": [
            {
                "name": r.name,
                "support": r.support,
                "threshold": r.threshold,
                "threshold_status": r.threshold_status,
                "best_threshold": None if r.absent else r.best_threshold,
                "best_f1": None if r.absent else r.best_f1,
                "notes": r.notes,
            }
            for r in data.labels
        ],
        "notes": notes,
        "plots": [p.file for p in drawn],
        "font": font,
    }
