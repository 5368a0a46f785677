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


class DictStore:
    """A ``morphs.AnalysisStore`` in this process: what it was asked and given."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known, self.asked, self.given = dict(known), [], {}

    def get(self, pieces: list[str]) -> dict[str, str]:
        self.asked += pieces
        return {p: self.known[p] for p in pieces if p in self.known}

    def put(self, analyses: dict[str, str]) -> None:
        self.given.update(analyses)


def test_a_shared_store_is_asked_before_kiwi_and_given_what_kiwi_read(small_cache, monkeypatch) -> None:
    """Ray workers share analyses: a piece another worker analysed is not sent to Kiwi again."""
    monkeypatch.setattr(morphs, "MAX_CACHE", 100)
    store = DictStore({"사과": "사과/NNG-from-the-store"})
    sent: list[str] = []
    real = morphs._kiwi()

    class Recording:
        def tokenize(self, pieces):
            sent.extend(pieces)
            return real.tokenize(pieces)

    monkeypatch.setattr(morphs, "_kiwi", Recording)
    morphs.share_analyses(store)
    try:
        found = morphs.analyses(["사과", "바나나", "사과"])
        again = morphs.analyses(["사과", "바나나"])  # now in this process's cache: the store is not asked
    finally:
        morphs.share_analyses(None)
    assert found["사과"] == "사과/NNG-from-the-store" and found["바나나"].startswith("바나나/")
    assert sent == ["바나나"]  # only what the store did not hold went to Kiwi
    assert store.asked == ["사과", "바나나"] and store.given == {"바나나": found["바나나"]}
    assert again == found
    morphs._cache.clear()
    assert morphs.analyses(["사과"])["사과"] == "사과/NNG"  # without a store, Kiwi's own reading
