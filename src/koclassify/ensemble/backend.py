"""The ``ensemble`` backend: probabilities as the weighted mean of fitted member models.

Members are whole :class:`~koclassify.model.classifier.Classifier` objects, so each keeps its own backend, text fields,
metadata prior and label order; their probabilities are put into the ensemble's label order before mixing.
The ensemble is never trained here (``fit`` refuses): it is built from fitted models by
:class:`koclassify.Ensemble` or ``koclassify ensemble``.

On disk the members are copies inside the ensemble's own directory, ``backend/members/0``, ``1``, ... (each a
complete model directory), so an ensemble directory is self-contained: loading it never reads outside it, and
moving or deleting the original member directories does not affect it. Their number comes from the stored
weights; member paths are never read from the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from koclassify.backends.base import Backend
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.ensemble.weights import WEIGHTINGS, combine, label_order, normalise
from koclassify.errors import KoclassifyError, ModelError

if TYPE_CHECKING:
    from koclassify.model.classifier import Classifier

MEMBERS_DIR = "members"


class EnsembleBackend(Backend):
    """Weighted mean of member classifiers' probabilities (members' own priors and text fields included)."""

    name = "ensemble"
    runs_model_code = True  # hands trust_remote_code on to its members

    def __init__(
        self,
        *,
        weights: Sequence[float] | None = None,
        weighting: str = "mean",
        member_backends: Sequence[str] = (),
        trust_remote_code: bool = False,
    ) -> None:
        if weighting not in (*WEIGHTINGS, "given"):
            raise KoclassifyError(f"weighting must be one of mean, tuned, given; got {weighting!r}")
        super().__init__(weights=list(weights) if weights is not None else None, weighting=weighting,
                         member_backends=list(member_backends))  # fmt: skip
        self.trust_remote_code = trust_remote_code  # the caller's, for members' loads; never stored
        self.members: list[Classifier] = []
        self.orders: list[np.ndarray] = []  # per member: columns that give the ensemble's label order
        self.weights = np.zeros(0)

    # ---------------------------------------------------------------- building
    @classmethod
    def from_members(
        cls, members: Sequence[Classifier], *, weights: str | Sequence[float] = "mean", labels: LabelSpace | None = None
    ) -> EnsembleBackend:
        """Check that fitted ``members`` share one label set and task type; the first member's order is the
        ensemble's unless ``labels`` is given (a loaded ensemble's stored order)."""
        from koclassify.model.classifier import Classifier

        members = list(members)
        if not members:
            raise KoclassifyError("an ensemble needs at least one member model")
        for i, member in enumerate(members):
            if not isinstance(member, Classifier):
                raise KoclassifyError(f"ensemble member {i + 1} is a {type(member).__name__}, not a Classifier")
            member._check()
        space = labels or members[0].labels_
        assert space is not None
        orders = []
        for i, member in enumerate(members):
            own = member.labels_
            assert own is not None
            orders.append(label_order(space.names, own.names, what=f"ensemble member {i + 1}",
                                      reference_what="member 1" if labels is None else "the ensemble"))  # fmt: skip
            if own.multi_label != space.multi_label:
                kinds = {True: "multi-label", False: "multi-class"}
                raise KoclassifyError(f"ensemble member {i + 1} is {kinds[own.multi_label]} "
                                      f"but the ensemble is {kinds[space.multi_label]}")  # fmt: skip
        if isinstance(weights, str):
            if weights not in WEIGHTINGS:
                raise KoclassifyError(f"weights must be one of {', '.join(WEIGHTINGS)} or numbers, not {weights!r}")
            weighting, vector = weights, np.full(len(members), 1.0 / len(members))
        else:
            weighting, vector = "given", normalise(weights, len(members))
        backend = cls(weighting=weighting, member_backends=[m.backend.name for m in members])
        backend.members, backend.orders, backend.labels = members, orders, LabelSpace(space.names, space.multi_label)
        backend.set_weights(vector)
        return backend

    def set_weights(self, weights: Sequence[float] | np.ndarray) -> None:
        """Store normalised weights (also in ``options``, which the model's config records)."""
        self.weights = normalise(weights, len(self.members))
        self.options["weights"] = [float(w) for w in self.weights]

    @property
    def weighting(self) -> str:
        return str(self.options["weighting"])

    # --------------------------------------------------------------- inference
    def fit(
        self,
        examples: Sequence[Example],
        y: np.ndarray,
        labels: LabelSpace,
        dev: tuple[Sequence[Example], np.ndarray] | None = None,
    ) -> EnsembleBackend:
        raise KoclassifyError(
            "an ensemble is not trained: it combines fitted models (koclassify.Ensemble([...]) or "
            "`koclassify ensemble MODEL_A MODEL_B --dev DEV --out ENS`)"
        )

    def member_probs(self, examples: Sequence[Example]) -> list[np.ndarray]:
        """Each member's probabilities (its prior and text fields applied), in the ensemble's label order."""
        self.check_fitted()
        return [np.asarray(m.predict_proba(list(examples)), dtype=np.float64)[:, order]
                for m, order in zip(self.members, self.orders)]  # fmt: skip

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        return combine(self.member_probs(examples), self.weights)

    # ------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        self.check_fitted()
        for i, member in enumerate(self.members):
            member.save(directory / MEMBERS_DIR / str(i))

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> EnsembleBackend:
        from koclassify.model.classifier import Classifier

        weights = options.get("weights")
        if not isinstance(weights, list) or not weights:
            raise ModelError(f"{directory}: the ensemble's config holds no member weights")
        members = []
        for i in range(len(weights)):
            path = directory / MEMBERS_DIR / str(i)
            if not path.is_dir():
                raise ModelError(f"{directory}: ensemble member {MEMBERS_DIR}/{i} is missing")
            members.append(Classifier.load(path, trust_remote_code=bool(options.get("trust_remote_code"))))
        try:
            backend = cls.from_members(members, weights=weights, labels=labels)
        except KoclassifyError as exc:
            raise ModelError(f"{directory}: {exc}") from None
        weighting = options.get("weighting", "given")
        if weighting not in (*WEIGHTINGS, "given"):
            raise ModelError(f"{directory}: unknown ensemble weighting {weighting!r}")
        backend.options["weighting"] = weighting
        return backend

    def clone(self) -> Backend:
        raise KoclassifyError("an ensemble cannot be re-trained (e.g. for --calibrate cv): calibrate it on dev data")

    fold_clone = clone  # cross-validation would re-train the members: refused the same way
