"""Combining member probabilities: label alignment, the weighted mean, and member weights tuned on dev data.

Pure numpy, shared by :class:`koclassify.Ensemble` (members are models) and ``koclassify ensemble --probs``
(members are probability files made elsewhere).

The ensemble's probability is the weighted mean of its members' (weights >= 0, summing to 1), so multi-class
rows still sum to 1 and multi-label entries stay in [0, 1]. ``tuned`` weights maximise the objective *at the
thresholds tuned for those weights* (what the ensemble will be judged by), by coordinate ascent over a
0.05-step grid: each member's weight in turn takes the grid value that scores best, the others keeping their
proportions; rounds repeat until none changes. For two members the first round is the full line search. It
starts from equal weights and leaves them only for a strictly better score, so ties keep the plain mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from koclassify.decide.calibration import OBJECTIVES, ThresholdResult, find_thresholds
from koclassify.decide.decision import DecisionRule
from koclassify.errors import KoclassifyError

WEIGHTINGS: tuple[str, ...] = ("mean", "tuned")
STEP = 0.05
MAX_ROUNDS = 10


def label_order(reference: Sequence[str], names: Sequence[str], *, what: str, reference_what: str) -> np.ndarray:
    """Column indices that put ``names`` in ``reference`` order; a different label *set* is an error naming them."""
    missing = [n for n in reference if n not in names]
    extra = [n for n in names if n not in reference]
    if missing or extra:
        raise KoclassifyError(
            f"{what} has other labels than {reference_what}: missing {missing}, extra {extra} "
            "(ensemble members must share one label set)"
        )
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[n] for n in reference], dtype=np.int64)


def normalise(weights: Sequence[float] | np.ndarray, n_members: int) -> np.ndarray:
    """Weights as a probability vector; wrong length, negative, non-finite or all-zero weights are errors."""
    w = np.asarray(list(weights), dtype=np.float64)
    if w.shape != (n_members,):
        raise KoclassifyError(f"{len(w)} weights for {n_members} ensemble members")
    if not np.isfinite(w).all() or (w < 0).any() or w.max(initial=0.0) <= 0:
        raise KoclassifyError(f"ensemble weights must be finite, >= 0 and not all 0, got {w.tolist()}")
    w = w / w.max()  # first to at most 1: weights near 1.7e308 would sum to infinity and divide to 0
    return w / w.sum()


def combine(member_probs: Sequence[np.ndarray], weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """The weighted mean of (n, L) member probability matrices (already in one label order)."""
    w = normalise(weights, len(member_probs))
    out = np.zeros_like(np.asarray(member_probs[0], dtype=np.float64))
    for wi, p in zip(w, member_probs):
        out += wi * np.asarray(p, dtype=np.float64)
    return out


def score(
    probs: np.ndarray,
    gold: np.ndarray,
    *,
    multi_label: bool,
    objective: str = "micro-f1",
    grid: float = 0.001,
    rule: DecisionRule | None = None,
) -> tuple[float, ThresholdResult | None]:
    """The objective on dev data as the model will decide: multi-label at thresholds tuned here (the same search
    as ``calibrate``, under the model's decision ``rule``); multi-class by argmax (accuracy for
    ``micro-f1``/``accuracy``, else macro-F1)."""
    if objective not in OBJECTIVES:
        raise KoclassifyError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    if multi_label:
        result = find_thresholds(probs, gold, objective=objective, grid=grid, rule=rule)
        return result.score, result
    gold_idx = np.asarray(gold).argmax(axis=1)
    pred_idx = np.asarray(probs).argmax(axis=1)
    if objective in ("micro-f1", "accuracy"):
        return float(np.mean(gold_idx == pred_idx)), None
    f1s = []
    for j in range(np.asarray(gold).shape[1]):
        tp = int(((pred_idx == j) & (gold_idx == j)).sum())
        fp = int(((pred_idx == j) & (gold_idx != j)).sum())
        fn = int(((pred_idx != j) & (gold_idx == j)).sum())
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return (float(np.mean(f1s)) if f1s else 0.0), None


@dataclass
class EnsembleFit:
    """What tuning an ensemble on dev data found."""

    weights: np.ndarray  # (M,), summing to 1
    weighting: str  # mean | tuned | given
    objective: str
    score: float  # the ensemble's objective on dev (at its tuned thresholds for multi-label)
    member_scores: list[float]  # each member alone, scored the same way
    thresholds: ThresholdResult | None  # multi-label: the ensemble's tuned thresholds
    evaluated: int = 0  # weight vectors scored while tuning
    notes: list[str] = field(default_factory=list)

    def record(self) -> dict:
        """JSON-ready summary, kept in the model's calibration record."""
        return {
            "weighting": self.weighting,
            "weights": [round(float(w), 6) for w in self.weights],
            "objective": self.objective,
            "ensemble_dev_score": self.score,
            "member_dev_scores": self.member_scores,
            "weight_vectors_scored": self.evaluated,
        }


def fit_ensemble(
    member_probs: Sequence[np.ndarray],
    gold: np.ndarray,
    *,
    multi_label: bool,
    weights: str | Sequence[float] = "mean",
    objective: str = "micro-f1",
    grid: float = 0.001,
    rule: DecisionRule | None = None,
) -> EnsembleFit:
    """Choose member weights (``mean``, ``tuned`` on this data, or the given numbers) and score the result."""
    probs = [np.asarray(p, dtype=np.float64) for p in member_probs]
    if not probs:
        raise KoclassifyError("an ensemble needs at least one member")
    gold = np.asarray(gold)
    for i, p in enumerate(probs):
        if p.shape != gold.shape:
            raise KoclassifyError(f"member {i + 1}: probabilities {p.shape} but gold labels {gold.shape}")
    m = len(probs)

    def evaluate(w: np.ndarray) -> tuple[float, ThresholdResult | None]:
        return score(combine(probs, w), gold, multi_label=multi_label, objective=objective, grid=grid, rule=rule)

    member_scores = [evaluate(np.eye(m)[i])[0] for i in range(m)]
    evaluated = 0
    if isinstance(weights, str):
        if weights not in WEIGHTINGS:
            raise KoclassifyError(f"weights must be one of {', '.join(WEIGHTINGS)} or numbers, not {weights!r}")
        w = np.full(m, 1.0 / m)
        weighting = weights
        if weights == "tuned" and m > 1:
            w, evaluated = _coordinate_ascent(w, lambda v: evaluate(v)[0])
    else:
        w, weighting = normalise(weights, m), "given"
    best, result = evaluate(w)
    return EnsembleFit(w, weighting, objective, best, member_scores, result, evaluated)


def _coordinate_ascent(start: np.ndarray, objective: object) -> tuple[np.ndarray, int]:
    """Maximise ``objective(weights)`` over the simplex, one member's weight at a time on a ``STEP`` grid."""
    cache: dict[tuple[float, ...], float] = {}

    def value(w: np.ndarray) -> float:
        key = tuple(np.round(w, 9))
        if key not in cache:
            cache[key] = objective(w)  # type: ignore[operator]
        return cache[key]

    m = len(start)
    w = start.copy()
    best = value(w)
    grid = np.round(np.arange(0, 1 + STEP / 2, STEP), 9)
    for _ in range(MAX_ROUNDS):
        changed = False
        for i in range(m):
            others = np.delete(w, i)
            share = others / others.sum() if others.sum() > 0 else np.full(m - 1, 1.0 / (m - 1))
            for wi in grid:
                candidate = np.insert(share * (1.0 - wi), i, wi)
                v = value(candidate)
                if v > best + 1e-12:
                    best, w, changed = v, candidate, True
        if not changed:
            break
    return w, len(cache)
