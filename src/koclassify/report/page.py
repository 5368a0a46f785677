"""The report's HTML page: one self-contained file (inline CSS) that shows the plots beside it by relative path.

Every value from the data or the model (label names, titles, paths) is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable
from html import escape
from typing import Any

from koclassify.report.content import ReportData
from koclassify.report.plots import Plot
from koclassify.version import __version__

# the embedded font serves Hangul only; Latin text keeps the browser's UI font
_HANGUL = "U+1100-11FF, U+3130-318F, U+A960-A97F, U+AC00-D7AF, U+D7B0-D7FF"
_CSS = """
body { font-family: "koclassify-hangul", system-ui, -apple-system, "Apple SD Gothic Neo", "Malgun Gothic",
       "Noto Sans KR", "NanumGothic", sans-serif;
       margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: .2rem; } .sub { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 7rem; }
.card b { display: block; font-size: 1.3rem; }
.notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem 1rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child, td.note { text-align: left; }
tr.absent td { color: #999; } td.note { color: #a15c00; font-size: .85rem; }
figure { margin: 2rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; max-width: 60rem; }
"""


def render(
    data: ReportData,
    plots: list[Plot],
    notes: list[str],
    *,
    subtitle: str | None = None,
    embed_font: Callable[[str], bytes | None] | None = None,
    links: list[tuple[str, str]] | None = None,
) -> str:
    """The whole page as a string. ``embed_font(text)`` may return a font file covering ``text``'s characters;
    it is inlined as the Hangul font, so the page reads the same on machines without a Korean font."""
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sub = " · ".join(part for part in (subtitle, f"koclassify {__version__}", when) if part)
    body = [
        f"<h1>{escape(data.title)}</h1>",
        f'<p class="sub">{escape(sub)}</p>',
        _links(links or []),
        _cards(data),
        _notes(notes),
        "<h2>Per-label scores</h2>",
        _table(data),
        *(_figure(plot) for plot in plots),
    ]
    html_body = "\n".join(part for part in body if part)
    font = embed_font(data.title + html_body) if embed_font else None
    face = ""
    if font:
        encoded = base64.b64encode(font).decode("ascii")
        source = f'url(data:font/ttf;base64,{encoded}) format("truetype")'
        face = f'@font-face {{ font-family: "koclassify-hangul"; src: {source}; unicode-range: {_HANGUL}; }}'
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="generator" content="koclassify report">\n'
        f"<title>{escape(data.title)}</title>\n<style>{face}{_CSS}</style>\n</head>\n<body>\n"
        + html_body
        + "\n</body>\n</html>\n"
    )


def document(title: str, body: str, *, subtitle: str | None = None) -> str:
    """Another page in the report's style (e.g. ``koclassify audit``): ``body`` is HTML the caller escaped."""
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sub = " · ".join(part for part in (subtitle, f"koclassify {__version__}", when) if part)
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1>{escape(title)}</h1>\n<p class="sub">{escape(sub)}</p>\n{body}\n</body>\n</html>\n'
    )


def _cards(data: ReportData) -> str:
    m = data.metrics
    calibration = data.calibration
    calibrated = ", ".join(str(calibration[k]) for k in ("source", "objective") if calibration.get(k)) or "none"
    items: list[tuple[str, Any]] = [
        ("rows", m["samples"]),
        ("exact-set accuracy" if data.multi_label else "accuracy", f"{m['accuracy']:.4f}"),
        ("micro-F1", f"{m['micro_f1']:.4f}"),
        ("macro-F1", f"{m['macro_f1']:.4f}"),
        ("micro precision", f"{m['micro_precision']:.4f}"),
        ("micro recall", f"{m['micro_recall']:.4f}"),
        ("task", "multi-label" if data.multi_label else "multi-class"),
        ("decision rule", data.decision),
        ("backend", data.backend),
        ("calibration", calibrated if data.multi_label else "argmax"),
    ]
    cards = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in items)
    return f'<div class="cards">{cards}</div>'


def _links(links: list[tuple[str, str]]) -> str:
    """``(text, href)`` pairs, e.g. the model card of the model the page reports on."""
    if not links:
        return ""
    items = " · ".join(f'<a href="{escape(href)}">{escape(text)}</a>' for text, href in links)
    return f'<p class="links">{items}</p>'


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    return '<div class="notes"><ul>' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></div>"


def _table(data: ReportData) -> str:
    head = ["label", "support", "predicted", "precision", "recall", "F1", "threshold", "threshold is",
            "best F1 here", "best at", "notes"]  # fmt: skip
    rows = []
    for r in data.labels:
        cells = [
            escape(r.name),
            str(r.support),
            str(r.predicted),
            f"{r.precision:.3f}",
            f"{r.recall:.3f}",
            f"{r.f1:.3f}",
            f"{r.threshold:.3f}",
            escape(r.threshold_status),
            "—" if r.absent else f"{r.best_f1:.3f}",
            "—" if r.absent else f"{r.best_threshold:.2f}",
        ]
        tds = "".join(f"<td>{c}</td>" for c in cells) + f'<td class="note">{escape("; ".join(r.notes))}</td>'
        rows.append(f'<tr{" class=absent" if r.absent else ""} data-label="{escape(r.name)}">{tds}</tr>')
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"


def _figure(plot: Plot) -> str:
    return (
        f'<figure id="{escape(plot.file.rsplit(".", 1)[0])}"><h2>{escape(plot.title)}</h2>'
        f'<img src="{escape(plot.file)}" alt="{escape(plot.title)}">'
        f"<figcaption>{escape(plot.caption)}</figcaption></figure>"
    )
