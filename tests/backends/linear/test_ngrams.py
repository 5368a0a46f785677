"""The array n-gram counter (ngrams.py) gives exactly scikit-learn's counts and TF-IDF rows, shared by threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from koclassify import Classifier, Example
from koclassify.backends.linear.features import view
from koclassify.backends.linear.ngrams import CharCounter, WordCounter, counter_for

TRAIN = [
    "배송이 빨라요 좋아요",
    "배송 느려요 별로",
    "ABC 제품 좋아요!!",
    "그냥  그래요\t보통",
    "ㅋㅋㅋㅋㅋㅋ 웃기다 ㅋㅋ",
    "영화.. 정말 재밌어요 10점",
    "最高 영화 😀 좋다",
    "a",
]
# never-seen words and characters, case folding, empty and blank texts, unusual whitespace, astral characters
TEST = [
    "배송이 빨라요 빨라요",
    "",
    "   ",
    "abc 제품 Good",
    "처음 보는 단어들뿐",
    "ㅋㅋㅋㅋㅋㅋㅋㅋ",
    "그래요\u3000보통\x1c좋아요\x85별로\xa0배송",
    "nul\x00문자 😀😀 最高",
    "a a a",
    " 좋아요 ",
]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "배송좋아요별로영화재밌ㅋ가나다 !.?abcAB12😀\t\n最"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _assert_same(got, expected) -> None:
    assert got.shape == expected.shape
    assert (got != expected).nnz == 0  # counts are integers: exactly equal


def _check_fitted(params: dict, kind: type, seed: int) -> None:
    """Fit on Korean and random mixed texts, count never-seen texts (and none): exactly scikit-learn's counts."""
    vec = CountVectorizer(**params).fit(TRAIN + _random_texts(50, seed))
    counter = counter_for(vec)
    assert isinstance(counter, kind)
    for docs in (TEST, _random_texts(300, seed + 1), []):
        _assert_same(counter.counts(docs), vec.transform(docs))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (1, 4), (1, 6)])
@pytest.mark.parametrize("max_features", [None, 40])
def test_char_wb_counts_equal_sklearn(ngram_range, max_features) -> None:
    """max_features keeps a vocabulary not closed under shorter n-grams: the unpruned lookup must run then."""
    params = {"analyzer": "char_wb", "ngram_range": ngram_range, "max_features": max_features, "dtype": np.float32}
    _check_fitted(params, CharCounter, 1)


def test_char_wb_counts_of_a_given_vocabulary_equal_sklearn() -> None:
    """A vocabulary given by hand need not hold the shorter n-grams of its terms (no pruning then), and may hold
    strings no word can produce (across a word boundary): neither is counted differently from scikit-learn."""
    vocabulary = [" 배송이", "빨라요", "요 ", "  ", "요  빨", "ㅋㅋㅋ", "😀 ", " 最", "좋", " a "]
    vec = CountVectorizer(analyzer="char_wb", ngram_range=(1, 4), vocabulary=vocabulary).fit(TRAIN)
    counter = counter_for(vec)
    assert isinstance(counter, CharCounter) and not counter.closed
    for docs in (TEST, _random_texts(300, 8)):
        _assert_same(counter.counts(docs), vec.transform(docs))


def test_word_ngram_counts_of_a_given_vocabulary_equal_sklearn() -> None:
    vocabulary = ["빨라요 빨라요", "좋아요", "보통 좋아요", "a a", "별로"]
    vec = CountVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", vocabulary=vocabulary).fit(TRAIN)
    _assert_same(counter_for(vec).counts(TEST), vec.transform(TEST))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2), (1, 3)])
@pytest.mark.parametrize("lowercase", [True, False])
def test_word_ngram_counts_equal_sklearn(ngram_range, lowercase) -> None:
    params = {"analyzer": "word", "ngram_range": ngram_range, "token_pattern": r"(?u)\S+", "lowercase": lowercase}
    _check_fitted(params, WordCounter, 3)


@pytest.mark.parametrize("analyzer", ["char_wb", "word"])
def test_texts_counted_in_chunks_give_the_matrix_of_one_call(monkeypatch, analyzer) -> None:
    from koclassify.backends.linear import ngrams

    pattern = {"token_pattern": r"\S+"} if analyzer == "word" else {}
    vec = CountVectorizer(analyzer=analyzer, ngram_range=(1, 3), **pattern).fit(TRAIN + _random_texts(50, 8))
    docs = TEST + _random_texts(60, 9)
    monkeypatch.setattr(ngrams, "CHUNK_TEXTS", 7)  # 70 texts: ten chunks, the last one short
    got = counter_for(vec).counts(docs)
    _assert_same(got, vec.transform(docs))
    assert got.has_canonical_format and got.dtype == vec.transform(docs).dtype


def test_settings_the_counter_does_not_cover_keep_sklearns_path() -> None:
    assert counter_for(CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(TRAIN)) is None
    assert counter_for(CountVectorizer(analyzer="char", ngram_range=(1, 2)).fit(TRAIN)) is None
    assert counter_for(CountVectorizer(analyzer="word", token_pattern=r"\w+").fit(TRAIN)) is None
    assert counter_for(CountVectorizer(analyzer="char_wb", binary=True).fit(TRAIN)) is None
    assert counter_for(CountVectorizer(analyzer=str.split).fit(TRAIN)) is None


def _model() -> Classifier:
    texts = TRAIN * 3 + ["정말 재밌는 영화", "지루한 영화 별로"] * 5
    labels = (["p", "n"] * 4) * 3 + ["p", "n"] * 5
    return Classifier(features="char,word,morph", min_df=1).fit(texts, labels)


def test_every_block_of_a_model_equals_tfidfvectorizer_transform() -> None:
    """The union's transform (array counts + scikit-learn's TfidfTransformer) against each block's own
    TfidfVectorizer.transform, on Korean texts the model never saw."""
    features = _model().backend.features
    examples = [Example(str(i), t) for i, t in enumerate(TEST + _random_texts(100, 5))]
    for block in features.blocks:
        docs = view(block, examples, features.context_width)
        expected = features.vectorizers[block].transform(docs)
        got = features.transform_block(block, docs)
        assert features._counters[block] is not None, block
        assert got.shape == expected.shape
        assert abs(got - expected).max() < 1e-6, block


def test_target_blocks_use_the_counter_too() -> None:
    from koclassify import Span

    texts = ["아 학교 가기 싫다", "회사 가는 게 좋다", "학교 급식 맛있다", "회사 일이 많다"] * 5
    forms = ["학교", "회사", "학교", "회사"] * 5
    spans = [Span(f, t.index(f), t.index(f) + len(f)) for t, f in zip(texts, forms)]
    examples = [Example(str(i), t, span) for i, (t, span) in enumerate(zip(texts, spans))]
    clf = Classifier().fit(examples, ["n", "p", "p", "n"] * 5)
    features = clf.backend.features
    assert {"target", "context"} <= set(features.blocks)
    probe = [Example("x", "학교 가는 길이 좋다", Span("학교", 0, 2))]
    probe.append(Example("y", "처음 보는 회사", Span("회사", 6, 8)))
    probe.append(Example("z", "회사"))
    for block in features.blocks:
        docs = view(block, probe, features.context_width)
        assert abs(features.transform_block(block, docs) - features.vectorizers[block].transform(docs)).max() < 1e-6


def test_threads_share_one_union_and_get_the_same_rows() -> None:
    """The HTTP service predicts from threads: the counters are built once, on first use, whichever thread comes
    first, and never change after, so concurrent calls give what one call gives."""
    clf = _model()
    texts = TEST + _random_texts(60, 6)
    expected = clf.predict_proba(texts)
    clf.backend.features._counters.clear()  # the first calls below race to build them
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: clf.predict_proba(texts[i % 7 :: 3]), range(40)))
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, expected[i % 7 :: 3], atol=1e-6)


def test_a_reloaded_model_predicts_as_sklearns_transform_would(tmp_path) -> None:
    clf = _model()
    clf.save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    texts = TEST + _random_texts(40, 7)
    features = loaded.backend.features
    examples = [Example(str(i), t) for i, t in enumerate(texts)]
    views = {b: view(b, examples, 12, features.lexicon) for b in features.blocks}
    slow = features._stack([features.vectorizers[b].transform(views[b]) for b in features.blocks])
    assert abs(features.transform(examples) - slow).max() < 1e-6
    np.testing.assert_allclose(loaded.predict_proba(texts), clf.predict_proba(texts), atol=1e-6)


def test_tfidf_vectorizer_with_the_projects_settings_is_covered() -> None:
    from koclassify.backends.linear.features import BLOCKS, COMMON

    for block, params in BLOCKS.items():
        vec = TfidfVectorizer(**params, **COMMON).fit(TRAIN)
        assert counter_for(vec) is not None, block
