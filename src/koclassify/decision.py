"""Turning probabilities into label decisions: thresholds for multi-label, argmax for multi-class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Rule = Literal["threshold", "at_least_one", "max_labels", "argmax"]
RULES: tuple[str, ...] = ("threshold", "at_least_one", "max_labels", "argmax")


@dataclass
class DecisionRule:
    """How a row of probabilities becomes a 0/1 row.

    - ``argmax``: multi-class; exactly the most probable label.
    - ``threshold``: every label whose probability reaches its threshold (possibly none).
    - ``at_least_one``: as ``threshold``, but a row where nothing passes takes its most probable label
      (top NIKL 2023 systems did this: every row has at least one emotion).
    - ``max_labels``: as ``at_least_one``, then keep at most ``max_labels`` labels, the most probable first.
    """

    rule: str = "threshold"  # one of RULES (the Rule literal), checked on construction
    max_labels: int | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown decision rule {self.rule!r}; choose one of {RULES}")
        if self.rule == "max_labels" and not (self.max_labels and self.max_labels >= 1):
            raise ValueError("the max_labels rule needs max_labels >= 1")

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
        if self.rule in ("at_least_one", "max_labels"):
            empty = ~out.any(axis=1)
            out[np.flatnonzero(empty), probs[empty].argmax(axis=1)] = True
        if self.rule == "max_labels":
            k = int(self.max_labels or 1)
            if k < n_labels:
                # rank of each label within its row, most probable = 0; drop passed labels ranked >= k
                order = np.argsort(-probs, axis=1, kind="stable")
                rank = np.empty_like(order)
                rank[np.arange(n)[:, None], order] = np.arange(n_labels)[None, :]
                out &= rank < k
        return out

    def to_json(self) -> dict:
        return {"rule": self.rule, "max_labels": self.max_labels}

    @classmethod
    def from_json(cls, obj: dict) -> DecisionRule:
        return cls(obj.get("rule", "threshold"), obj.get("max_labels"))
