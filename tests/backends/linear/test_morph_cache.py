"""The morpheme cache under overflow and under concurrent use (a server's threads share it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from koclassify.backends.linear import morphs


@pytest.fixture
def small_cache(monkeypatch):
    monkeypatch.setattr(morphs, "MAX_CACHE", 3)
    saved = dict(morphs._cache)
    morphs._cache.clear()
    yield
    morphs._cache.clear()
    morphs._cache.update(saved)


def test_overflow_keeps_the_pieces_the_batch_needs(small_cache) -> None:
    """Reported: a batch whose new pieces overflow the cache cleared it, losing its cached pieces (KeyError)."""
    morphs.morph_strings(["학교"])
    out = morphs.morph_strings(["학교 사과 바나나 딸기"])
    assert out[0].startswith("학교/NNG") and "딸기" in out[0]
    assert list(morphs._cache) == ["사과", "바나나", "딸기"]  # bounded: the oldest entries went, not the batch's


def test_eviction_is_oldest_first(small_cache) -> None:
    morphs.morph_strings(["사과 바나나 딸기"])
    morphs.morph_strings(["포도"])
    assert list(morphs._cache) == ["바나나", "딸기", "포도"]


def test_concurrent_threads_with_a_tiny_cache(small_cache) -> None:
    texts = [f"학교 {w} 가요 {i}번" for i, w in enumerate(["사과", "바나나", "딸기", "포도", "수박", "참외"] * 5)]
    expected = morphs.morph_strings(texts)
    morphs._cache.clear()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda t: morphs.morph_strings([t])[0], texts * 4))
    assert results == expected * 4
    assert len(morphs._cache) <= 3
