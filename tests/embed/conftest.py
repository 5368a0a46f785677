"""A tiny deterministic embedding provider, so the embedding code is tested without a real model."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from koclassify.embed import EmbedderInfo, Provider, forget_embedders, register_provider

DIM = 16


class FakeProvider(Provider):
    """Bag of characters hashed into 16 dimensions; records every text it is asked to encode."""

    name = "fake"
    version = "1"

    def __init__(self, model: str | None = None) -> None:
        self.model = model or "chars"
        self.seen: list[str] = []

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(self.name, self.model, self.version, DIM, prefix="", long_texts="truncated")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        assert all(t.strip() for t in texts), "empty texts must not reach the provider"
        self.seen.extend(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, zlib.crc32(ch.encode()) % DIM] += 1.0
        return out  # unnormalised on purpose: the Embedder normalises


@pytest.fixture
def fake() -> Iterator[type[FakeProvider]]:
    """Registers the ``fake`` provider; every test starts and ends with no process-wide embedder."""
    register_provider("fake", FakeProvider)
    forget_embedders()
    yield FakeProvider
    forget_embedders()
