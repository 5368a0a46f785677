"""Pieces a model never saw, analysed as the training pieces that spell them (``unseen_pieces="spell"``)."""

from __future__ import annotations

import pytest

from koclassify import Classifier
from koclassify.backends.linear import morphs
from koclassify.backends.linear.morphs import Lexicon
from koclassify.errors import KoclassifyError


@pytest.fixture
def empty_cache():
    saved = dict(morphs._cache)
    morphs._cache.clear()
    yield
    morphs._cache.clear()
    morphs._cache.update(saved)


def test_spell_reads_leftmost_longest_training_pieces_of_two_syllables_or_more() -> None:
    lexicon = Lexicon(["유일한", "영화", "영", "진짜", "최고", "ㅋㅋ", "ㅋ", "는"])
    assert lexicon.spell("영화") == ("영화",)  # a training piece is itself
    assert lexicon.spell("는") == ("는",)
    assert lexicon.spell("유일한영화") == ("유일한", "영화")  # a dropped space
    assert lexicon.spell("진짜최고영화") == ("진짜", "최고", "영화")
    assert lexicon.spell("영화관") is None  # "관" is in no training piece: Kiwi's turn
    assert lexicon.spell("영화는") is None  # "는" read alone would be a word (늘/VV), not the particle: Kiwi's turn
    assert lexicon.spell("ㅋㅋㅋㅋㅋ") is None
    assert Lexicon([]).spell("영화") is None


def test_spell_any_takes_one_syllable_parts_too() -> None:
    lexicon = Lexicon(["유일한", "영화", "영", "ㅋㅋ", "ㅋ", "는"], shortest=1)
    assert lexicon.spell("영화는") == ("영화", "는")
    assert lexicon.spell("ㅋㅋㅋㅋㅋ") == ("ㅋㅋ", "ㅋㅋ", "ㅋ")
    assert lexicon.spell("영화관") is None


def test_a_spelled_piece_gets_its_parts_analyses_and_never_reaches_kiwi(empty_cache, monkeypatch) -> None:
    parts = morphs.morph_strings(["유일한 영화"])[0]  # the training pieces' own analyses, cached
    lexicon = Lexicon(["유일한", "영화"])

    def no_kiwi():
        raise AssertionError("Kiwi was called for a piece the lexicon spells")

    monkeypatch.setattr(morphs, "_kiwi", no_kiwi)
    assert morphs.morph_strings(["유일한영화"], lexicon) == [parts]


def test_the_reading_depends_on_the_model_not_on_what_the_process_analysed_before(empty_cache) -> None:
    lexicon = Lexicon(["유일한", "영화"])
    spelled = morphs.morph_strings(["유일한영화"], lexicon)
    own = morphs.morph_strings(["유일한영화"])  # Kiwi's analysis of the whole piece, now in the cache
    assert morphs.morph_strings(["유일한영화"], lexicon) == spelled
    assert morphs.morph_strings(["영화관"], lexicon) == morphs.morph_strings(["영화관"])  # unspellable: Kiwi's
    assert own[0]  # Kiwi read it whole (however it splits it)


TEXTS = ["정말 재미있는 영화", "진짜 지루한 영화", "배우 연기 최고"]
TEXTS += ["시간 낭비 최악", "감동 있는 이야기", "돈 아까운 얘기"]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg"]


def test_the_option_round_trips_and_kiwi_reads_every_unseen_piece(tmp_path) -> None:
    spell = Classifier().fit(TEXTS * 4, LABELS * 4)
    kiwi = Classifier(unseen_pieces="kiwi").fit(TEXTS * 4, LABELS * 4)
    assert spell.backend.features.lexicon is not None and kiwi.backend.features.lexicon is None
    assert spell.backend.features.lexicon.shortest == 2
    any_part = Classifier.load(Classifier(unseen_pieces="spell-any").fit(TEXTS * 4, LABELS * 4).save(tmp_path / "a"))
    assert any_part.backend.options["unseen_pieces"] == "spell-any" and any_part.backend.features.lexicon.shortest == 1
    loaded = Classifier.load(kiwi.save(tmp_path / "kiwi"))
    assert loaded.backend.options["unseen_pieces"] == "kiwi" and loaded.backend.features.lexicon is None
    loaded_spell = Classifier.load(spell.save(tmp_path / "spell"))
    assert loaded_spell.backend.features.lexicon is not None
    assert loaded_spell.backend.features.lexicon.pieces == frozenset(spell.backend.features.train_pieces)
    unseen = ["정말재미있는영화 최고"]  # a dropped space: read the same way before and after saving
    assert (loaded_spell.predict_proba(unseen) == spell.predict_proba(unseen)).all()
    seen = ["정말 재미있는 영화"]  # every piece a training piece: both read it alike
    assert (spell.predict_proba(seen) == kiwi.predict_proba(seen)).all()


def test_a_bad_value_names_the_option() -> None:
    with pytest.raises(KoclassifyError, match="unseen_pieces"):
        Classifier(unseen_pieces="guess")


def test_remembered_spellings_are_bounded_and_read_as_fresh_ones(monkeypatch) -> None:
    monkeypatch.setattr(morphs, "MAX_SPELLINGS", 2)
    lexicon = Lexicon(["유일한", "영화", "진짜", "최고"])
    texts = ["유일한영화 진짜최고", "최고영화 영화관", "진짜영화"]
    first = morphs.morph_strings(texts, lexicon)
    assert len(lexicon._spelled) <= 2  # started afresh when full
    assert morphs.morph_strings(texts, lexicon) == first
    assert Lexicon(lexicon.pieces).parts(["유일한영화", "영화관", "영화"]) == {
        "유일한영화": ("유일한", "영화"),
        "영화관": ("영화관",),  # no spelling: Kiwi reads it whole
        "영화": ("영화",),
    }


def test_threads_sharing_a_lexicon_read_alike() -> None:
    from concurrent.futures import ThreadPoolExecutor

    lexicon = Lexicon(["유일한", "영화", "진짜", "최고", "배우", "연기"])
    starts, ends = ("유일한", "진짜", "최고"), ("영화", "배우", "연기")
    texts = [f"{a}{b} {c}" for a in starts for b in ends for c in ("영화", "관람")]
    expected = morphs.morph_strings(texts, Lexicon(lexicon.pieces))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda t: morphs.morph_strings([t], lexicon)[0], texts * 4))
    assert results == expected * 4


def test_a_model_saved_before_the_option_keeps_kiwis_reading(tmp_path) -> None:
    from koclassify.backends.linear.backend import LinearBackend

    clf = Classifier().fit(TEXTS * 4, LABELS * 4)
    clf.save(tmp_path / "m")
    stored = {k: v for k, v in clf.backend.options.items() if k != "unseen_pieces"}  # an older config
    old = LinearBackend.load(tmp_path / "m" / "backend", stored, clf.labels_)
    assert old.options["unseen_pieces"] == "kiwi" and old.features.lexicon is None
    assert Classifier.load(tmp_path / "m").backend.options["unseen_pieces"] == "spell"
