"""The served model: load, warm up, predict rows, describe itself."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from koclassify.data.example import Example
from koclassify.decide.decision import rule_name
from koclassify.model.classifier import Classifier
from koclassify.version import __version__

WARM_TEXT = "배송이 빨라서 좋아요. 다시 살게요!"


class ServedModel:
    """A loaded :class:`Classifier` and what the service needs from it.

    Loading and one warm-up prediction (Kiwi's start, an encoder's first forward pass) happen here, before the
    server takes traffic, so the first request costs what later ones do.
    """

    def __init__(self, model_dir: str | Path, *, warm: bool = True, trust_remote_code: bool = False) -> None:
        start = time.perf_counter()
        self.model_dir = Path(model_dir)
        self.clf = Classifier.load(self.model_dir, trust_remote_code=trust_remote_code)
        labels = self.clf.labels_
        assert labels is not None
        self.labels = labels
        if warm:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the warm-up row has no fields; that is not the user's concern
                self.predict([Example("warm-up", WARM_TEXT)])
        self.load_seconds = time.perf_counter() - start

    @property
    def fields(self) -> list[str]:
        """Metadata columns the model uses (text fields, then the prior's), which requests may send in ``fields``."""
        names = [spec.partition(":")[0] for spec in self.clf.text_fields]
        if self.clf.prior_ is not None:
            names.append(self.clf.prior_.field.partition(":")[0])
        return list(dict.fromkeys(names))

    @property
    def decision(self) -> str:
        return rule_name(self.clf.decision_)

    def predict(self, examples: list[Example]) -> list[dict[str, Any]]:
        """One model call: ``{"labels": [...], "probs": {label: p}}`` per example."""
        probs = self.clf.predict_proba(examples)
        decisions = self.clf.decide(probs)
        names = self.labels.names
        return [
            {"labels": list(self.labels.decode(row)), "probs": {n: round(float(p), 6) for n, p in zip(names, prow)}}
            for row, prow in zip(decisions, probs)
        ]

    def info(self) -> dict[str, Any]:
        return {
            "model": self.model_dir.name,
            "backend": self.clf.backend.name,
            "labels": list(self.labels.names),
            "multi_label": self.labels.multi_label,
            "decision": self.decision,
            "thresholds": self.clf.thresholds_dict(),
            "uses_thresholds": bool(self.clf.decision_ and self.clf.decision_.uses_thresholds),
            "fields": self.fields,
            "text_fields": dict(self.clf.text_fields),
            "prior": self.clf.prior_.field if self.clf.prior_ is not None else None,
            "koclassify_version": __version__,
        }

    def startup_line(self) -> str:
        names = list(self.labels.names)
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        fields = f"; fields: {', '.join(self.fields)}" if self.fields else ""
        kind = "multi-label" if self.labels.multi_label else "multi-class"
        return (
            f"koclassify: serving {self.model_dir} (backend {self.clf.backend.name}, {kind}, labels: {shown}; "
            f"decision {self.decision}{fields}); loaded and warmed in {self.load_seconds:.2f} s"
        )
