"""Turning probabilities into label decisions: thresholds for multi-label, argmax for multi-class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Rule = Literal["threshold", "at_least_one", "max_labels", "argmax"]
RULES: tuple[str, ...] = ("threshold", "at_least_one", "max_labels", "argmax")
FALLBACKS: tuple[str, ...] = ("ratio", "prob")
AT_LEAST_ONE_SHARE = 0.99  # decision="auto": this share of labelled training rows switches at_least_one on
MIN_THRESHOLD = 1e-6  # p / threshold with a 0 threshold: every label passes there anyway


@dataclass
class DecisionRule:
    """How a row of probabilities becomes a 0/1 row.

    - ``argmax``: multi-class; exactly the most probable label.
    - ``threshold``: every label whose probability reaches its threshold (possibly none).
    - ``at_least_one``: as ``threshold``, but a row where nothing passes takes one label (top NIKL 2023
      systems did this: every row has at least one emotion): the one closest to passing, i.e. the highest
      ``p / threshold`` (``fallback="ratio"``). A label with a high threshold is one the data says to be strict
      about; its probability alone overstates it. ``fallback="prob"`` (models saved before this rule) takes the
      highest probability.
    - ``max_labels``: as ``at_least_one``, then keep at most ``max_labels`` labels, ranked by the same score.

    ``labelled_share`` records, for a rule chosen by ``decision="auto"``, the share of training rows that had a
    label (the evidence for ``at_least_one``); ``None`` when the rule was given.
    """

    rule: str = "threshold"  # one of RULES (the Rule literal), checked on construction
    max_labels: int | None = None
    fallback: str = "ratio"
    labelled_share: float | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown decision rule {self.rule!r}; choose one of {RULES}")
        if self.rule == "max_labels" and not (self.max_labels and self.max_labels >= 1):
            raise ValueError("the max_labels rule needs max_labels >= 1")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"unknown fallback {self.fallback!r}; choose one of {FALLBACKS}")
        share = self.labelled_share
        number = isinstance(share, (int, float)) and not isinstance(share, bool)
        if share is not None and not (number and 0 <= share <= 1):
            raise ValueError(f"labelled_share must be a number in [0, 1], got {share!r}")

    def scores(self, probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """What the fallback and the ``max_labels`` cap rank by: ``p / threshold`` or ``p``."""
        if self.fallback == "prob":
            return probs
        return probs / np.maximum(np.asarray(thresholds, dtype=np.float64), MIN_THRESHOLD)[None, :]

    def apply(self, probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """(n, L) probabilities and (L,) thresholds -> (n, L) bool decisions."""
        probs = np.asarray(probs)
        n, n_labels = probs.shape
        if self.rule == "argmax":
            out = np.zeros((n, n_labels), dtype=bool)
            out[np.arange(n), probs.argmax(axis=1)] = True
            return out
        # the same tolerance as calibration: 30.1% read as 0.301 must pass a 0.301 threshold
        out = probs >= thresholds[None, :] - 1e-9
        if self.rule not in ("at_least_one", "max_labels"):
            return out
        score = self.scores(probs, thresholds)
        empty = ~out.any(axis=1)
        out[np.flatnonzero(empty), score[empty].argmax(axis=1)] = True
        if self.rule == "max_labels":
            k = int(self.max_labels or 1)
            if k < n_labels:
                # rank of each label within its row, best = 0; drop passed labels ranked >= k
                order = np.argsort(-score, axis=1, kind="stable")
                rank = np.empty_like(order)
                rank[np.arange(n)[:, None], order] = np.arange(n_labels)[None, :]
                out &= rank < k
        return out

    def to_json(self) -> dict:
        out: dict = {"rule": self.rule, "max_labels": self.max_labels, "fallback": self.fallback}
        if self.labelled_share is not None:
            out["labelled_share"] = self.labelled_share
        return out

    @classmethod
    def from_json(cls, obj: dict) -> DecisionRule:
        # models saved before the p / threshold fallback keep deciding as they did
        return cls(obj.get("rule", "threshold"), obj.get("max_labels"), obj.get("fallback", "prob"),
                   obj.get("labelled_share"))  # fmt: skip


def auto_rule(y: np.ndarray, min_share: float = AT_LEAST_ONE_SHARE) -> DecisionRule:
    """``at_least_one`` when at least ``min_share`` of the training rows carry a label, else ``threshold``.

    Not "every row": two unlabelled rows in 15,000 (annotation slips) should not switch the rule off, while a set
    where a real share of rows has no label (a ``none`` outcome left implicit) must keep plain thresholds."""
    share = float((np.asarray(y).sum(axis=1) > 0).mean()) if len(y) else 0.0
    rule = "at_least_one" if share >= min_share else "threshold"
    return DecisionRule(rule, labelled_share=round(share, 6))
