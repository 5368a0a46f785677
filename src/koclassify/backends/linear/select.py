"""Choosing the embedding block's scale and the head on held-out rows, instead of guessing them.

NB weighting of the sparse blocks can be chosen the same way (``nb="select"``: each candidate is tried at each NB
strength of ``NB_SELECT``). The default, ``nb="auto"``, does not spend fits on it: it takes the strength the
benchmarks chose for the kind of task (``auto_strength``).

In the hybrid, the dense block's weight against the sparse blocks decides how much the regulariser lets each
side speak; with the dense block alone the same factor acts as the regularisation strength. A few values are
tried (and, on embeddings alone, an MLP head beside logistic regression), each fitted on the training part and
scored on the validation part: the ``dev`` set when one is given, else a stratified 20% of the training rows.
The score is threshold-free (thresholds are tuned later, elsewhere): micro average precision for multi-label,
log-loss for multi-class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from koclassify.backends.linear.spec import HEADS, SCALES, check_head, parse_scales

NB_MODES = ("auto", "select", "on", "off")  # or a number in [0, 1]: a strength (on = 1, off = 0)
NB_SELECT = (0.0, 0.5, 1.0)  # the strengths nb="select" tries on held-out rows
# nb="auto": the strength for multi-label and two-class models; models with more classes get none. Measured with
# bench/quality.py (docs/benchmarks.md): 0.5 gains on KOTE (44 labels) and nsmc (2 classes) and loses on the
# 3-class hate-speech set (-0.85 accuracy points; 1.0 loses 4.9), where a 20% holdout still picked 0.5.
NB_AUTO_STRENGTH = 0.5
__all__ = ["HEADS", "NB_MODES", "NB_SELECT", "SCALES", "Choice", "auto_strength", "candidates", "check_nb",
           "fixed_strength", "holdout", "nb_option", "parse_scales", "pick", "saved_strength"]  # fmt: skip

MIN_ROWS = 20  # fewer training rows than this: no split is worth making, take the first candidate


@dataclass(frozen=True)
class Choice:
    head: str  # "logistic" or "mlp"
    scale: float | None  # dense-block factor for logistic heads; None for the MLP (it reads z-scores)
    nb: float = 0.0  # NB strength of the sparse features (logistic heads over TF-IDF blocks only): 0 = none

    @property
    def name(self) -> str:
        name = self.head if self.scale is None else f"{self.head}@{self.scale:g}"
        if not self.nb:
            return name
        return f"{name}+nb" if self.nb == 1 else f"{name}+nb{self.nb:g}"


def check_nb(value: object) -> str | float:
    """``auto``, ``select``, ``on``, ``off`` (``True``/``False``: on/off), or a strength in [0, 1] (0 off, 1 on)."""
    from koclassify.backends.linear.spec import FeatureSpecError

    if isinstance(value, str) and value in NB_MODES:
        return value
    if isinstance(value, bool):  # YAML reads a bare on/off as a boolean
        return "on" if value else "off"
    try:
        strength = float(value)  # type: ignore[arg-type]  # anything else is refused below
    except (TypeError, ValueError):
        strength = float("nan")
    if not 0 <= strength <= 1:  # also refuses nan
        raise FeatureSpecError(f"nb must be auto, select, on, off or a number in [0, 1], got {value!r}")
    return nb_option(strength)


def nb_option(strength: float) -> str | float:
    """The option value that asks for this strength: ``off`` for 0, ``on`` for 1, else the number."""
    return "off" if strength == 0 else "on" if strength == 1 else strength


def auto_strength(*, multi_label: bool, n_classes: int) -> float:
    """What ``nb="auto"`` uses: ``NB_AUTO_STRENGTH`` for multi-label and two-class models, else 0."""
    return NB_AUTO_STRENGTH if multi_label or n_classes <= 2 else 0.0


def nb_strengths(nb: object, *, multi_label: bool, n_classes: int) -> tuple[float, ...]:
    """The strengths to try for an ``nb`` option value."""
    value = check_nb(nb)
    if value == "select":
        return NB_SELECT
    if value == "auto":
        return (auto_strength(multi_label=multi_label, n_classes=n_classes),)
    return (fixed_strength(value),)


def fixed_strength(value: str | float) -> float:
    """The strength of a checked ``on``, ``off`` or number (``auto`` and ``select`` depend on the data)."""
    if value in ("auto", "select"):
        raise ValueError(f"nb={value!r} is not a fixed strength")
    return {"on": 1.0, "off": 0.0}[value] if isinstance(value, str) else float(value)


def saved_strength(value: object) -> float:
    """The NB strength a saved model records (``true``/``false`` in models saved before strengths, none before NB)."""
    return 0.0 if value is None else fixed_strength(check_nb(value))


def candidates(
    head: str,
    scales: Sequence[float],
    *,
    sparse: bool,
    dense: bool,
    nb: object = "off",
    multi_label: bool = False,
    n_classes: int = 2,
) -> list[Choice]:
    """What to try. The MLP only applies to embeddings alone (a hidden layer over a sparse vocabulary is huge);
    NB weighting only to TF-IDF blocks (``nb="select"`` tries each logistic candidate at each of ``NB_SELECT``)."""
    check_head(head, sparse=sparse, dense=dense)
    nb_values = nb_strengths(nb, multi_label=multi_label, n_classes=n_classes) if sparse else (0.0,)
    if not dense:
        return [Choice("logistic", None, v) for v in nb_values]
    logistic = [Choice("logistic", s, v) for v in nb_values for s in scales]
    if head == "mlp":
        return [Choice("mlp", None)]
    if head == "auto" and not sparse:
        return logistic + [Choice("mlp", None)]
    return logistic


def holdout(y: np.ndarray, *, multi_label: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """A stratified 80/20 split of the training rows (``None`` when there are too few rows)."""
    from koclassify.metadata.splits import kfold_indices  # scikit-learn: imported when training, not when checking nb=

    if len(y) < MIN_ROWS:
        return None
    return next(kfold_indices(y, folds=5, seed=seed, multi_label=multi_label))


def score(probs: np.ndarray, y: np.ndarray, *, multi_label: bool) -> float:
    """Higher is better."""
    from sklearn.metrics import average_precision_score, log_loss  # not at import: options.py imports check_nb

    if multi_label:
        present = y.sum(axis=0) > 0
        if not present.any():
            return 0.0
        return float(average_precision_score(y[:, present], probs[:, present], average="micro"))
    return -float(log_loss(y.argmax(axis=1), np.clip(probs, 1e-12, 1.0), labels=np.arange(y.shape[1])))


def pick(
    options: Sequence[Choice],
    fit_and_predict: Callable[[Choice], np.ndarray],
    y_val: np.ndarray,
    *,
    multi_label: bool,
) -> tuple[Choice, dict[str, float]]:
    """The candidate with the best validation score, and every candidate's score (for the model record)."""
    scores = {}
    for choice in options:
        scores[choice.name] = score(fit_and_predict(choice), y_val, multi_label=multi_label)
    best = max(options, key=lambda c: scores[c.name])  # the first on a tie: NB only when it scores better
    return best, scores
