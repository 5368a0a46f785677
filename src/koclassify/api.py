"""The public estimator: ``Classifier`` with ``fit / predict_proba / predict / calibrate / save / load``.

``Classifier`` owns what is common to every backend (the label space, thresholds, the decision rule, an
optional metadata prior, the data layout the model was trained on) and delegates probabilities to a backend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify import __version__
from koclassify.backends.base import Backend, get_backend_class
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.decision import DecisionRule
from koclassify.errors import DataError, ModelError
from koclassify.io import atomic_directory, read_json, write_json

CONFIG_FILE = "config.json"
THRESHOLDS_FILE = "thresholds.json"
PRIOR_FILE = "prior.json"
BACKEND_DIR = "backend"

TextsLike = str | Example | Sequence[str | Example]
LabelsLike = Sequence[str | Sequence[str]] | None


def as_examples(X: TextsLike, y: LabelsLike = None) -> list[Example]:
    """Accept one text, a list of texts, or :class:`Example` objects; attach ``y`` when given."""
    if isinstance(X, (str, Example)):
        X = [X]
        if y is not None and (isinstance(y, str) or not isinstance(y, Sequence) or len(y) != 1):
            y = [y]  # type: ignore[list-item]
    examples = [x if isinstance(x, Example) else Example(id=str(i), text=x) for i, x in enumerate(X)]
    for ex in examples:
        if not isinstance(ex.text, str):
            raise DataError(f"row id={ex.id!r}: text must be a string, got {type(ex.text).__name__}")
    if y is None:
        return examples
    if len(y) != len(examples):
        raise DataError(f"got {len(examples)} texts but {len(y)} labels")
    return [ex.with_labels((lab,) if isinstance(lab, str) else tuple(lab)) for ex, lab in zip(examples, y)]


class Classifier:
    """A Korean text classifier.

    >>> clf = Classifier()                       # the offline default: TF-IDF + Kiwi morphemes + logistic regression
    >>> clf.fit(["정말 좋아요", "최악이에요"], ["긍정", "부정"]).predict("좋아요")
    '긍정'

    Args:
        backend: registered backend name (``linear``, ``encoder``, ``llm``) or a :class:`Backend` instance.
        multi_label: force the task type; inferred from the training labels when ``None``.
        decision: ``auto`` (``argmax`` for multi-class; for multi-label ``at_least_one`` when every training
            row has a label, else ``threshold``), or one of ``threshold``, ``at_least_one``, ``max_labels``.
        max_labels: cap for the ``max_labels`` rule.
        **backend_options: passed to the backend's constructor (e.g. ``model=`` for encoder/llm).
    """

    def __init__(
        self,
        backend: str | Backend = "linear",
        *,
        multi_label: bool | None = None,
        decision: str = "auto",
        max_labels: int | None = None,
        **backend_options: Any,
    ) -> None:
        if isinstance(backend, Backend):
            if backend_options:
                raise TypeError("pass options to the backend instance, not to Classifier, when giving an instance")
            self.backend = backend
        else:
            self.backend = get_backend_class(backend)(**backend_options)
        self.multi_label = multi_label
        self.decision = decision
        self.max_labels = max_labels
        self.labels_: LabelSpace | None = None
        self.thresholds_: np.ndarray | None = None
        self.decision_: DecisionRule | None = None
        self.calibration_: dict[str, Any] = {}
        self.prior_: Any = None
        self.data_options: dict[str, Any] = {}

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: TextsLike,
        y: LabelsLike = None,
        *,
        dev: tuple[TextsLike, LabelsLike] | Sequence[Example] | None = None,
        labels: Sequence[str] | None = None,
    ) -> Classifier:
        """Train on examples (labels from ``y`` or from the examples themselves).

        ``dev`` is handed to the backend (early stopping, best checkpoint); thresholds are tuned separately by
        :meth:`calibrate` so that the same code path serves dev sets, cross-validation and foreign probabilities.
        """
        examples = as_examples(X, y)
        if not examples:
            raise DataError("no training examples")
        space = LabelSpace.from_examples(examples, multi_label=self.multi_label, names=labels)
        y_mat = space.indicator(examples, source="training data")
        dev_pair = None
        if dev is not None:
            dev_examples = self._dev_examples(dev)
            dev_pair = (dev_examples, space.indicator(dev_examples, source="dev data"))
        self.backend.fit(examples, y_mat, space, dev=dev_pair)
        self.labels_ = space
        self.thresholds_ = np.full(len(space), 0.5)
        self.decision_ = self._default_rule(space, y_mat)
        self.calibration_ = {}
        return self

    @staticmethod
    def _dev_examples(dev: Any) -> list[Example]:
        if isinstance(dev, tuple) and len(dev) == 2:
            return as_examples(dev[0], dev[1])
        return as_examples(dev)

    def _default_rule(self, space: LabelSpace, y: np.ndarray) -> DecisionRule:
        if not space.multi_label:
            return DecisionRule("argmax")
        if self.decision == "auto":
            return DecisionRule("at_least_one" if bool((y.sum(axis=1) > 0).all()) else "threshold")
        return DecisionRule(self.decision, self.max_labels)  # type: ignore[arg-type]

    # --------------------------------------------------------------- inference
    def _check(self) -> LabelSpace:
        if self.labels_ is None or self.thresholds_ is None or self.decision_ is None:
            raise ModelError("this Classifier is not fitted: call fit() or Classifier.load()")
        return self.labels_

    def predict_proba(self, X: TextsLike, *, use_prior: bool = True) -> np.ndarray:
        """(n, L) probabilities in the order of ``labels_.names`` (after the metadata prior, if one is set)."""
        self._check()
        examples = as_examples(X)
        if not examples:
            return np.zeros((0, len(self.labels_)))  # type: ignore[arg-type]
        probs = np.asarray(self.backend.predict_proba(examples), dtype=np.float64)
        if use_prior and self.prior_ is not None:
            probs = self.prior_.apply(probs, examples)
        return probs

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Apply the stored thresholds and decision rule to probabilities: (n, L) bool."""
        self._check()
        return self.decision_.apply(probs, self.thresholds_)  # type: ignore[union-attr,arg-type]

    def predict(self, X: TextsLike) -> str | tuple[str, ...] | list[str] | list[tuple[str, ...]]:
        """Labels: a string per row for multi-class, a tuple per row for multi-label (one item for one input)."""
        space = self._check()
        single = isinstance(X, (str, Example))
        decisions = self.decide(self.predict_proba(X))
        rows = [space.decode(row) for row in decisions]
        out: list[Any] = rows if space.multi_label else [r[0] for r in rows]
        return out[0] if single else out

    # ------------------------------------------------------------- calibration
    def calibrate(
        self,
        X: TextsLike | None = None,
        y: LabelsLike = None,
        *,
        probs: np.ndarray | None = None,
        gold: np.ndarray | None = None,
        objective: str = "micro-f1",
        grid: float = 0.001,
    ) -> dict[str, float]:
        """Tune one threshold per label on held-out data (or on given ``probs``/``gold``); store and return them."""
        from koclassify.calibration import find_thresholds

        space = self._check()
        if probs is None:
            if X is None:
                raise ValueError("calibrate() needs data (X[, y]) or probs= and gold=")
            examples = as_examples(X, y)
            gold = space.indicator(examples, source="calibration data")
            probs = self.predict_proba(examples)
        if gold is None:
            raise ValueError("calibrate(probs=...) also needs gold=")
        if not space.multi_label:
            # multi-class decisions are argmax: nothing to tune, but record that we were asked
            self.calibration_ = {"objective": objective, "note": "multi-class uses argmax; thresholds unused"}
            return self.thresholds_dict()
        result = find_thresholds(probs, gold, objective=objective, grid=grid, rule=self.decision_)
        self.thresholds_ = np.asarray(result.thresholds, dtype=np.float64)
        self.calibration_ = {
            "objective": objective,
            "grid": grid,
            "rows": int(len(gold)),
            "untuned_labels": [space.names[i] for i in result.untuned],
        }
        return self.thresholds_dict()

    def cross_val_proba(self, X: TextsLike, y: LabelsLike = None, *, folds: int = 5, seed: int = 0) -> np.ndarray:
        """Out-of-fold probabilities from ``folds`` clones of the backend (for calibration without a dev set)."""
        from koclassify.splits import kfold_indices

        space = self._check()
        examples = as_examples(X, y)
        gold = space.indicator(examples, source="training data")
        oof = np.zeros_like(gold, dtype=np.float64)
        for train_idx, test_idx in kfold_indices(gold, folds=folds, seed=seed, multi_label=space.multi_label):
            backend = self.backend.clone()
            backend.fit([examples[i] for i in train_idx], gold[train_idx], space)
            oof[test_idx] = backend.predict_proba([examples[i] for i in test_idx])
        return oof

    def thresholds_dict(self) -> dict[str, float]:
        space = self._check()
        return {name: float(t) for name, t in zip(space.names, self.thresholds_)}  # type: ignore[arg-type]

    def set_thresholds(self, thresholds: dict[str, float]) -> None:
        space = self._check()
        unknown = set(thresholds) - set(space.names)
        if unknown:
            raise DataError(f"thresholds for unknown labels: {sorted(unknown)}")
        self.thresholds_ = np.array([float(thresholds.get(n, t)) for n, t in zip(space.names, self.thresholds_)])  # type: ignore[arg-type]

    # ----------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write the model directory atomically: config, labels, thresholds, the backend's own files."""
        space = self._check()
        directory = Path(directory)
        with atomic_directory(directory) as tmp:
            self.backend.save(tmp / BACKEND_DIR)
            write_json(
                tmp / CONFIG_FILE,
                {
                    "koclassify_version": __version__,
                    "backend": self.backend.name,
                    "backend_options": _jsonable(self.backend.options),
                    "labels": space.to_json(),
                    "decision": self.decision_.to_json(),  # type: ignore[union-attr]
                    "calibration": self.calibration_,
                    "data_options": self.data_options,
                },
            )
            write_json(tmp / THRESHOLDS_FILE, self.thresholds_dict())
            if self.prior_ is not None:
                write_json(tmp / PRIOR_FILE, self.prior_.to_json())
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Classifier:
        directory = Path(directory)
        config_path = directory / CONFIG_FILE
        if not config_path.is_file():
            raise ModelError(f"{directory}: not a koclassify model directory (no {CONFIG_FILE})")
        try:
            config = read_json(config_path)
            thresholds = read_json(directory / THRESHOLDS_FILE)
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{directory}: unreadable model files: {exc}") from None
        space = LabelSpace.from_json(config["labels"])
        backend_cls = get_backend_class(config["backend"])
        if not (directory / BACKEND_DIR).is_dir():
            raise ModelError(f"{directory}: the model has no weights ({BACKEND_DIR}/ is missing)")
        backend = backend_cls.load(directory / BACKEND_DIR, config.get("backend_options", {}), space)
        clf = cls(backend, multi_label=space.multi_label)
        clf.labels_ = space
        clf.decision_ = DecisionRule.from_json(config.get("decision", {}))
        clf.thresholds_ = np.array([float(thresholds.get(n, 0.5)) for n in space.names])
        clf.calibration_ = config.get("calibration", {})
        clf.data_options = config.get("data_options", {})
        if (directory / PRIOR_FILE).is_file():
            from koclassify.priors import FieldPrior

            clf.prior_ = FieldPrior.from_json(read_json(directory / PRIOR_FILE))
        return clf

    def __repr__(self) -> str:
        state = f"labels={list(self.labels_.names)}" if self.labels_ else "unfitted"
        return f"Classifier(backend={self.backend.name!r}, {state})"


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in options.items():
        try:
            json.dumps(value)
        except TypeError:
            value = str(value)
        out[key] = value
    return out
