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

Under a rule that fills empty rows (``at_least_one``, ``max_labels``) labels interact for every objective: a
row where nothing passes takes the label with the highest ``p / threshold``, so one label's threshold decides
which label the empty rows get. The search then runs under the rule: it starts from the plain optimum and does
coordinate ascent in which each label's whole grid is scored with the rule applied (:func:`rule_counts` gives
every label's counts at every grid point of one label's threshold, with the others fixed, in O(n L)). The
``max_labels`` cap itself is not modelled in the search (it only removes labels beyond the cap).

Among tied grid points the middle of the longest best plateau is taken: a threshold in the middle of a flat
optimum moves less with the next data than the plateau's first point does.
A label with no positive row in the data cannot be tuned; its threshold stays at the default and is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from koclassify.decide.decision import MIN_THRESHOLD, DecisionRule
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
    """Tune one threshold per label, under ``rule`` when it fills empty rows (``at_least_one``, ``max_labels``)."""
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
    if rule is not None and rule.fills_empty_rows and tuned and n_labels > 1:
        probs, gold = _check(probs, gold)
        thresholds = _rule_ascent(probs, gold, thresholds.astype(np.float64), tuned, curves.thresholds, rule, objective)
        score, label_scores = rule_score(probs, gold, thresholds, rule, objective)
    return ThresholdResult(thresholds.astype(np.float64), objective, score, label_scores, untuned, curves)


def objective_curve(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, n: int, objective: str) -> np.ndarray:
    """The objective from per-label counts of shape (L, ...): micro-F1, mean label F1, or mean TP+TN."""
    if objective == "micro-f1":
        t, f = tp.sum(axis=0), fp.sum(axis=0) + fn.sum(axis=0)
        return np.divide(2 * t, 2 * t + f, out=np.zeros(np.shape(t)), where=(2 * t + f) > 0)
    if objective == "accuracy":
        return (n - fp - fn).mean(axis=0).astype(np.float64)  # TP + TN per label
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(tp.shape), where=denom > 0).mean(axis=0)


def rule_score(
    probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray, rule: DecisionRule, objective: str
) -> tuple[float, np.ndarray]:
    """The objective (and per-label scores) of the decisions ``rule`` makes at ``thresholds``."""
    return decision_score(rule.apply(probs, thresholds), gold, objective)


def decision_score(pred: np.ndarray, gold: np.ndarray, objective: str) -> tuple[float, np.ndarray]:
    """The objective (and per-label scores) of (n, L) 0/1 decisions against gold."""
    pred, gold = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    tp, fp, fn = (pred & gold).sum(0), (pred & ~gold).sum(0), (~pred & gold).sum(0)
    if objective == "accuracy":
        per_label = (len(gold) - fp - fn).astype(np.float64)
    else:
        denom = 2 * tp + fp + fn
        per_label = np.divide(2 * tp, denom, out=np.zeros(len(tp)), where=denom > 0)
    return float(objective_curve(tp, fp, fn, len(gold), objective)), per_label


def rule_counts(
    probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray, j: int, grid: np.ndarray, rule: DecisionRule
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(TP, FP, FN), each (L, G): every label's counts under ``rule`` (which fills empty rows) when label ``j``'s
    threshold takes each grid value and the others keep ``thresholds``.

    Rows where another label passes decide ``j`` by plain thresholding. In the other rows exactly one label is
    predicted: ``j`` while its threshold is low enough (it passes, or its ``p / t`` beats the best other label's
    score), else that best other label ``a``; so each such row switches once, at a grid index ``b``, from "j" to
    "a", and the counts are cumulative sums of those switches.
    """
    n, n_labels = probs.shape
    size = len(grid)
    passed = probs >= thresholds[None, :] - EPS
    passed[:, j] = False
    rows_a = passed.any(axis=1)
    tp = np.zeros((n_labels, size + 1), dtype=np.int64)
    fp, fn = np.zeros_like(tp), np.zeros_like(tp)
    # rows where another label passes: the other labels are fixed, j is thresholded
    d, g = passed[rows_a], gold[rows_a]
    tp[:, 0] += (d & g).sum(0)
    fp[:, 0] += (d & ~g).sum(0)
    fn[:, 0] += (~d & g).sum(0)
    tp[j, 0] = fp[j, 0] = fn[j, 0] = 0
    pj, gj = probs[rows_a, j], gold[rows_a, j]
    pos, neg = np.sort(pj[gj]), np.sort(pj[~gj])
    tp_j = len(pos) - np.searchsorted(pos, grid - EPS, side="left")
    fp_j = len(neg) - np.searchsorted(neg, grid - EPS, side="left")
    out_tp, out_fp = np.cumsum(tp, axis=1)[:, :size], np.cumsum(fp, axis=1)[:, :size]
    out_fn = np.cumsum(fn, axis=1)[:, :size]
    out_tp[j] += tp_j
    out_fp[j] += fp_j
    out_fn[j] += len(pos) - tp_j
    # rows where nothing else passes: one label, j before index b, the best other label a from b on
    rows_b = ~rows_a
    if rows_b.any():
        p, g = probs[rows_b], gold[rows_b]
        score = rule.scores(p, thresholds).copy()
        score[:, j] = -np.inf
        a = score.argmax(axis=1)
        best = score[np.arange(len(a)), a]
        pj, gj = p[:, j], g[:, j].astype(np.int64)
        first = j < a  # argmax takes the first of tied labels

        def wins(index: np.ndarray) -> np.ndarray:
            """Whether j wins the fallback at these grid indices, computed as ``DecisionRule.apply`` does."""
            mine = pj if rule.fallback == "prob" else pj / np.maximum(grid[np.clip(index, 0, size - 1)], MIN_THRESHOLD)
            return (mine > best) | ((mine == best) & first)

        b = np.searchsorted(grid, pj + EPS, side="right")  # from here j no longer passes
        if rule.fallback == "prob":
            b = np.where(wins(b), size, b)
        else:  # j wins the fallback while pj / t > best, i.e. t < pj / best: find the index, then fix rounding
            with np.errstate(divide="ignore", invalid="ignore"):
                cut = np.where(best > 0, pj / np.where(best > 0, best, 1.0), np.where(pj > 0, np.inf, -np.inf))
            c = np.searchsorted(grid, cut, side="left")
            c = np.where((c > 0) & ~wins(c - 1), c - 1, c)
            c = np.where((c < size) & wins(c), c + 1, c)
            b = np.maximum(b, c)
        ga = g[np.arange(len(a)), a].astype(np.int64)
        base_tp = np.bincount(a, weights=ga, minlength=n_labels).astype(np.int64)
        base_fp = np.bincount(a, weights=1 - ga, minlength=n_labels).astype(np.int64)
        base_fn = g.sum(0).astype(np.int64) - base_tp
        # switch "a" -> "j" for grid indices below b: j gains its TP/FP and loses its FN; a the reverse
        delta = {
            "tp": [(j, gj), (a, -ga)],
            "fp": [(j, 1 - gj), (a, -(1 - ga))],
            "fn": [(j, -gj), (a, ga)],
        }
        for name, base, out in (("tp", base_tp, out_tp), ("fp", base_fp, out_fp), ("fn", base_fn, out_fn)):
            step = np.zeros((n_labels, size + 1), dtype=np.int64)
            for label, values in delta[name]:
                labels = np.broadcast_to(label, values.shape)
                np.add.at(step, (labels, np.zeros_like(b)), values)
                np.add.at(step, (labels, b), -values)
            out += base[:, None] + np.cumsum(step, axis=1)[:, :size]
    return out_tp, out_fp, out_fn


@dataclass
class Calibration:
    """What calibrating a multi-label model on held-out probabilities decided."""

    result: ThresholdResult  # the thresholds (of the second stage's output when it is used)
    stacker: Any  # the fitted second stage (a koclassify.decide.stacking.Stacker), or None
    record: dict[str, Any]  # the calibration record a model directory keeps


def calibrate(
    probs: np.ndarray,
    gold: np.ndarray,
    names: Sequence[str],
    *,
    rule: DecisionRule,
    objective: str,
    grid: float,
    stack: str,
) -> Calibration:
    """Tune thresholds under ``rule`` and decide the second stage (``stack``: auto | on | off), in one place.

    Everything comes in as arguments (the model's rule, its label names): nothing here reaches back into the
    :class:`koclassify.Classifier`, which only stores what comes out."""
    probs, gold = _check(probs, gold)
    result = find_thresholds(probs, gold, objective=objective, grid=grid, rule=rule)
    stacker, stack_record = None, _second_stage(stack, probs, gold, result.score, rule, objective, grid)
    if stack_record.get("used"):
        stacker, result = stack_record.pop("stacker"), stack_record.pop("result")
    record = {
        "objective": objective,
        "grid": grid,
        "rows": int(len(gold)),
        "decision": rule.rule,
        "score": round(float(result.score), 6),
        "untuned_labels": [names[i] for i in result.untuned],
        "stack": stack_record,
    }
    return Calibration(result, stacker, record)


def _second_stage(
    mode: str, probs: np.ndarray, gold: np.ndarray, plain: float, rule: DecisionRule, objective: str, grid: float
) -> dict[str, Any]:
    """The second stage when asked (``on``: from 10 rows; ``auto``: from ``stacking.MIN_ROWS`` held-out rows,
    kept when cross-validated thresholds score better with it than without). With ``used``, the record also
    holds the ``stacker`` and the ``result`` (thresholds tuned on its out-of-fold output) until taken out."""
    from koclassify.decide import stacking

    record: dict[str, Any] = {"mode": mode, "used": False}
    if mode == "off":
        return record
    if len(gold) < (stacking.MIN_ROWS if mode == "auto" else 2 * stacking.FOLDS):
        record["note"] = f"{len(gold)} held-out rows: too few to fit a second stage"
        return record
    oof = stacking.out_of_fold(probs, gold)
    result = find_thresholds(oof, gold, objective=objective, grid=grid, rule=rule)
    record.update(score_first_stage=round(float(plain), 6), score_stacked=round(float(result.score), 6))
    if mode == "auto":  # keep it only when thresholds tuned on other rows score better with it
        first = cross_validated_score(probs, gold, rule=rule, objective=objective, grid=grid)
        second = cross_validated_score(oof, gold, rule=rule, objective=objective, grid=grid)
        record.update(cv_score_first_stage=round(first, 6), cv_score_stacked=round(second, 6))
        if second <= first:
            record["note"] = "it does not help"
            return record
    record.update(used=True, stacker=stacking.fit_stacker(probs, gold), result=result)
    return record


def cross_validated_score(
    probs: np.ndarray,
    gold: np.ndarray,
    *,
    rule: DecisionRule,
    objective: str,
    grid: float,
    folds: int = 5,
    seed: int = 1,
) -> float:
    """The objective of decisions whose thresholds were tuned on the other folds (pooled over all rows).

    Used to compare the first stage with the second stage's out-of-fold output on equal terms. ``seed`` differs from
    :func:`koclassify.decide.stacking.out_of_fold`'s so the threshold folds are not the stacker's folds."""
    from koclassify.metadata.splits import kfold_indices

    gold = np.asarray(gold, dtype=bool)
    pred = np.zeros(gold.shape, dtype=bool)
    for train_idx, test_idx in kfold_indices(gold.astype(float), folds=folds, seed=seed, multi_label=True):
        found = find_thresholds(probs[train_idx], gold[train_idx], objective=objective, grid=grid, rule=rule)
        pred[test_idx] = rule.apply(probs[test_idx], found.thresholds)
    return decision_score(pred, gold, objective)[0]


def _rule_ascent(
    probs: np.ndarray,
    gold: np.ndarray,
    thresholds: np.ndarray,
    tuned: list[int],
    grid: np.ndarray,
    rule: DecisionRule,
    objective: str,
) -> np.ndarray:
    """Coordinate ascent of the objective under ``rule``, from the plain optimum: each tuned label in turn takes
    the grid point that scores best with the rule applied and the others fixed, until a round changes nothing."""
    thresholds = thresholds.copy()
    n = len(gold)
    rule = rule.uncapped()  # the max_labels cap is not modelled
    for _ in range(MAX_ROUNDS):
        changed = False
        for j in tuned:
            curve = objective_curve(*rule_counts(probs, gold, thresholds, j, grid, rule), n, objective)
            now = float(objective_curve(*_counts_now(probs, gold, thresholds, rule), n, objective))
            best = best_index(curve)
            if curve[best] > now + 1e-12:
                thresholds[j] = grid[best]
                changed = True
        if not changed:
            break
    return thresholds


def _counts_now(
    probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray, rule: DecisionRule
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pred = rule.apply(probs, thresholds)
    return (pred & gold).sum(0), (pred & ~gold).sum(0), (~pred & gold).sum(0)


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


PROB_SCALES = ("auto", "unit", "percent")  # how a probability file holds its numbers (``--scale``)


def decide_scale(probs: np.ndarray, scale: str = "auto") -> str:
    """``unit`` or ``percent``. ``auto`` looks at the whole range: everything within [0, 1] (up to rounding) is
    unit; a maximum clearly above 1 (more than ``SCALE_TOLERANCE``) and within 0-100 is percent."""
    if scale not in PROB_SCALES:
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
        raise ValueError(f"probabilities must lie in [0, 1] (or [0, 100] as percent); got {probs.min()}..{probs.max()}")
    return np.clip(probs, 0.0, 1.0)


def _check(probs: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=np.float64)
    gold = np.asarray(gold).astype(bool)
    if probs.ndim != 2 or probs.shape != gold.shape:
        raise ValueError(f"probabilities {probs.shape} and gold {gold.shape} must both be (n, L)")
    if len(probs) == 0:
        raise ValueError("cannot calibrate on zero rows")
    return probs, gold
