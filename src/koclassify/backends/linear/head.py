"""Logistic-regression heads fitted by scikit-learn and kept as plain weight arrays.

Fitting uses scikit-learn (``OneVsRestClassifier`` of liblinear logistic regressions for multi-label, one
multinomial ``LogisticRegression`` for multi-class). Prediction is one sparse matrix product followed by a
sigmoid or a softmax, exactly what scikit-learn's ``predict_proba`` computes, but with no estimator object to
pickle: the model directory stores ``coef`` and ``intercept`` arrays.
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


@dataclass
class LinearHead:
    kind: str  # "ovr" (independent sigmoids) or "softmax"
    coef: np.ndarray  # (L, F) float32
    intercept: np.ndarray  # (L,) float64

    def __post_init__(self) -> None:
        if self.kind not in ("ovr", "softmax"):  # a loaded model's files say which; anything else is corrupt
            raise ValueError(f"unknown head kind {self.kind!r}")

    def decision_function(self, X: sp.spmatrix) -> np.ndarray:
        return np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept[None, :]

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        z = self.decision_function(X)
        return expit(z) if self.kind == "ovr" else softmax(z, axis=1)


def fit_head(
    X: sp.csr_matrix,
    y: np.ndarray,
    *,
    multi_label: bool,
    C: float,
    class_weight: str | None,
    max_iter: int,
    n_jobs: int | None,
) -> LinearHead:
    n_labels = y.shape[1]
    coef = np.zeros((n_labels, X.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_labels)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*Label .* is present in all training examples.*")
        warnings.filterwarnings("ignore", message=".*Label not .* is present in all training examples.*")
        if multi_label:
            base = LogisticRegression(C=C, solver="liblinear", class_weight=class_weight, max_iter=max_iter)
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
