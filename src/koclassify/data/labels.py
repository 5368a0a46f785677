"""Label spaces: the ordered names and whether a row may carry several of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from koclassify.data.example import Example
from koclassify.errors import DataError

MAX_LABELS = 10_000  # distinct labels of one model (KOTE has 44): 100,000 made training hang, not fail


def set_aside_unlabelled(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """``--lenient`` for a multi-class file (no row with several labels): ``(kept, set aside)``, the rows whose
    label is empty, blank or null set aside instead of failing. A multi-label file keeps them all."""
    if any(ex.labels is not None and len(ex.labels) > 1 for ex in examples):
        return list(examples), []
    kept = [ex for ex in examples if ex.labels is None or ex.labels]
    aside = [ex for ex in examples if ex.labels is not None and not ex.labels]
    return kept, aside


@dataclass(frozen=True)
class LabelSpace:
    names: tuple[str, ...]
    multi_label: bool

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"duplicate label names: {self.names}")
        if not self.names:
            raise DataError("the data holds no labels: nothing to learn")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    @classmethod
    def from_examples(
        cls, examples: Iterable[Example], multi_label: bool | None = None, names: Sequence[str] | None = None
    ) -> LabelSpace:
        """Collect labels in first-seen order (or use ``names``); infer multi-label if any row has several labels.

        The task kind is decided from all rows: a row without a label never makes a task multi-label on its own
        (an empty cell or ``null`` is far more often a mistake); in a task that is otherwise multi-class it is an
        error naming the row, unless ``multi_label`` is given.
        """
        seen: dict[str, None] = {}
        inferred_multi = False
        unlabelled: Example | None = None
        for ex in examples:
            if ex.labels is None:
                continue
            if len(ex.labels) > 1:
                inferred_multi = True
            elif not ex.labels and unlabelled is None:
                unlabelled = ex
            for lab in ex.labels:
                seen.setdefault(lab, None)
        if len(seen) > MAX_LABELS:
            raise DataError(
                f"{len(seen)} distinct labels, more than the {MAX_LABELS} a model can hold; is the label column "
                "(or --label-sep) right?"
            )
        if multi_label is None and not inferred_multi and unlabelled is not None:
            raise DataError(
                f"row id={unlabelled.id!r} has no label, and no row has more than one: the task is multi-class. "
                "Give the row a label, or pass --multi-label (multi_label=True) if rows may have none"
            )
        label_names = tuple(names) if names is not None else tuple(seen)
        return cls(label_names, inferred_multi if multi_label is None else multi_label)

    def indicator(self, examples: Sequence[Example], source: str = "data") -> np.ndarray:
        """(n, L) 0/1 matrix of gold labels. Unknown labels and label-less rows are errors that name the row."""
        idx = self.index
        y = np.zeros((len(examples), len(self.names)), dtype=np.float32)
        for row, ex in enumerate(examples):
            if ex.labels is None:
                raise DataError(f"{source}: row id={ex.id!r} has no gold labels")
            if not self.multi_label and len(ex.labels) != 1:
                raise DataError(
                    f"{source}: row id={ex.id!r} has {len(ex.labels)} labels {list(ex.labels)} "
                    "but the task is multi-class (use --multi-label, or split the row)"
                )
            for lab in ex.labels:
                if lab not in idx:
                    raise DataError(
                        f"{source}: row id={ex.id!r} has label {lab!r}, "
                        f"which is not in the label space {list(self.names)}"
                    )
                y[row, idx[lab]] = 1.0
        return y

    def decode(self, indicator_row: np.ndarray) -> tuple[str, ...]:
        return tuple(self.names[i] for i in np.flatnonzero(indicator_row))

    def to_json(self) -> dict:
        return {"names": list(self.names), "multi_label": self.multi_label}

    @classmethod
    def from_json(cls, obj: dict) -> LabelSpace:
        return cls(tuple(obj["names"]), bool(obj["multi_label"]))
