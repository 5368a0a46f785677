"""The numbers a report shows, computed once from a fitted classifier and labelled examples.

Kept free of matplotlib and HTML so that the plots and the page draw the same figures, and so tests can check
the figures without rendering anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from koclassify.data.example import Example
from koclassify.decide.calibration import Curves, best_index, label_curves
from koclassify.decide.decision import rule_name
from koclassify.errors import DataError, ModelError
from koclassify.metrics import evaluate

CURVE_GRID = 0.01
TUNED = "tuned"
NO_POSITIVE = "default: no positive row to tune on"
NOT_CALIBRATED = "default: not calibrated"
ARGMAX = "unused (argmax)"
THRESHOLD_STATUS = (TUNED, NO_POSITIVE, NOT_CALIBRATED, ARGMAX)


@dataclass
class LabelRow:
    """One label's line in the report: its scores here, its threshold and what to know about it."""

    name: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float
    threshold: float
    threshold_status: str  # one of THRESHOLD_STATUS
    best_f1: float  # the best F1 plain thresholding reaches on this data ...
    best_threshold: float  # ... and where
    notes: list[str] = field(default_factory=list)

    @property
    def absent(self) -> bool:
        return self.support == 0

    @property
    def tuned(self) -> bool:
        return self.threshold_status == TUNED


@dataclass
class ReportData:
    title: str
    names: list[str]
    multi_label: bool
    gold: np.ndarray  # (n, L) bool
    probs: np.ndarray  # (n, L)
    pred: np.ndarray  # (n, L) bool, after the model's decision rule
    thresholds: np.ndarray  # (L,)
    metrics: dict[str, Any]
    curves: Curves
    labels: list[LabelRow]
    decision: str
    backend: str
    calibration: dict[str, Any]
    notes: list[str]

    @property
    def thresholds_used(self) -> bool:
        """Multi-class decisions are argmax: the stored thresholds play no part."""
        return self.multi_label

    def confusion(self) -> np.ndarray:
        """Multi-class (L, L): rows are gold labels, columns predicted labels."""
        n_labels = len(self.names)
        out = np.zeros((n_labels, n_labels), dtype=np.int64)
        np.add.at(out, (self.gold.argmax(axis=1), self.pred.argmax(axis=1)), 1)
        return out

    def cooccurrence(self) -> np.ndarray:
        """(L, L) rows holding both gold labels; the diagonal is each label's support."""
        g = self.gold.astype(np.int64)
        return g.T @ g

    def errors(self) -> np.ndarray:
        """Multi-label (L, L+1): [i, i] hits, [i, j] rows of gold i where j was predicted wrongly, [i, L] misses."""
        g, p = self.gold.astype(np.int64), self.pred.astype(np.int64)
        wrong = (self.pred & ~self.gold).astype(np.int64)
        out = np.zeros((len(self.names), len(self.names) + 1), dtype=np.int64)
        out[:, :-1] = g.T @ wrong
        np.fill_diagonal(out[:, :-1], (g * p).sum(axis=0))
        out[:, -1] = (g * (1 - p)).sum(axis=0)
        return out


def build(clf: Any, examples: Sequence[Example], *, title: str, source: str = "report data") -> ReportData:
    """Predict ``examples`` with ``clf`` and gather every figure of the report."""
    space = clf.labels_
    if space is None:
        raise ModelError("the classifier is not fitted: call fit() or Classifier.load() before reporting")
    if not examples:
        raise DataError(f"{source}: no rows to report on")
    names = list(space.names)
    gold = space.indicator(list(examples), source=source).astype(bool)
    probs = np.asarray(clf.predict_proba(list(examples)), dtype=np.float64)
    pred = np.asarray(clf.decide(probs), dtype=bool)
    thresholds = np.array([clf.thresholds_dict()[n] for n in names], dtype=np.float64)
    metrics = evaluate(gold, pred, names, space.multi_label)
    curves = label_curves(probs, gold, grid=CURVE_GRID)
    calibration = dict(clf.calibration_ or {})
    rows = _label_rows(
        names, metrics, pred, thresholds, curves, _threshold_status(names, space.multi_label, calibration)
    )
    notes = _notes(rows, space.multi_label)
    rule = rule_name(clf.decision_)
    return ReportData(
        title=title,
        names=names,
        multi_label=space.multi_label,
        gold=gold,
        probs=probs,
        pred=pred,
        thresholds=thresholds,
        metrics=metrics,
        curves=curves,
        labels=rows,
        decision=rule,
        backend=getattr(clf.backend, "name", type(clf.backend).__name__),
        calibration=calibration,
        notes=notes,
    )


def _label_rows(
    names: list[str],
    metrics: dict[str, Any],
    pred: np.ndarray,
    thresholds: np.ndarray,
    curves: Curves,
    status: list[str],
) -> list[LabelRow]:
    f1 = curves.f1()
    rows = []
    for j, name in enumerate(names):
        scores = metrics["per_label"][name]
        best = best_index(f1[j])
        row = LabelRow(
            name=name,
            support=int(scores["support"]),
            predicted=int(pred[:, j].sum()),
            precision=float(scores["precision"]),
            recall=float(scores["recall"]),
            f1=float(scores["f1"]),
            threshold=float(thresholds[j]),
            threshold_status=status[j],
            best_f1=float(f1[j, best]),
            best_threshold=float(curves.thresholds[best]),
        )
        if row.absent:
            row.notes.append("never occurs in this data: recall and F1 are undefined (shown as 0)")
        if row.threshold_status == NO_POSITIVE:
            row.notes.append(
                f"threshold left at its default {row.threshold:.3f}: the calibration data had no positive row"
            )
        rows.append(row)
    return rows


def _threshold_status(names: list[str], multi_label: bool, calibration: dict[str, Any]) -> list[str]:
    """Why each threshold has its value: tuned, or left at the default (and why), or not used at all."""
    if not multi_label:
        return [ARGMAX] * len(names)
    if "untuned_labels" not in calibration:
        return [NOT_CALIBRATED] * len(names)
    untuned = set(calibration["untuned_labels"])
    return [NO_POSITIVE if name in untuned else TUNED for name in names]


def _notes(rows: list[LabelRow], multi_label: bool) -> list[str]:
    """Page-level remarks, in the order a reader should see them."""
    notes = []
    absent = [r.name for r in rows if r.absent]
    if absent:
        notes.append(f"{len(absent)} label(s) never occur in this data: {', '.join(absent)}.")
    untuned = [r.name for r in rows if r.threshold_status == NO_POSITIVE]
    if untuned:
        notes.append(
            f"{len(untuned)} threshold(s) stayed at the default because the calibration data had no positive "
            f"row for them: {', '.join(untuned)}."
        )
    if not multi_label:
        notes.append("Multi-class model: decisions are the most probable label (argmax); thresholds are not used.")
    elif any(r.threshold_status == NOT_CALIBRATED for r in rows):
        notes.append("The thresholds were never tuned (e.g. trained with --calibrate none): they are the defaults.")
    return notes
