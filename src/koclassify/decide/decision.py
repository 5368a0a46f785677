"""Turning probabilities into label decisions: thresholds for multi-label, argmax for multi-class.

The one home of the decision rule. The option a person sets (``decision``, ``max_labels``) is declared once, as
:class:`koclassify.options.DecisionOptions`; this module names the rules, chooses the rule a model decides by
(:func:`choose_rule`: training, ensembles), checks a rule named after training (:func:`given_rule`:
``calibrate --decision``, ``merge --decision``, :meth:`koclassify.Classifier.set_decision`), applies it
(:meth:`DecisionRule.apply`) and tells the others what it means (:attr:`DecisionRule.fills_empty_rows` for
threshold tuning, :func:`rule_name` for the service and the report). Nobody else spells a rule's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from koclassify.options import DECISIONS, DecisionOptions, OptionError

GIVEN_RULES: tuple[str, ...] = tuple(d for d in DECISIONS if d != "auto")  # what a person may name
RULES: tuple[str, ...] = (*GIVEN_RULES, "argmax")  # argmax: multi-class models, never asked for
FILLING_RULES = ("at_least_one", "max_labels")  # a row where nothing passes still takes one label
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

    rule: str = "threshold"  # one of RULES, checked on construction
    max_labels: int | None = None
    fallback: str = "ratio"
    labelled_share: float | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown decision rule {self.rule!r}; choose one of {RULES}")
        if self.rule == "max_labels" and not (self.max_labels and self.max_labels >= 1):
            raise ValueError("the max_labels rule needs max_labels >= 1")
        if self.max_labels is not None and not (isinstance(self.max_labels, int) and self.max_labels >= 1):
            raise ValueError(f"max_labels must be an integer >= 1 or null, got {self.max_labels!r}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"unknown fallback {self.fallback!r}; choose one of {FALLBACKS}")
        share = self.labelled_share
        number = isinstance(share, (int, float)) and not isinstance(share, bool)
        if share is not None and not (number and 0 <= share <= 1):
            raise ValueError(f"labelled_share must be a number in [0, 1], got {share!r}")

    @property
    def fills_empty_rows(self) -> bool:
        """Labels interact under this rule: one label's threshold decides which label an empty row takes."""
        return self.rule in FILLING_RULES

    @property
    def uses_thresholds(self) -> bool:
        return self.rule != "argmax"

    def uncapped(self) -> DecisionRule:
        """This rule without the ``max_labels`` cap (what threshold tuning models: the cap only removes labels)."""
        if self.rule != "max_labels":
            return self
        return DecisionRule("at_least_one", fallback=self.fallback)

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


def choose_rule(
    options: DecisionOptions,
    *,
    multi_label: bool,
    y: np.ndarray | None = None,
    inherited: DecisionRule | None = None,
) -> DecisionRule:
    """The rule a model decides by: ``argmax`` for multi-class (the option is about multi-label decisions); the
    rule asked for; for ``auto``, ``inherited`` (an ensemble takes its first member's rule, cap and evidence
    included) or else :func:`auto_rule` of the training labels ``y``."""
    if not multi_label:
        return DecisionRule("argmax")
    if options.decision != "auto":
        return DecisionRule(options.decision, options.max_labels)
    if inherited is not None:
        return inherited
    if y is None:
        raise ValueError("decision='auto' is chosen from the training labels: pass y")
    return auto_rule(y)


def given_rule(decision: str, max_labels: int | None = None) -> DecisionRule:
    """A rule named after training (``calibrate --decision``, ``merge --decision``, ``set_decision``), checked
    as :class:`~koclassify.options.DecisionOptions` declares it; ``auto`` is refused: it is chosen from the
    training labels, which are gone by then."""
    options = DecisionOptions.parse(decision=decision, max_labels=max_labels)
    if options.decision == "auto":
        raise OptionError("decision", "auto", GIVEN_RULES, owner=DecisionOptions.owner)
    return DecisionRule(options.decision, options.max_labels)


def rule_name(rule: DecisionRule | None) -> str:
    """How a model decides, in one word (``argmax`` for multi-class): what the service and the report print."""
    return rule.rule if rule is not None else "argmax"
