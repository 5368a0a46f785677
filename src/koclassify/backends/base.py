"""The estimator protocol every backend implements, and the registry that finds backends by name.

A backend turns examples into label probabilities. Everything around it (label spaces, thresholds,
decision rules, priors, readers, writers) lives outside, so a new backend only has to implement
``fit``, ``predict_proba``, ``save`` and ``load``. Backends are imported lazily: ``linear`` costs
scikit-learn, ``encoder``/``llm`` cost torch and transformers, and nobody pays for what they do not use.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import KoclassifyError


class Backend(ABC):
    """A probabilistic classifier over :class:`Example` objects.

    Contract:
    - ``fit(examples, y, labels, dev=None)``: ``y`` is an (n, L) 0/1 float matrix aligned with ``labels.names``
      (one-hot for multi-class). ``dev`` is an optional ``(examples, y)`` pair a backend may use for early
      stopping or best-checkpoint selection; never for threshold tuning (that happens outside).
    - ``predict_proba(examples)``: (n, L) float array. Multi-class rows sum to 1; multi-label entries are
      independent probabilities in [0, 1].
    - ``save(directory)`` writes only plain files (json, safetensors, npz): no pickles.
    - ``load(directory)`` restores a backend whose ``predict_proba`` gives the same numbers.
    - ``options`` holds the constructor keyword arguments, so ``clone()`` builds an unfitted twin (used by
      cross-validated calibration).
    """

    name: ClassVar[str]

    def __init__(self, **options: Any) -> None:
        self.options: dict[str, Any] = dict(options)
        self.labels: LabelSpace | None = None

    @abstractmethod
    def fit(
        self,
        examples: Sequence[Example],
        y: np.ndarray,
        labels: LabelSpace,
        dev: tuple[Sequence[Example], np.ndarray] | None = None,
    ) -> Backend: ...

    @abstractmethod
    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray: ...

    @abstractmethod
    def save(self, directory: Path) -> None: ...

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> Backend: ...

    def clone(self) -> Backend:
        return type(self)(**self.options)

    def check_fitted(self) -> LabelSpace:
        if self.labels is None:
            raise KoclassifyError(f"the {self.name!r} backend is not fitted yet: call fit() or load a model")
        return self.labels


# name -> "module:Class"; imported on first use so heavy dependencies load only when asked for.
_REGISTRY: dict[str, str] = {
    "linear": "koclassify.backends.linear.backend:LinearBackend",
    "encoder": "koclassify.backends.encoder.backend:EncoderBackend",
    "llm": "koclassify.backends.llm.backend:LLMBackend",
    "ensemble": "koclassify.ensemble.backend:EnsembleBackend",  # fitted Classifiers combined (koclassify.Ensemble)
}


def register_backend(name: str, target: str | type[Backend]) -> None:
    """Make a backend available by name. ``target`` is a class or a lazy ``"module:Class"`` string."""
    if not name.isidentifier():
        raise ValueError(f"backend name must be an identifier, got {name!r}")
    if isinstance(target, type):
        if not issubclass(target, Backend):
            raise TypeError(f"{target!r} is not a Backend subclass")
        target = f"{target.__module__}:{target.__qualname__}"
    if ":" not in target:
        raise ValueError(f"expected 'module:Class', got {target!r}")
    _REGISTRY[name] = target


def available_backends() -> list[str]:
    return sorted(_REGISTRY)


def get_backend_class(name: str) -> type[Backend]:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KoclassifyError(f"unknown backend {name!r}; available: {', '.join(available_backends())}") from None
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"{target} is not a Backend subclass")
    return cls
