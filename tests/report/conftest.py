"""Classifiers whose probabilities the test chooses, so report figures can be checked against hand counts.

``GivenBackend`` returns the probabilities stored in each example's ``fields["p"]``: no training, no Kiwi, and
every number on the page follows from the test's own data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import Backend
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.io import read_json, write_json

EMOTIONS = ("기쁨", "슬픔", "분노", "공포")


class GivenBackend(Backend):
    name = "given"

    def fit(self, examples: Sequence[Example], y: np.ndarray, labels: LabelSpace, dev: Any = None) -> GivenBackend:
        self.labels = labels
        return self

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        return np.array([ex.fields["p"] for ex in examples], dtype=np.float64)

    def save(self, directory: Path) -> None:
        write_json(Path(directory) / "given.json", {"labels": list(self.check_fitted().names)})

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> GivenBackend:
        read_json(Path(directory) / "given.json")
        backend = cls(**options)
        backend.labels = labels
        return backend


def row(i: int, labels: Sequence[str], p: Sequence[float]) -> Example:
    return Example(id=str(i), text=f"문장 {i}", labels=tuple(labels), fields={"p": list(p)})


def noisy_rows(names: Sequence[str], present: Sequence[str], n: int, seed: int) -> list[Example]:
    """Rows whose gold labels come from ``present`` and whose probabilities track the gold with noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        gold = [name for name in present if rng.random() < 0.4] or [present[i % len(present)]]
        p = [float(np.clip((0.55 if name in gold else 0.2) + rng.normal(0, 0.18), 0, 1)) for name in names]
        out.append(row(i, gold, p))
    return out


@pytest.fixture()
def multi_label_clf() -> Classifier:
    """Four Korean emotions; '분노' is absent from the calibration rows, so its threshold stays at 0.5."""
    train = noisy_rows(EMOTIONS, EMOTIONS, 20, seed=0)
    clf = Classifier(GivenBackend(), multi_label=True, decision="threshold").fit(train, labels=EMOTIONS)
    clf.calibrate(noisy_rows(EMOTIONS, ["기쁨", "슬픔", "공포"], 60, seed=1))
    return clf
