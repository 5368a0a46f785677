"""Per-label decision thresholds tuned on held-out probabilities.

The NIKL 2023 recipe scans thresholds 0.0%-99.9% in 0.1% steps and keeps, per label, the one with the most TP+TN
(its ``percent_simulation``). We do the same scan for every objective, vectorised: per label the probabilities
of gold-positive and gold-negative rows are sorted once, and the counts at all grid points come from one
``searchsorted`` each, so 44 labels x 5,000 rows x 1,000 grid points cost milliseconds, not a Python loop.

Objectives:
- ``accuracy``: TP+TN per label (the NIKL 2023 recipe's).
- ``label-f1`` / ``macro-f1``: F1 per label. Labels do not interact under plain thresholds, so the per-label
  optimum is also the macro-F1 optimum.
- ``micro-f1``: labels interact through the pooled counts, so coordinate ascent: start from the per-label F1
  optimum, then re-choose each label's threshold with the others fixed until a full round changes nothing.

Among tied grid points the middle of the longest best plateau is taken: a threshold in the middle of a flat
optimum moves less with the next data than the plateau's first point does.
A label with no positive row in the data cannot be tuned; its threshold stays at the default and is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from koclassify.decision import DecisionRule
from koclassify.options import OBJECTIVES  # declared once, with the other options

DEFAULT_THRESHOLD = 0.5
# Probabilities read from text (percentages divided by 100) may sit a hair below the grid point they equal.
EPS = 1e-9
MAX_ROUNDS = 100


def grid_points(grid: float = 0.001) -> np.ndarray:
    """``[0, grid, 2*grid, ..., 1 - grid]``, rounded so that 0.001 gives 0.301 and not 0.30100000000000005."""
    if not 0 < grid <= 0.5:
        raise ValueError(f"grid must be in (0, 0.5], got {grid}")
    steps = round(1 / grid)
    if not math.isclose(steps * grid, 1.0, rel_tol=1e-9):
        raise ValueError(f"grid must divide 1 evenly (0.001, 0.01, 0.05 ...), got {grid}")
    decimals = max(0, math.ceil(-math.log10(grid))) + 2
    return np.round(np.arange(steps) * grid, decimals)


@dataclass
class Curves:
    """Confusion counts of every label at every grid threshold (a label is predicted when p >= threshold)."""

    thresholds: np.ndarray  # (G,)
    tp: np.ndarray  # (L, G)
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    def f1(self) -> np.ndarray:
        denom = 2 * self.tp + self.fp + self.fn
        return np.divide(2 * self.tp, denom, out=np.zeros(self.tp.shape), where=denom > 0)

    def correct(self) -> np.ndarray:
        """TP+TN: the NIKL 2023 recipe's per-label score."""
        return self.tp + self.tn


def label_curves(probs: np.ndarray, gold: np.ndarray, grid: float = 0.001) -> Curves:
    """Counts at every grid point for every label: one sort and two ``searchsorted`` per label."""
    probs, gold = _check(probs, gold)
    thresholds = grid_points(grid)
    n, n_labels = probs.shape
    shape = (n_labels, len(thresholds))
    tp, fp = np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64)
    positives = gold.sum(axis=0)
    for j in range(n_labels):
        pos = np.sort(probs[gold[:, j], j])
        neg = np.sort(probs[~gold[:, j], j])
        tp[j] = len(pos) - np.searchsorted(pos, thresholds - EPS, side="left")
        fp[j] = len(neg) - np.searchsorted(neg, thresholds - EPS, side="left")
    fn = positives[:, None] - tp
    tn = (n - positives)[:, None] - fp
    return Curves(thresholds, tp, fp, fn, tn)


def best_index(scores: np.ndarray) -> int:
    """Index of the middle of the longest run of grid points that reach the maximum (first run on a tie)."""
    on = np.flatnonzero(np.isclose(scores, scores.max(), rtol=1e-12, atol=0.0))
    breaks = np.flatnonzero(np.diff(on) > 1)
    starts = np.r_[on[0], on[breaks + 1]]
    ends = np.r_[on[breaks], on[-1]]
    k = int(np.argmax(ends - starts))
    return int((starts[k] + ends[k]) // 2)


@dataclass
class ThresholdResult:
    thresholds: np.ndarray  # (L,)
    objective: str
    score: float  # the objective's value: micro-F1, mean label F1, or mean TP+TN per label
    label_scores: np.ndarray  # (L,): F1 per label, or TP+TN per label for ``accuracy``
    untuned: list[int] = field(default_factory=list)
    curves: Curves | None = None

    def as_dict(self, names: Sequence[str]) -> dict[str, float]:
        return {name: float(t) for name, t in zip(names, self.thresholds)}


def find_thresholds(
    probs: np.ndarray,
    gold: np.ndarray,
    *,
    objective: str = "micro-f1",
    grid: float = 0.001,
    default: float = DEFAULT_THRESHOLD,
    rule: DecisionRule | None = None,
) -> ThresholdResult:
    """Tune one threshold per label. ``rule`` is accepted for the record: thresholds are searched under plain
    thresholding, and an ``at_least_one`` rule afterwards only fills rows where nothing passed."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    curves = label_curves(probs, gold, grid)
    n_labels = curves.tp.shape[0]
    untuned = [j for j in range(n_labels) if curves.tp[j, 0] == 0]  # no positive row: nothing to tune on
    tuned = [j for j in range(n_labels) if j not in untuned]
    per_label = curves.correct() if objective == "accuracy" else curves.f1()
    index = np.zeros(n_labels, dtype=np.int64)
    for j in tuned:
        index[j] = best_index(per_label[j])
    if objective == "micro-f1" and tuned:
        index = _coordinate_ascent(curves, index, tuned, fixed=_fixed_counts(probs, gold, untuned, default))
    thresholds = np.where(np.isin(np.arange(n_labels), untuned), default, curves.thresholds[index])
    label_scores = per_label[np.arange(n_labels), index].astype(np.float64)
    for j in untuned:  # score untuned labels at the default they keep
        label_scores[j] = _score_at(np.asarray(probs)[:, j], np.asarray(gold, bool)[:, j], default, objective)
    if objective == "micro-f1":
        score = _micro_f1(curves, index, tuned, _fixed_counts(probs, gold, untuned, default))
    else:
        score = float(label_scores.mean())
    return ThresholdResult(thresholds.astype(np.float64), objective, score, label_scores, untuned, curves)


def _coordinate_ascent(curves: Curves, index: np.ndarray, tuned: list[int], fixed: np.ndarray) -> np.ndarray:
    """Re-choose each tuned label's grid index to maximise the pooled micro-F1, others held fixed."""
    index = index.copy()
    for _ in range(MAX_ROUNDS):
        changed = False
        for j in tuned:
            at = (curves.tp[tuned, index[tuned]].sum(), curves.fp[tuned, index[tuned]].sum(),
                  curves.fn[tuned, index[tuned]].sum())  # fmt: skip
            tp = at[0] - curves.tp[j, index[j]] + curves.tp[j] + fixed[0]
            fp = at[1] - curves.fp[j, index[j]] + curves.fp[j] + fixed[1]
            fn = at[2] - curves.fn[j, index[j]] + curves.fn[j] + fixed[2]
            denom = 2 * tp + fp + fn
            f1 = np.divide(2 * tp, denom, out=np.zeros(len(tp)), where=denom > 0)
            best = best_index(f1)
            if f1[best] > f1[index[j]] + 1e-12:
                index[j] = best
                changed = True
        if not changed:
            break
    return index


def _fixed_counts(probs: np.ndarray, gold: np.ndarray, untuned: list[int], default: float) -> np.ndarray:
    """Pooled (TP, FP, FN) of the untuned labels at their default threshold: they still count in micro-F1."""
    if not untuned:
        return np.zeros(3, dtype=np.int64)
    p = np.asarray(probs)[:, untuned] >= default - EPS
    g = np.asarray(gold, dtype=bool)[:, untuned]
    return np.array([(p & g).sum(), (p & ~g).sum(), (~p & g).sum()], dtype=np.int64)


def _micro_f1(curves: Curves, index: np.ndarray, tuned: list[int], fixed: np.ndarray) -> float:
    tp = curves.tp[tuned, index[tuned]].sum() + fixed[0]
    fp = curves.fp[tuned, index[tuned]].sum() + fixed[1]
    fn = curves.fn[tuned, index[tuned]].sum() + fixed[2]
    return float(2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else 0.0


def _score_at(p: np.ndarray, g: np.ndarray, threshold: float, objective: str) -> float:
    pred = p >= threshold - EPS
    if objective == "accuracy":
        return float((pred == g).sum())
    tp, fp, fn = (pred & g).sum(), (pred & ~g).sum(), (~pred & g).sum()
    return float(2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else 0.0


def seed_table(curves: Curves, names: Sequence[str]) -> list[str]:
    """The NIKL 2023 recipe's ``percent_simulation`` printout: ``30.1%: {'joy': 4492, ...}`` per grid point (TP+TN)."""
    correct = curves.correct()
    step = curves.thresholds[1] - curves.thresholds[0] if len(curves.thresholds) > 1 else 1.0
    decimals = max(0, math.ceil(-math.log10(step * 100) - 1e-9))
    lines = []
    for g, t in enumerate(curves.thresholds):
        row = {name: int(correct[j, g]) for j, name in enumerate(names)}
        lines.append(f"{t * 100:.{decimals}f}%: {row}")
    return lines


SCALE_TOLERANCE = 1e-3  # float rounding: 1.0000001 is a probability of 1, not 1%


def decide_scale(probs: np.ndarray, scale: str = "auto") -> str:
    """``unit`` or ``percent``. ``auto`` looks at the whole range: everything within [0, 1] (up to rounding) is
    unit; a maximum clearly above 1 (more than ``SCALE_TOLERANCE``) and within 0-100 is percent."""
    if scale not in ("auto", "unit", "percent"):
        raise ValueError(f"scale must be auto, unit or percent, not {scale!r}")
    if scale != "auto":
        return scale
    probs = np.asarray(probs, dtype=np.float64)
    if not probs.size or probs.max() <= 1.0 + SCALE_TOLERANCE:
        return "unit"
    return "percent"


def to_unit_scale(probs: np.ndarray, scale: str = "auto") -> np.ndarray:
    """Probabilities as 0-1: ``percent`` divides by 100 (NIKL 2023 recipe files hold 0-100); ``auto`` decides by
    :func:`decide_scale`. Values a rounding error outside [0, 1] are clipped; anything further is an error."""
    probs = np.asarray(probs, dtype=np.float64)
    if decide_scale(probs, scale) == "percent":
        probs = probs / 100.0
    if probs.size and (probs.min() < -SCALE_TOLERANCE or probs.max() > 1.0 + SCALE_TOLERANCE):
        raise ValueError(
            f"probabilities must lie in [0, 1] (or [0, 100] as percent); got {probs.min()}..{probs.max()}"
        )
    return np.clip(probs, 0.0, 1.0)


def _check(probs: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=np.float64)
    gold = np.asarray(gold).astype(bool)
    if probs.ndim != 2 or probs.shape != gold.shape:
        raise ValueError(f"probabilities {probs.shape} and gold {gold.shape} must both be (n, L)")
    if len(probs) == 0:
        raise ValueError("cannot calibrate on zero rows")
    return probs, gold
