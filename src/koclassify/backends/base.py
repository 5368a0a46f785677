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
from koclassify.options import Options

DevData = tuple[Sequence[Example], np.ndarray] | None  # optional (examples, y) for early stopping / best checkpoint


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
    - ``options_class`` declares every option (an :class:`koclassify.options.Options` dataclass); the
      constructor checks them, so a bad option fails before any data is read. ``options`` holds the checked
      values (JSON, stored in the model's config.json) and ``clone()`` builds an unfitted twin from them.
    """

    name: ClassVar[str]
    options_class: ClassVar[type[Options] | None] = None
    requires: ClassVar[tuple[str, ...]] = ()  # top-level modules the backend imports when it works
    extra: ClassVar[str | None] = None  # the pip extra that installs them
    # What the backend can do: Classifier asks these, never the backend's name (a new backend sets its own).
    supports_cv_calibration: ClassVar[bool] = (
        False  # cheap to train again per fold: calibrate="auto" may cross-validate
    )
    prompt_fields: ClassVar[bool] = False  # plain text_fields can go into its prompt (a ``template`` option)
    runs_model_code: ClassVar[bool] = False  # trust_remote_code means something to it (it, or a member, loads HF code)

    @classmethod
    def check_requirements(cls) -> None:
        """One line naming the pip extra when a module the backend needs is missing (before any work)."""
        import importlib.util

        from koclassify.errors import MissingDependencyError

        for module in cls.requires:
            if importlib.util.find_spec(module) is None:
                raise MissingDependencyError(module, cls.extra or cls.name)

    def __init__(self, **options: Any) -> None:
        if self.options_class is not None:
            self.params: Any = self.options_class.parse(options)
            options = self.params.to_dict()
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
        """The same parameters, unfitted."""
        return type(self)(**self.options)

    # options that point at one training run's state (checkpoints, resuming): a fold's twin starts without them
    run_state_options: ClassVar[dict[str, Any]] = {}

    def fold_clone(self) -> Backend:
        """An unfitted twin for one cross-validation fold: separate runs never share checkpoints or resume."""
        return type(self)(**{**self.options, **self.run_state_options})

    def end_folds(self) -> None:
        """Cross-validation is over: drop what the fold twins shared (the linear backend's term counts)."""
        return None

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


# name -> "module:Class" of the backend's options: importing them is cheap (no torch), so option checks come first.
_OPTIONS: dict[str, str] = {
    "linear": "koclassify.backends.linear.options:LinearOptions",
    "encoder": "koclassify.backends.encoder.options:EncoderOptions",
    "llm": "koclassify.backends.llm.options:LLMOptions",
}


def get_options_class(name: str) -> type[Options] | None:
    """The options dataclass of a registered backend, without importing the backend (and its heavy extras)."""
    target = _OPTIONS.get(name)
    if target is None:
        return get_backend_class(name).options_class
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def check_backend_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Check ``options`` for backend ``name`` (raises :class:`OptionError`); returns them with defaults filled."""
    if name not in _REGISTRY:
        get_backend_class(name)  # the unknown-backend error
    cls = get_options_class(name)
    return cls.parse(options).to_dict() if cls is not None else dict(options)


def make_backend(name: str, options: dict[str, Any]) -> Backend:
    """Backend ``name`` built from ``options``: options checked first, then the extra it needs, then built."""
    check_backend_options(name, options)
    cls = get_backend_class(name)
    cls.check_requirements()
    return cls(**options)


def available_backends() -> list[str]:
    return sorted(_REGISTRY)


def get_backend_class(name: str) -> type[Backend]:
    try:
        target = _REGISTRY[name]
    except KeyError:
        from koclassify.options import OptionError, suggest

        raise OptionError(
            "backend",
            name,
            message=f"unknown backend {name!r}{suggest(name, _REGISTRY)} (available: "
            f"{', '.join(available_backends())})",
        ) from None
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"{target} is not a Backend subclass")
    return cls
