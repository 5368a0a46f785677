"""A second stage for multi-label models that learns how labels go together.

A first-stage model scores each label on its own (one-vs-rest). Labels co-occur, though: anger comes with
disgust, ``clean`` with nothing else. The second stage is, per label, a logistic regression on the log-odds of
*all* labels, fitted on held-out first-stage probabilities (the out-of-fold probabilities of cross-validated
calibration, or the dev set's), so it learns what the first stage gets wrong on rows it has not seen. Its
thresholds are tuned on its own out-of-fold output (:func:`out_of_fold`).

``stack="auto"`` (the default) keeps it only when cross-validation says it helps
(:func:`koclassify.decide.calibration.cross_validated_score`, which decides it with the thresholds): with at least
``MIN_ROWS`` held-out rows, the first stage's probabilities and the second stage's out-of-fold ones are each
scored with thresholds tuned on the other folds, so neither is scored on rows its thresholds saw. (Scores with
thresholds tuned on the very rows they score favour the first stage: its thresholds overfit as much, but its
probabilities are not cross-fitted. On KOTE that comparison rejected a second stage that gains on the test set.)
``stack="on"`` keeps it regardless. Both scores are recorded in the model's calibration record.

It works for every backend: it reads probabilities, nothing else, and it is saved as two plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit, logit
from threadpoolctl import threadpool_limits

from koclassify.errors import KoclassifyError, ModelError
from koclassify.options import check_switch

STACK_MODES = ("auto", "on", "off")
STACK_FILE = "stack.npz"
C = 1.0  # inverse regularisation of the second-stage regressions (their inputs are L log-odds, not vocabularies)
CLIP = 1e-6  # log-odds of probabilities clipped to [1e-6, 1 - 1e-6]: a saturated label does not dominate
FOLDS = 5
MIN_ROWS = 100  # fewer held-out rows than this: stack="auto" does not fit one (it would overfit)


class StackOptionError(KoclassifyError, ValueError):
    """A bad ``stack`` value (a ValueError for API callers, a clean message for the CLI)."""


def check_mode(value: object) -> str:
    """``auto``, ``on`` or ``off`` (``True``/``False`` as on/off)."""
    return check_switch("stack", value, StackOptionError)


def log_odds(probs: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(probs, dtype=np.float64), CLIP, 1 - CLIP))


@dataclass
class Stacker:
    """Per label ``sigmoid(coef[j] . logit(p) + intercept[j])`` over the first stage's probabilities ``p``."""

    coef: np.ndarray  # (L, L)
    intercept: np.ndarray  # (L,)

    def apply(self, probs: np.ndarray) -> np.ndarray:
        return expit(log_odds(probs) @ self.coef.T + self.intercept[None, :])

    def save(self, path: Path) -> None:
        """Two plain arrays (no pickle), written atomically: ``save_calibration`` rewrites it in place."""
        from koclassify.io import atomic_open

        with atomic_open(path, "wb", encoding=None) as fh:
            np.savez(fh, coef=self.coef, intercept=self.intercept)

    @classmethod
    def load(cls, path: Path, n_labels: int) -> Stacker:
        from koclassify.modeldir import check_npz

        try:
            check_npz(path)  # a crafted header cannot make np.load allocate more than the file holds
            with np.load(path, allow_pickle=False) as npz:
                coef, intercept = np.asarray(npz["coef"], np.float64), np.asarray(npz["intercept"], np.float64)
        except (OSError, EOFError, ValueError, KeyError) as exc:
            raise ModelError(f"{path}: cannot load the second stage: {exc}") from None
        if coef.shape != (n_labels, n_labels) or intercept.shape != (n_labels,):
            raise ModelError(f"{path}: second-stage weights {coef.shape} do not match {n_labels} labels")
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ModelError(f"{path}: second-stage weights are not finite")
        return cls(coef, intercept)


def fit_stacker(probs: np.ndarray, gold: np.ndarray) -> Stacker:
    """One L2-regularised logistic regression per label on the log-odds of every label.

    The regressions are independent, so their summed objective is minimised in one L-BFGS run over all the
    weights (the same optimum as scikit-learn's ``LogisticRegression(C=C)`` per label, unpenalised intercept):
    one matrix product per step for all labels, instead of L separate fits (44 labels: ~20x faster).
    """
    from scipy.optimize import minimize

    X = log_odds(probs)
    gold = np.asarray(gold, dtype=bool)
    n, n_labels = gold.shape
    coef, intercept = np.zeros((n_labels, n_labels)), np.zeros(n_labels)
    varied = np.flatnonzero(gold.any(axis=0) & ~gold.all(axis=0))
    for j in np.setdiff1d(np.arange(n_labels), varied):  # constant in these rows: keep the first stage's log-odds
        coef[j, j] = 1.0
    if len(varied) == 0:
        return Stacker(coef, intercept)
    Xb = np.hstack([X, np.ones((n, 1))])
    Y = gold[:, varied].astype(np.float64)
    penalty = np.r_[np.full(X.shape[1], 1.0 / C), 0.0]  # no penalty on the intercept

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        W = w.reshape(len(varied), -1)
        Z = Xb @ W.T
        loss = float(np.logaddexp(0.0, Z).sum() - (Y * Z).sum() + 0.5 * (penalty * W * W).sum())
        grad = (expit(Z) - Y).T @ Xb + penalty * W
        return loss / n, grad.ravel() / n  # per row: L-BFGS-B's gradient tolerance then means the same at any n

    start = np.zeros((len(varied), Xb.shape[1]))
    start[np.arange(len(varied)), varied] = 1.0  # from "each label's own log-odds"
    # one BLAS thread: the products are small (rows x L), and a second thread made each fit 3x slower on 2 cores
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(objective, start.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": 500, "gtol": 1e-6})
    W = result.x.reshape(len(varied), -1)
    coef[varied], intercept[varied] = W[:, :-1], W[:, -1]
    return Stacker(coef, intercept)


def out_of_fold(probs: np.ndarray, gold: np.ndarray, *, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Second-stage probabilities of each row from a stacker that did not see it (for its thresholds)."""
    from koclassify.metadata.splits import kfold_indices

    gold = np.asarray(gold, dtype=bool)
    out = np.zeros(gold.shape, dtype=np.float64)
    for train_idx, test_idx in kfold_indices(gold.astype(float), folds=folds, seed=seed, multi_label=True):
        out[test_idx] = fit_stacker(probs[train_idx], gold[train_idx]).apply(probs[test_idx])
    return out
