"""scikit-learn conventions for :class:`koclassify.Classifier`, without importing scikit-learn at import time.

``Classifier`` is a duck-typed scikit-learn classifier: ``get_params`` / ``set_params`` over its constructor
arguments (a backend's own options such as ``C`` included, so ``GridSearchCV(clf, {"C": [...]})`` works),
``classes_`` (the label names), ``score`` (its own metric: accuracy for multi-class, micro-F1 for multi-label)
and ``binarize`` (label lists -> the 0/1 indicator matrix scikit-learn's multi-label metrics take). It does not
inherit ``BaseEstimator``: that would import scikit-learn (and SciPy) with ``import koclassify``, which the CLI
keeps lazy. scikit-learn's ``clone``, ``Pipeline``, ``GridSearchCV`` and ``cross_val_score`` only need the
methods here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from koclassify.errors import DataError

# the constructor's named parameters (besides **backend_options), in signature order
SIGNATURE = ("backend", "multi_label", "decision", "max_labels", "text_fields", "multi_value", "prior",
             "prior_mode", "prior_options", "stack")  # fmt: skip


def init_params(frame: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor's arguments as given (``locals()`` at the top of ``__init__``): what ``get_params`` returns.

    Kept as given, not as normalised, because ``sklearn.base.clone`` checks that a clone's parameters are the very
    objects it passed."""
    from koclassify.backends.base import Backend
    from koclassify.options import OptionError

    if not isinstance(frame["backend"], (str, Backend)):
        raise OptionError("backend", frame["backend"], "a backend name (linear, encoder, llm) or a Backend instance")
    params = {name: frame[name] for name in SIGNATURE}
    params.update(frame.get("backend_options") or {})
    return params


def backend_defaults(backend: Any) -> dict[str, Any]:
    """Every declared option of a backend named by string, with its default (none for an instance: it holds them)."""
    if not isinstance(backend, str):
        return {}
    from koclassify.backends.base import get_options_class

    try:
        cls = get_options_class(backend)
    except Exception:  # an unknown name: the constructor has already said so
        return {}
    if cls is None:
        return {}
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


class EstimatorMixin:
    """The scikit-learn estimator protocol for :class:`koclassify.Classifier` (see the module docstring)."""

    _estimator_type = "classifier"  # scikit-learn < 1.6 reads this; newer versions read __sklearn_tags__
    _init_params: dict[str, Any]

    # ------------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, and every option of the backend (its default unless given).

        ``deep`` changes nothing: a backend is a name plus options, not a nested estimator."""
        given = self._init_params
        named = {k: given[k] for k in SIGNATURE}
        return {**named, **backend_defaults(given["backend"]), **{k: v for k, v in given.items() if k not in named}}

    def set_params(self, **params: Any) -> Any:
        """Change parameters; they are checked as the constructor checks them, before anything changes.

        The estimator is built anew from the merged parameters, so a fitted one is unfitted afterwards (a new
        parameter means a new fit; scikit-learn's ``GridSearchCV`` always fits after ``set_params``). An unknown
        name or a bad value raises (``ValueError``) and leaves the estimator as it was."""
        if not params:
            return self
        valid = self.get_params()
        for key in params:
            if key not in valid:
                from koclassify.options import suggest

                raise ValueError(
                    f"invalid parameter {key!r} for {type(self).__name__}{suggest(key, valid)} "
                    f"(valid: {', '.join(sorted(valid))})"
                )
        merged = {**self._init_params, **params}
        fresh = type(self)(**merged)  # raises OptionError (a ValueError) on a bad value; self is untouched
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        return self

    def __sklearn_clone__(self) -> Any:
        """``sklearn.base.clone``: the same parameters, unfitted; a backend instance is cloned by the backend
        (an unfitted twin with its options, not a deep copy of its weights)."""
        import copy

        from koclassify.backends.base import Backend

        params = self.get_params(deep=False)
        for key, value in params.items():
            params[key] = value.clone() if isinstance(value, Backend) else copy.deepcopy(value)
        return type(self)(**params)

    def __sklearn_tags__(self) -> Any:
        """Classifier tags; the input is text (``string``), not a 2-D numeric array, and multi-label is supported."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=False, one_d_labels=True, two_d_labels=False, multi_output=True),
            classifier_tags=ClassifierTags(multi_class=True, multi_label=True),
            input_tags=InputTags(one_d_array=True, two_d_array=False, string=True, sparse=False),
            requires_fit=True,
        )

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "labels_", None) is not None

    # ------------------------------------------------------------------ fitted attributes
    @property
    def classes_(self) -> np.ndarray:
        """The label names, in the order of the probability columns."""
        space = self._check()  # type: ignore[attr-defined]
        return np.array(space.names, dtype=object)

    def binarize(self, labels: Any) -> np.ndarray:
        """Labels (a name, or a tuple of names, per row; what :meth:`predict` returns or gold labels) as the
        (n, L) 0/1 ``int`` matrix in the order of ``classes_``: what ``sklearn.metrics`` takes for multi-label
        (``f1_score(clf.binarize(gold), clf.binarize(clf.predict(X)), average="micro")``). An (n, L) matrix is
        returned as ``int``; an unknown label is a :class:`DataError`."""
        space = self._check()  # type: ignore[attr-defined]
        if isinstance(labels, str):  # predict("one text") of a multi-class model: one row
            labels = [labels]
        if hasattr(labels, "toarray"):
            labels = labels.toarray()
        if isinstance(labels, np.ndarray) and labels.ndim == 2 and labels.dtype.kind in "biuf":
            if labels.shape[1] != len(space):
                raise DataError(f"an indicator matrix with {labels.shape[1]} columns; the model has {len(space)}")
            return np.asarray(labels, dtype=int)
        index = space.index
        out = np.zeros((len(labels), len(space)), dtype=int)
        for row, value in enumerate(labels):
            names = (value,) if isinstance(value, str) else tuple(value)
            for name in names:
                if name not in index:
                    raise DataError(f"row {row}: label {name!r} is not one of the model's labels {list(space.names)}")
                out[row, index[name]] = 1
        return out

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The model's own metric on labelled data: accuracy for multi-class, micro-F1 for multi-label (with the
        stored thresholds and decision rule). ``y``: label names, label tuples or an (n, L) 0/1 matrix; ``None``
        when ``X`` holds labelled :class:`Example` objects."""
        from sklearn.metrics import accuracy_score, f1_score

        from koclassify.data.example import as_examples

        space = self._check()  # type: ignore[attr-defined]
        examples = as_examples(X)
        if y is None:
            gold = space.indicator(examples, source="score data").astype(int)
        else:
            gold = self.binarize(label_lists(y, space.names)[0])
        if len(gold) != len(examples):
            raise DataError(f"got {len(examples)} texts but {len(gold)} labels")
        pred = self.decide(self.predict_proba(examples)).astype(int)  # type: ignore[attr-defined]
        if space.multi_label:
            return float(f1_score(gold, pred, average="micro", sample_weight=sample_weight, zero_division=0))
        return float(accuracy_score(gold.argmax(axis=1), pred.argmax(axis=1), sample_weight=sample_weight))


def label_lists(y: Any, names: Sequence[str] | None = None) -> tuple[Any, Sequence[str] | None]:
    """``y`` as :meth:`Classifier.fit` takes it: an (n, L) 0/1 matrix (scikit-learn's multi-label form, e.g. from
    ``MultiLabelBinarizer``) becomes one tuple of names per row, the names being ``names`` (``labels=``) or
    ``"0" .. "L-1"``; a pandas Series or NumPy array of names becomes a list of ``str``. Returns ``(y, names)``."""
    if y is None or isinstance(y, str):
        return y, names
    if hasattr(y, "toarray"):  # a SciPy sparse indicator
        y = y.toarray()
    if hasattr(y, "to_numpy"):  # pandas
        y = y.to_numpy()
    if isinstance(y, np.ndarray):
        if y.ndim == 2 and y.dtype.kind in "biuf":
            columns = [str(n) for n in names] if names is not None else [str(i) for i in range(y.shape[1])]
            if len(columns) != y.shape[1]:
                raise DataError(f"labels= names {len(columns)} labels but y has {y.shape[1]} columns")
            return [tuple(columns[j] for j in np.flatnonzero(row)) for row in y], columns
        if y.ndim == 1:
            return [v if isinstance(v, (tuple, list)) else str(v) for v in y.tolist()], names
    return y, names
