"""``linear``: the offline default. Character, word and Kiwi-morpheme TF-IDF + logistic regression.

Needs no download (kiwipiepy ships its model) and trains in seconds on a laptop CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.backends.base import Backend
from koclassify.backends.linear.features import BLOCKS, TARGET_BLOCKS, FeatureUnion
from koclassify.backends.linear.head import LinearHead, fit_head
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import ModelError
from koclassify.io import read_json, write_json

DEFAULT_BLOCKS = ("char", "morph")  # "word" measured no gain on top of these (docs/benchmarks.md)
META_FILE = "linear.json"
ARRAYS_FILE = "arrays.npz"


class LinearBackend(Backend):
    """TF-IDF feature blocks + logistic regression.

    Options:
        features: ``"auto"`` (char + morph, plus target + context blocks when the data has target spans),
            or a comma-separated list of blocks from ``char, word, morph, target, context``.
        C: inverse regularisation strength of the logistic regressions.
        class_weight: ``None`` or ``"balanced"`` (helps macro-F1 on skewed classes).
        min_df: drop n-grams seen in fewer training rows.
        max_features: cap per block (``None``: no cap).
        context_width: characters each side of a target span in the ``context`` block.
        n_jobs: parallel one-vs-rest fits (multi-label).
    """

    name = "linear"

    def __init__(
        self,
        features: str = "auto",
        C: float = 2.0,
        class_weight: str | None = None,
        min_df: int = 2,
        max_features: int | None = None,
        context_width: int = 12,
        max_iter: int = 300,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(
            features=features,
            C=C,
            class_weight=class_weight,
            min_df=min_df,
            max_features=max_features,
            context_width=context_width,
            max_iter=max_iter,
            n_jobs=n_jobs,
        )
        self.features: FeatureUnion | None = None
        self.head: LinearHead | None = None

    def _blocks(self, examples: Sequence[Example]) -> list[str]:
        spec = self.options["features"]
        if spec == "auto":
            has_span = any(ex.target is not None and ex.target.form for ex in examples)
            return list(DEFAULT_BLOCKS) + (list(TARGET_BLOCKS) if has_span else [])
        blocks = [b.strip() for b in str(spec).split(",") if b.strip()]
        unknown = [b for b in blocks if b not in BLOCKS]
        if unknown or not blocks:
            raise ValueError(f"unknown feature blocks {unknown}; choose from {sorted(BLOCKS)} or 'auto'")
        return blocks

    def fit(
        self,
        examples: Sequence[Example],
        y: np.ndarray,
        labels: LabelSpace,
        dev: tuple[Sequence[Example], np.ndarray] | None = None,
    ) -> LinearBackend:
        opts = self.options
        # min_df=2 would empty a tiny training set's vocabulary; scale it down for very small data
        min_df = opts["min_df"] if len(examples) >= 20 * opts["min_df"] else 1
        self.features = FeatureUnion(
            self._blocks(examples),
            min_df=min_df,
            max_features=opts["max_features"],
            context_width=opts["context_width"],
        )
        X = self.features.fit_transform(examples)
        self.head = fit_head(
            X,
            y,
            multi_label=labels.multi_label,
            C=float(opts["C"]),
            class_weight=opts["class_weight"],
            max_iter=int(opts["max_iter"]),
            n_jobs=opts["n_jobs"],
        )
        self.labels = labels
        return self

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        self.check_fitted()
        assert self.features is not None and self.head is not None
        return self.head.predict_proba(self.features.transform(examples))

    def save(self, directory: Path) -> None:
        self.check_fitted()
        assert self.features is not None and self.head is not None
        directory.mkdir(parents=True, exist_ok=True)
        meta, arrays = self.features.state()
        write_json(directory / META_FILE, {"features": meta, "head": {"kind": self.head.kind}})
        np.savez(directory / ARRAYS_FILE, coef=self.head.coef, intercept=self.head.intercept, **arrays)

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> LinearBackend:
        try:
            meta = read_json(directory / META_FILE)
            with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{directory}: cannot load linear weights: {exc}") from None
        backend = cls(**options)
        backend.features = FeatureUnion.from_state(meta["features"], arrays)
        backend.head = LinearHead(meta["head"]["kind"], arrays["coef"], arrays["intercept"])
        if backend.head.coef.shape != (len(labels), backend.features.n_features):
            raise ModelError(f"{directory}: weights do not match the label space or the vocabularies")
        backend.labels = labels
        return backend
