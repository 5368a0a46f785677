"""Scores of 0/1 decisions against gold labels: accuracy, micro/macro F1 and per-label precision/recall/F1.

The numbers come from :mod:`sklearn.metrics`; this module only fixes what "accuracy" means for each task type
(multi-class: the right label; multi-label: the exact label set, as NIKL scores it) and shapes the result as
one JSON-ready dict that the CLI, reports and benchmarks share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def evaluate(gold: np.ndarray, pred: np.ndarray, names: Sequence[str], multi_label: bool) -> dict[str, Any]:
    """(n, L) 0/1 gold and predictions -> ``{accuracy, micro_f1, macro_f1, micro_precision, micro_recall,
    samples, per_label: {name: {precision, recall, f1, support}}}``.

    ``macro_f1`` averages over the labels that occur in gold or predictions (scikit-learn's convention with
    ``zero_division=0``), so a label absent from both does not drag the mean down to nothing.
    """
    gold = np.asarray(gold, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    if gold.shape != pred.shape or gold.ndim != 2 or gold.shape[1] != len(names):
        raise ValueError(f"gold {gold.shape} and predictions {pred.shape} must both be (n, {len(names)})")
    if len(gold) == 0:
        raise ValueError("cannot score zero rows")
    if multi_label:
        accuracy = float(accuracy_score(gold, pred))  # subset accuracy: the whole label set must match
    else:
        accuracy = float(np.mean(gold.argmax(axis=1) == pred.argmax(axis=1)))
    p, r, f, support = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    seen = (support > 0) | pred.any(axis=0)
    return {
        "samples": int(len(gold)),
        "accuracy": accuracy,
        "micro_f1": float(mf),
        "macro_f1": float(f[seen].mean()) if seen.any() else 0.0,
        "micro_precision": float(mp),
        "micro_recall": float(mr),
        "per_label": {
            name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, name in enumerate(names)
        },
    }


def format_metrics(metrics: dict[str, Any], *, title: str = "") -> Any:
    """A rich renderable: the headline scores, then one row per label."""
    from rich.console import Group
    from rich.table import Table

    head = (
        f"[bold]{title}[/]  rows {metrics['samples']}  accuracy {metrics['accuracy']:.4f}  "
        f"micro-F1 {metrics['micro_f1']:.4f}  macro-F1 {metrics['macro_f1']:.4f}"
    )
    table = Table(show_edge=False, pad_edge=False)
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for name, row in metrics["per_label"].items():
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"]))
    return Group(head, table)
