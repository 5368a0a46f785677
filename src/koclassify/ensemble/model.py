"""``Ensemble``: several fitted classifiers as one, with the :class:`~koclassify.model.classifier.Classifier` surface.

>>> ens = Ensemble([clf_a, clf_b], weights="tuned")
>>> ens.calibrate(dev_texts, dev_labels)          # member weights, then per-label thresholds, on dev
>>> ens.save("ens"); Classifier.load("ens").predict("...")

It *is* a Classifier whose backend is :class:`~koclassify.ensemble.backend.EnsembleBackend`, so thresholds,
decision rules, ``predict`` / ``decide`` / ``save`` and every command that loads a model directory work
unchanged. ``Classifier.load(ens_dir)`` gives a plain Classifier over the same backend (its ``calibrate``
re-tunes thresholds only); ``Ensemble.load(ens_dir)`` gives an Ensemble, whose ``calibrate`` re-tunes the
weights as well when they were ``tuned``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from koclassify.backends.base import Backend
from koclassify.decide.decision import choose_rule
from koclassify.ensemble.backend import EnsembleBackend
from koclassify.ensemble.weights import EnsembleFit, combine, fit_ensemble
from koclassify.errors import KoclassifyError, ModelError
from koclassify.model.classifier import Classifier, LabelsLike, TextsLike, as_examples


class Ensemble(Classifier):
    """The weighted mean of fitted classifiers' probabilities, with its own thresholds.

    Args:
        members: fitted :class:`Classifier` objects (any backends; each keeps its own prior, text fields and
            label order). They must share one label set; the first member's order is the ensemble's.
        weights: ``"mean"`` (equal weights), ``"tuned"`` (chosen by :meth:`calibrate` on dev data for the
            objective), or one number per member (normalised to sum to 1).
        decision: ``auto`` takes the first member's multi-label decision rule; or ``threshold``,
            ``at_least_one``, ``max_labels``.
        max_labels: cap for the ``max_labels`` rule.

    Until :meth:`calibrate` runs, thresholds are 0.5.
    """

    def __init__(
        self,
        members: Sequence[Classifier] | Backend,
        *,
        weights: str | Sequence[float] = "mean",
        multi_label: bool | None = None,
        decision: str = "auto",
        max_labels: int | None = None,
        **stored: Any,
    ) -> None:
        """``stored``: more :class:`Classifier` options (``stack``; and what :meth:`Classifier.load` passes back)."""
        if isinstance(members, Backend):  # Classifier.load(...) building an Ensemble around a loaded backend
            if not isinstance(members, EnsembleBackend):
                raise ModelError(f"this model's backend is {members.name!r}, not an ensemble: use Classifier.load")
            super().__init__(members, multi_label=multi_label, decision=decision, max_labels=max_labels, **stored)
            self.fit_: EnsembleFit | None = None
            return
        backend = EnsembleBackend.from_members(members, weights=weights)
        super().__init__(backend, multi_label=multi_label, decision=decision, max_labels=max_labels, **stored)
        first = backend.members[0]
        space = backend.labels
        assert space is not None and first.decision_ is not None
        self.labels_ = space
        self.thresholds_ = np.full(len(space), 0.5)
        if not space.multi_label and decision != "auto":
            raise KoclassifyError("a multi-class ensemble decides by argmax; decision rules are for multi-label")
        # "auto": the first member's rule as it is (cap, fallback, evidence); the options were checked above
        self.decision_ = choose_rule(self.options, multi_label=space.multi_label, inherited=first.decision_)
        self.data_options = dict(first.data_options)  # files are read with the first member's layout
        self.multi_value = first.multi_value
        self.fit_ = None

    @property
    def members(self) -> list[Classifier]:
        return self.backend.members  # type: ignore[attr-defined]

    @property
    def weights_(self) -> np.ndarray:
        """Member weights (summing to 1), in member order."""
        return self.backend.weights.copy()  # type: ignore[attr-defined]

    def fit(self, *args: Any, **kwargs: Any) -> Ensemble:
        """Ensembles are not trained: fit the members, then :meth:`calibrate` the ensemble on dev data."""
        raise KoclassifyError("an ensemble is not trained: fit its members, then calibrate() it on dev data")

    def member_proba(self, X: TextsLike) -> list[np.ndarray]:
        """Each member's probabilities on ``X`` in the ensemble's label order (e.g. to calibrate several ways)."""
        self._check()
        return self.backend.member_probs(as_examples(X))  # type: ignore[attr-defined]

    def calibrate(
        self,
        X: TextsLike | None = None,
        y: LabelsLike = None,
        *,
        probs: np.ndarray | None = None,
        gold: np.ndarray | None = None,
        member_probs: Sequence[np.ndarray] | None = None,
        objective: str = "micro-f1",
        grid: float = 0.001,
        stack: str | bool | None = None,
    ) -> dict[str, float]:
        """Tune member weights (when ``weights="tuned"``) and then per-label thresholds on held-out data.

        Give labelled data ``X[, y]``, or ``member_probs=`` (one (n, L) matrix per member, in the ensemble's
        label order, e.g. out-of-fold probabilities) with ``gold=``. ``probs=`` (the ensemble's own
        probabilities) tunes thresholds only, as for any Classifier. Returns the thresholds; the weights and
        each member's and the ensemble's dev score are in ``calibration_`` and ``fit_``.
        """
        space = self._check()
        if probs is not None:
            return super().calibrate(probs=probs, gold=gold, objective=objective, grid=grid, stack=stack)
        examples = None
        if member_probs is None:
            if X is None:
                raise ValueError("calibrate() needs data (X[, y]), member_probs= and gold=, or probs= and gold=")
            examples = as_examples(X, y)
            gold = space.indicator(examples, source="calibration data")
            member_probs = self.backend.member_probs(examples)  # type: ignore[attr-defined]
        elif gold is None:
            raise ValueError("calibrate(member_probs=...) also needs gold=")
        elif self.prior_ is not None:
            raise ValueError("this ensemble has its own prior: calibrate it on data (X, y), not on member_probs")
        backend: EnsembleBackend = self.backend  # type: ignore[assignment]
        weighting = backend.weighting
        fit = fit_ensemble(
            member_probs,
            np.asarray(gold),
            multi_label=space.multi_label,
            weights=list(backend.weights) if weighting == "given" else weighting,
            objective=objective,
            grid=grid,
            rule=self.decision_,
        )
        backend.set_weights(fit.weights)
        combined = combine(member_probs, fit.weights)
        if self.prior_ is not None and examples is not None:
            combined = self.prior_.apply(combined, examples)
        thresholds = super().calibrate(probs=combined, gold=gold, objective=objective, grid=grid, stack=stack)
        self.calibration_["ensemble"] = fit.record()
        self.fit_ = fit
        return thresholds

    def __repr__(self) -> str:
        backends = "+".join(m.backend.name for m in self.members) if self.labels_ else "?"
        weights = ", ".join(f"{w:.2f}" for w in self.weights_) if self.labels_ else ""
        return f"Ensemble({backends}, weights=[{weights}], labels={list(self.labels_.names) if self.labels_ else []})"
