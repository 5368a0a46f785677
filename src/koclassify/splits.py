"""Splitting data: k folds for cross-validated calibration (stratified, multi-label aware)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold


def kfold_indices(
    y: np.ndarray, *, folds: int = 5, seed: int = 0, multi_label: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (train, test) index arrays. Multi-label uses iterative stratification (Sechidis et al. 2011)."""
    n = len(y)
    if folds < 2 or folds > n:
        raise ValueError(f"cannot make {folds} folds from {n} rows")
    if multi_label:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        yield from splitter.split(np.zeros(n), y)
        return
    classes = y.argmax(axis=1)
    if np.bincount(classes).min(initial=n) >= folds:
        yield from StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n), classes)
    else:  # a class rarer than the fold count cannot be stratified
        yield from KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n))
