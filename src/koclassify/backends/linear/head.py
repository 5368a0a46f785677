"""Logistic-regression heads fitted by scikit-learn and kept as plain weight arrays.

Fitting uses scikit-learn (``OneVsRestClassifier`` of liblinear logistic regressions for multi-label, one
multinomial ``LogisticRegression`` for multi-class). Prediction is one sparse matrix product followed by a
sigmoid or a softmax, exactly what scikit-learn's ``predict_proba`` computes, but with no estimator object to
pickle: the model directory stores ``coef`` and ``intercept`` arrays.

With NB weighting (``nb`` ratios, :func:`~koclassify.backends.linear.features.nb_ratios`) label ``j``'s regression
reads ``x * nb[j]``: one regression per label (multi-label), one binary regression (two classes), or one-vs-rest
regressions whose probabilities are normalised to sum to 1 (``ovr_norm``, more classes), as Wang & Manning do.
Prediction folds the ratios into the weights (``coef * nb``), so it costs what a plain head costs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

# logit given to a label that is constant in training (never / always present): probability ~1e-13 / ~1
CONSTANT_LOGIT = 30.0


KINDS = ("ovr", "softmax", "ovr_norm")


@dataclass
class LinearHead:
    kind: str  # "ovr" (independent sigmoids), "softmax", or "ovr_norm" (sigmoids normalised to sum to 1)
    coef: np.ndarray  # (L, F) float32, in the space the regressions saw (NB-scaled when nb is set)
    intercept: np.ndarray  # (L,) float64
    nb: np.ndarray | None = None  # (L, F) float32 NB ratios, or None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:  # a loaded model's files say which; anything else is corrupt
            raise ValueError(f"unknown head kind {self.kind!r}")
        if self.nb is not None and self.nb.shape != self.coef.shape:
            raise ValueError(f"NB ratios {self.nb.shape} do not match the weights {self.coef.shape}")
        weights = self.coef if self.nb is None else (self.coef * self.nb).astype(np.float32)
        # (F, L) in C order once: ``X @ weights.T`` made scipy copy the whole transposed view on every call,
        # milliseconds per call that dominated a server's small batches
        self._weights_t = np.ascontiguousarray(weights.T)

    def decision_function(self, X: sp.spmatrix) -> np.ndarray:
        return np.asarray(X @ self._weights_t, dtype=np.float64) + self.intercept[None, :]

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        z = self.decision_function(X)
        if self.kind == "ovr":
            return expit(z)
        if self.kind == "softmax":
            return softmax(z, axis=1)
        p = expit(z)
        return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-300)


def fit_head(
    X: sp.csr_matrix,
    y: np.ndarray,
    *,
    multi_label: bool,
    C: float,
    class_weight: str | None,
    max_iter: int,
    n_jobs: int | None,
    nb: np.ndarray | None = None,
    seed: int = 0,
) -> LinearHead:
    if nb is not None:
        return _fit_nb_head(X, y, nb, multi_label=multi_label, C=C, class_weight=class_weight, max_iter=max_iter,
                            seed=seed)  # fmt: skip
    n_labels = y.shape[1]
    coef = np.zeros((n_labels, X.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_labels)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*Label .* is present in all training examples.*")
        warnings.filterwarnings("ignore", message=".*Label not .* is present in all training examples.*")
        if multi_label:
            base = LogisticRegression(C=C, solver="liblinear", class_weight=class_weight, max_iter=max_iter,
                                      random_state=seed)  # fmt: skip
            ovr = OneVsRestClassifier(base, n_jobs=n_jobs).fit(X, y.astype(int))
            for i, est in enumerate(ovr.estimators_):
                if hasattr(est, "coef_"):
                    coef[i], intercept[i] = est.coef_[0], est.intercept_[0]
                else:  # scikit-learn's constant predictor: the label is all 0 or all 1 in training
                    intercept[i] = CONSTANT_LOGIT if float(np.ravel(est.y_)[0]) > 0.5 else -CONSTANT_LOGIT
            return LinearHead("ovr", coef, intercept)

        classes = y.argmax(axis=1)
        present = np.unique(classes)
        intercept[:] = -CONSTANT_LOGIT  # classes with no training row stay improbable
        if len(present) == 1:
            intercept[present[0]] = CONSTANT_LOGIT
            return LinearHead("softmax", coef, intercept)
        lr = LogisticRegression(C=C, solver="lbfgs", class_weight=class_weight, max_iter=max_iter).fit(X, classes)
        if len(present) == 2:  # binary LR keeps one weight row: p(c1) = sigmoid(w.x + b) = softmax([0, w.x + b])
            coef[present[1]], intercept[present[1]] = lr.coef_[0], lr.intercept_[0]
            intercept[present[0]] = 0.0
        else:
            coef[present], intercept[present] = lr.coef_, lr.intercept_
        return LinearHead("softmax", coef, intercept)


def _fit_nb_head(
    X: sp.csr_matrix,
    y: np.ndarray,
    nb: np.ndarray,
    *,
    multi_label: bool,
    C: float,
    class_weight: str | None,
    max_iter: int,
    seed: int = 0,
) -> LinearHead:
    """NB-LR: label ``j``'s binary regression on ``X * nb[j]``; two classes share one regression."""
    n_labels = y.shape[1]
    coef = np.zeros((n_labels, X.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_labels)
    target = y.astype(bool)
    if not multi_label:
        present = np.flatnonzero(target.any(axis=0))
        intercept[:] = -CONSTANT_LOGIT
        if len(present) == 1:
            intercept[present[0]] = CONSTANT_LOGIT
            return LinearHead("softmax", coef, intercept, np.ones_like(coef))
        if len(present) == 2:  # one regression: p(c1) = sigmoid(w.(x*r) + b) = softmax([0, w.(x*r) + b])
            first, second = present
            lr = _binary(scale_columns(X, nb[second]), target[:, second], C, class_weight, max_iter, seed)
            coef[second], intercept[second], intercept[first] = lr.coef_[0], lr.intercept_[0], 0.0
            return LinearHead("softmax", coef, intercept, nb)
    for j in range(n_labels):
        if target[:, j].all() or not target[:, j].any():
            intercept[j] = CONSTANT_LOGIT if target[:, j].all() else -CONSTANT_LOGIT
            continue
        lr = _binary(scale_columns(X, nb[j]), target[:, j], C, class_weight, max_iter, seed)
        coef[j], intercept[j] = lr.coef_[0], lr.intercept_[0]
    return LinearHead("ovr" if multi_label else "ovr_norm", coef, intercept, nb)


def scale_columns(X: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    """``X.multiply(factors).tocsr()`` without its COO round trip and index sort (a quarter of a multi-label NB
    fit on long texts): same values, same sparsity structure as ``X``."""
    X = sp.csr_matrix(X)
    out = X.copy()
    out.data = (X.data * factors[X.indices]).astype(np.result_type(X.dtype, factors.dtype), copy=False)
    return out


def _binary(
    X: sp.csr_matrix, y: np.ndarray, C: float, class_weight: str | None, max_iter: int, seed: int = 0
) -> LogisticRegression:
    """liblinear's dual solver: NB-scaled features are badly conditioned for lbfgs (nsmc 20k: 32 iterations and
    13x the time for the same accuracy), and with more features than rows the dual is the cheaper problem."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        # liblinear's dual solver visits rows in a random order: a fixed seed makes two trainings on the same data
        # give the same weights (a CSV and a Parquet copy of one file must predict alike)
        lr = LogisticRegression(C=C, solver="liblinear", dual=True, class_weight=class_weight, max_iter=max_iter,
                                random_state=seed)  # fmt: skip
        return lr.fit(X, y)
