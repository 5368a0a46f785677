"""Metadata priors: what a field (artist, bias, album, release year ...) says about the label, mixed into any
backend's probabilities.

The KoBERT lyrics recipe's first idea: an artist's songs mostly share genres, so the artist should move the model's
prediction. :class:`FieldPrior` learns ``P(label | value)`` from training counts, smoothed towards the label's
base rate (``(count + alpha * base) / (n + alpha)``), and uses only values seen ``min_count`` times; a row whose
values are all unknown keeps the model's probabilities. Two ways to combine:

``learned`` (default): a log-linear mix ``log p + w * (log P(l|v) - log P(l))`` (log-odds for multi-label),
    renormalised. Dividing by the base rate keeps the label frequencies from being counted twice (the model
    already knows them); ``w`` is chosen on dev by log loss, from a grid that includes 0, so a useless field
    gets weight 0 instead of hurting.
``multiplier``: the KoBERT lyrics recipe: ``x1.5`` for the labels the value was seen with in training. That recipe
    multiplies raw logits, which lowers negative logits; here the factor multiplies the odds (adds
    ``log 1.5`` to the logit), the sign-safe form of the same boost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import log_loss

from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import DataError, ModelError
from koclassify.metadata.fields import field_values
from koclassify.options import PRIOR_MODES as MODES  # declared once, with the other options

WEIGHT_GRID = tuple(round(w, 2) for w in np.arange(0.0, 3.01, 0.1))
FORMAT_VERSION = 1
_EPS = 1e-6


class FieldPrior:
    """``P(label | field value)`` from training counts, applied to a backend's (n, L) probabilities.

    >>> prior = FieldPrior("artist").fit(train_examples, clf.labels_)   # counts
    >>> prior.tune(dev_probs, dev_examples, dev_gold)                    # learned weight (mode="learned")
    >>> prior.apply(probs, examples)                                     # mixed probabilities

    Args:
        field: a column of ``Example.fields`` (``release_date:year`` for a date column's year).
        mode: ``learned`` (log-linear, weight tuned on dev) or ``multiplier`` (the KoBERT lyrics recipe's fixed boost).
        alpha: smoothing strength (pseudo-rows at the base rate).
        min_count: training rows a value needs before it is trusted.
        multiplier: the ``multiplier`` mode's factor on the odds of the value's known labels.
        weight: the ``learned`` mode's weight; 1.0 until :meth:`tune` sets it.
        sep: separator of several values in one cell (``"빅토, 제이린"``).
    """

    def __init__(
        self,
        field: str,
        *,
        mode: str = "learned",
        alpha: float = 1.0,
        min_count: int = 2,
        multiplier: float = 1.5,
        weight: float = 1.0,
        sep: str = ",",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"prior mode must be one of {MODES}, got {mode!r}")
        if alpha < 0 or min_count < 1 or multiplier <= 0:
            raise ValueError("need alpha >= 0, min_count >= 1 and multiplier > 0")
        self.field = field
        self.mode = mode
        self.alpha = float(alpha)
        self.min_count = int(min_count)
        self.multiplier = float(multiplier)
        self.weight = float(weight)
        self.sep = sep
        self.names: tuple[str, ...] = ()
        self.multi_label = False
        self.base_: np.ndarray | None = None
        self.counts_: dict[str, np.ndarray] = {}
        self.totals_: dict[str, int] = {}
        self.stats_: dict[str, Any] = {}

    # ------------------------------------------------------------------ learning
    def fit(self, examples: Sequence[Example], labels: LabelSpace) -> FieldPrior:
        """Count labels per value over the labelled rows (split-mode instances count once each)."""
        y = labels.indicator(list(examples), source=f"prior on {self.field!r}")
        self.names, self.multi_label = labels.names, labels.multi_label
        self.base_ = np.clip(y.mean(axis=0), _EPS, 1 - _EPS)
        counts: dict[str, np.ndarray] = {}
        totals: dict[str, int] = {}
        unparseable = empty = 0
        for ex, row in zip(examples, y):
            values = field_values(ex, self.field, self.sep)
            if values is None:
                unparseable += 1
                continue
            empty += not values
            for value in values:
                counts[value] = counts.get(value, np.zeros(len(labels))) + row
                totals[value] = totals.get(value, 0) + 1
        self.counts_, self.totals_ = counts, totals
        trusted = sum(1 for n in totals.values() if n >= self.min_count)
        self.stats_ = {
            "rows": len(y),
            "values": len(totals),
            "trusted_values": trusted,
            "rows_without_value": empty,
            "rows_unparseable": unparseable,
        }
        return self

    def distribution(self, values: Sequence[str]) -> np.ndarray | None:
        """Smoothed ``P(label | values)``: the mean over the trusted values, ``None`` when none is trusted."""
        base = self._fitted()
        rows = [
            (self.counts_[v] + self.alpha * base) / (self.totals_[v] + self.alpha)
            for v in values
            if self.totals_.get(v, 0) >= self.min_count
        ]
        return np.mean(rows, axis=0) if rows else None

    def known_labels(self, values: Sequence[str]) -> np.ndarray | None:
        """0/1 over labels: seen with any trusted value in training (the ``multiplier`` mode's 'known genres')."""
        self._fitted()
        rows = [self.counts_[v] > 0 for v in values if self.totals_.get(v, 0) >= self.min_count]
        return np.any(rows, axis=0) if rows else None

    # ------------------------------------------------------------------ combining
    def apply(self, probs: np.ndarray, examples: Sequence[Example], *, weight: float | None = None) -> np.ndarray:
        """Mix the prior into ``probs`` row by row; rows without a trusted value are returned unchanged."""
        base = self._fitted()
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (len(examples), len(self.names)):
            raise ModelError(
                f"prior on {self.field!r}: probabilities of shape {probs.shape} for {len(examples)} rows "
                f"and {len(self.names)} labels"
            )
        w = self.weight if weight is None else weight
        out = probs.copy()
        for i, ex in enumerate(examples):
            values = field_values(ex, self.field, self.sep) or []
            if self.mode == "multiplier":
                known = self.known_labels(values)
                if known is not None:
                    out[i] = self._shift(probs[i], np.log(self.multiplier) * known)
            else:
                dist = self.distribution(values)
                if dist is not None and w:
                    out[i] = self._shift(probs[i], w * (self._logit(dist) - self._logit(base)))
        return out

    def _logit(self, p: np.ndarray) -> np.ndarray:
        """Log-probability (multi-class) or log-odds (multi-label): the space the prior is added in."""
        p = np.clip(p, _EPS, 1 - _EPS)
        return np.log(p) - (np.log1p(-p) if self.multi_label else 0.0)

    def _shift(self, p: np.ndarray, delta: np.ndarray) -> np.ndarray:
        z = self._logit(p) + delta
        if self.multi_label:
            return 1.0 / (1.0 + np.exp(-z))
        z = np.exp(z - z.max())
        return z / z.sum()

    def tune(self, probs: np.ndarray, examples: Sequence[Example], gold: np.ndarray) -> float:
        """Choose the ``learned`` weight on held-out rows by log loss; 0 (model alone) is one of the choices."""
        if self.mode != "learned":
            return self.weight
        gold = np.asarray(gold)
        losses = [self._loss(self.apply(probs, examples, weight=w), gold) for w in WEIGHT_GRID]
        best = int(np.argmin(losses))
        self.weight = float(WEIGHT_GRID[best])
        covered = sum(self.distribution(field_values(ex, self.field, self.sep) or []) is not None for ex in examples)
        self.stats_["tuning"] = {
            "rows": len(gold),
            "rows_with_trusted_value": int(covered),
            "log_loss_model": float(losses[0]),
            "log_loss_mixed": float(losses[best]),
            "weight": self.weight,
        }
        return self.weight

    def _loss(self, probs: np.ndarray, gold: np.ndarray) -> float:
        probs = np.clip(probs, _EPS, 1 - _EPS)
        if self.multi_label:
            return float(log_loss(gold.ravel(), probs.ravel(), labels=[0, 1]))
        return float(log_loss(gold, probs / probs.sum(axis=1, keepdims=True)))

    def _fitted(self) -> np.ndarray:
        if self.base_ is None:
            raise ModelError(f"the prior on {self.field!r} is not fitted: call fit() first")
        return self.base_

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict[str, Any]:
        base = self._fitted()
        return {
            "format_version": FORMAT_VERSION,
            "field": self.field,
            "mode": self.mode,
            "alpha": self.alpha,
            "min_count": self.min_count,
            "multiplier": self.multiplier,
            "weight": self.weight,
            "sep": self.sep,
            "labels": list(self.names),
            "multi_label": self.multi_label,
            "base": base.tolist(),
            "totals": self.totals_,
            "counts": {v: {self.names[j]: float(c[j]) for j in np.flatnonzero(c)} for v, c in self.counts_.items()},
            "stats": self.stats_,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FieldPrior:
        try:
            prior = cls(
                obj["field"],
                mode=obj["mode"],
                alpha=obj["alpha"],
                min_count=obj["min_count"],
                multiplier=obj["multiplier"],
                weight=obj["weight"],
                sep=obj.get("sep", ","),
            )
            prior.names = tuple(obj["labels"])
            prior.multi_label = bool(obj["multi_label"])
            prior.base_ = np.asarray(obj["base"], dtype=np.float64)
            index = {name: j for j, name in enumerate(prior.names)}
            prior.totals_ = {v: int(n) for v, n in obj["totals"].items()}
            prior.counts_ = {}
            for value, sparse in obj["counts"].items():
                row = np.zeros(len(prior.names))
                for name, count in sparse.items():
                    row[index[name]] = count
                prior.counts_[value] = row
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"invalid prior file: {exc!r}") from None
        prior.stats_ = obj.get("stats", {})
        return prior

    def __repr__(self) -> str:
        return f"FieldPrior({self.field!r}, mode={self.mode!r}, weight={self.weight}, values={len(self.totals_)})"
