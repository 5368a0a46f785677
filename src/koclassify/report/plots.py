"""The report's PNG plots, drawn with matplotlib's object API (no pyplot: no global backend, no display).

Every figure is drawn inside an ``rc_context`` that selects the Hangul font, so the caller's matplotlib
settings are untouched, and written with :func:`koclassify.io.atomic_open`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.errors import MissingDependencyError
from koclassify.io import atomic_open
from koclassify.report import content
from koclassify.report.content import ReportData
from koclassify.report.fonts import FontChoice

DPI = 110
ANNOTATE_MAX_CELLS = 400  # above this a heatmap's numbers would not be legible
_STATUS_TAG = {content.TUNED: "", content.NO_POSITIVE: "default", content.NOT_CALIBRATED: "default",
               content.ARGMAX: "unused: argmax"}  # fmt: skip
_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from")


@dataclass(frozen=True)
class Plot:
    """A written PNG and the words the page puts around it."""

    file: str
    title: str
    caption: str


def require_matplotlib() -> None:
    """Fail early, with the pip command, when the optional ``report`` extra is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependencyError("matplotlib", "report") from None


def draw_all(data: ReportData, out_dir: Path, font: FontChoice) -> tuple[list[Plot], list[str]]:
    """Write every plot that fits the task; return them with any glyphs the font could not draw."""
    specs: list[tuple[str, Callable[[ReportData], Any], str, str]] = [
        ("per_label.png", _per_label, "Per-label precision, recall and F1", _PER_LABEL),
        ("thresholds.png", _thresholds, "F1 against the decision threshold", _THRESHOLDS),
    ]
    if data.multi_label:
        specs += [
            ("errors.png", _errors, "Error matrix", _ERRORS),
            ("cooccurrence.png", _cooccurrence, "Label co-occurrence (gold)", _COOCCURRENCE),
        ]
    else:
        specs.append(("confusion.png", _confusion, "Confusion matrix", _CONFUSION))
    specs.append(("distribution.png", _distribution, "Label distribution", _DISTRIBUTION))
    plots, missing = [], set()
    for file, draw, title, caption in specs:
        with _rendering(font) as glyphs:
            fig = draw(data)
            with atomic_open(out_dir / file, "wb") as fh:
                fig.savefig(fh, format="png", dpi=DPI)
        missing |= glyphs
        plots.append(Plot(file, title, caption))
    return plots, sorted(missing)


_PER_LABEL = "Scores of the model's actual decisions (its thresholds and decision rule) on this data."
_THRESHOLDS = (
    "One-vs-rest F1 of each label if it were predicted whenever its probability reaches the threshold; the red "
    "line is the model's threshold, the dot the best threshold on this data."
)
_ERRORS = (
    "Rows: gold labels. Diagonal: rows where the label was found. Off the diagonal: rows of the gold label where "
    "the column's label was predicted but is not gold. Last column: rows where the gold label was missed. "
    "Colours are shares of the row's support."
)
_COOCCURRENCE = "Rows of the data that carry both labels; the diagonal is each label's count."
_CONFUSION = "Rows: gold label; columns: predicted label. Colours are shares of the row's support."
_DISTRIBUTION = "How many rows carry each label: gold against the model's predictions."


@contextmanager
def _rendering(font: FontChoice) -> Iterator[set[str]]:
    """Select the font for one figure and collect matplotlib's 'Glyph ... missing' warnings instead of repeating
    them for every string drawn (the caller reports them once)."""
    import matplotlib

    families = [font.family, "DejaVu Sans"] if font.family else ["DejaVu Sans"]
    missing: set[str] = set()
    with matplotlib.rc_context({"font.family": families, "axes.unicode_minus": False, "text.parse_math": False}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield missing
    for w in caught:
        glyph = _MISSING_GLYPH.match(str(w.message))
        if glyph:
            missing.add(chr(int(glyph.group(1))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _figure(width: float, height: float, layout: Any = "constrained") -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def _tilt(names: list[str]) -> dict[str, Any]:
    """Tick-label keywords: slanted when the names would collide written level."""
    crowded = len(names) > 6 or max((len(n) for n in names), default=0) > 8
    return {"rotation": 45, "ha": "right", "rotation_mode": "anchor"} if crowded else {}


def _width(n_labels: int, per_label: float = 0.7, least: float = 6.0) -> float:
    return max(least, per_label * n_labels + 2.0)


def _per_label(data: ReportData) -> Any:
    fig = _figure(_width(len(data.names), 0.9), 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(data.names))
    width = 0.27
    for k, (key, colour) in enumerate((("precision", "#4c72b0"), ("recall", "#55a868"), ("f1", "#c44e52"))):
        values = [getattr(row, key) for row in data.labels]
        ax.bar(x + (k - 1) * width, values, width, label="F1" if key == "f1" else key, color=colour)
    for j, row in enumerate(data.labels):
        if row.absent:
            ax.text(j, 0.02, "not in data", rotation=90, ha="center", va="bottom", fontsize=8, color="#666")
    ax.set_xticks(x, data.names, **_tilt(data.names))
    ax.set_ylim(0, 1.2)  # headroom for the legend above the 1.0 bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("score")
    ax.set_title(f"{data.title}: micro-F1 {data.metrics['micro_f1']:.3f}, macro-F1 {data.metrics['macro_f1']:.3f}")
    ax.legend(loc="upper right", ncols=3, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _thresholds(data: ReportData) -> Any:
    n_labels = len(data.names)
    cols = min(4, n_labels)
    rows = math.ceil(n_labels / cols)
    # a fixed grid with shared axes: constrained layout over many small axes costs seconds per figure
    fig = _figure(3.1 * cols, 2.3 * rows + 0.6, layout=None)
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.45 / (2.3 * rows + 0.6), bottom=0.6 / (2.3 * rows + 0.6),
                        hspace=0.35, wspace=0.1)  # fmt: skip
    f1 = data.curves.f1()
    grid = data.curves.thresholds
    for ax in axes[n_labels:]:
        ax.set_visible(False)
    # short tick labels, so neighbouring panels' "1.0" and "0.0" do not run together
    axes[0].set_xticks(np.linspace(0, 1, 6), ["0", ".2", ".4", ".6", ".8", "1"])
    for j, row in enumerate(data.labels):
        ax = axes[j]
        ax.set_title(row.name, fontsize=10)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        if row.absent:
            ax.text(0.5, 0.5, "not in this data", ha="center", va="center", color="#666")
        else:
            ax.plot(grid, f1[j], color="#4c72b0", linewidth=1.5)
            ax.plot([row.best_threshold], [row.best_f1], "o", color="#4c72b0", markersize=4)
        style = "-" if data.thresholds_used else ":"
        ax.axvline(row.threshold, color="#c44e52", linestyle=style, linewidth=1.2)
        tag = _STATUS_TAG[row.threshold_status]
        label = f"t={row.threshold:.2f}" + (f" ({tag})" if tag else "")
        ax.text(row.threshold, 1.0, f" {label} ", color="#c44e52", fontsize=8, va="top",
                ha="left" if row.threshold < 0.6 else "right")  # fmt: skip
        if j % cols == 0:
            ax.set_ylabel("F1")
        if j >= n_labels - cols:
            ax.set_xlabel("threshold")
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig


def _heatmap(counts: np.ndarray, rows: list[str], cols: list[str], title: str, share_of: np.ndarray) -> Any:
    """Counts annotated on colours that show each cell's share of ``share_of`` (the row totals)."""
    size = max(4.5, 0.55 * max(len(rows), len(cols)) + 2.5)
    fig = _figure(size + 1.0, size)
    ax = fig.add_subplot()
    shares = np.divide(counts, share_of[:, None], out=np.zeros(counts.shape), where=share_of[:, None] > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the row's support")
    ax.set_xticks(np.arange(len(cols)), cols, **_tilt(cols))
    ax.set_yticks(np.arange(len(rows)), rows)
    if counts.size <= ANNOTATE_MAX_CELLS:
        for (i, j), value in np.ndenumerate(counts):
            colour = "white" if shares[i, j] > 0.6 else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8, color=colour)
    ax.set_title(title)
    return fig


def _confusion(data: ReportData) -> Any:
    counts = data.confusion()
    fig = _heatmap(counts, data.names, data.names, "gold (rows) x predicted (columns)", counts.sum(axis=1))
    fig.axes[0].set_xlabel("predicted")
    fig.axes[0].set_ylabel("gold")
    return fig


def _errors(data: ReportData) -> Any:
    counts = data.errors()
    support = data.gold.sum(axis=0)
    fig = _heatmap(counts, data.names, [*data.names, "(missed)"], "gold label x wrong/right prediction", support)
    fig.axes[0].set_xlabel("predicted (diagonal: found)")
    fig.axes[0].set_ylabel("gold")
    return fig


def _cooccurrence(data: ReportData) -> Any:
    counts = data.cooccurrence()
    return _heatmap(counts, data.names, data.names, "rows carrying both labels", np.diag(counts).copy())


def _distribution(data: ReportData) -> Any:
    fig = _figure(_width(len(data.names), 0.8), 4.0)
    ax = fig.add_subplot()
    x = np.arange(len(data.names))
    gold = data.gold.sum(axis=0)
    pred = data.pred.sum(axis=0)
    ax.bar(x - 0.2, gold, 0.4, label="gold", color="#4c72b0")
    ax.bar(x + 0.2, pred, 0.4, label="predicted", color="#dd8452")
    for j, value in enumerate(gold):
        ax.text(j - 0.2, value, str(int(value)), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, data.names, **_tilt(data.names))
    ax.set_ylabel("rows")
    extra = ""
    if data.multi_label:
        extra = f"; rows without a gold label: {int((~data.gold.any(axis=1)).sum())}"
    ax.set_title(f"{len(data.gold)} rows{extra}")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig
