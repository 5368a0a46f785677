"""Pieces a model never saw, read from the training pieces' own analyses (``unseen_pieces``: affix, spell,
spell-any; kiwi reads them all with Kiwi)."""

from __future__ import annotations

import pytest

from koclassify import Classifier
from koclassify.backends.linear import morphs
from koclassify.backends.linear.morphs import Lexicon, affix_readings
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
    assert spell.backend.features.lexicon.shortest == 2 and spell.backend.features.lexicon.affixes
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
    own = lexicon.analysis
    assert Lexicon(lexicon.pieces).readings(["유일한영화", "영화관", "영화"]) == {
        "유일한영화": f"{own['유일한']} {own['영화']}",
        "영화관": None,  # no spelling: Kiwi reads it whole
        "영화": own["영화"],
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
    assert Classifier.load(tmp_path / "m").backend.options["unseen_pieces"] == "affix"


def test_a_model_saved_with_spell_keeps_training_pieces_alone(tmp_path) -> None:
    spell = Classifier.load(Classifier(unseen_pieces="spell").fit(TEXTS * 4, LABELS * 4).save(tmp_path / "s"))
    lexicon = spell.backend.features.lexicon
    assert spell.backend.options["unseen_pieces"] == "spell" and not lexicon.affixes and not lexicon.tails


# --- affixes: a short stretch between training pieces, read as the training pieces read it

# analyses as Kiwi gives them (seeded, so the tests say exactly which pairs teach what)
SEEDED = {
    "영화": "영화/NNG",
    "영화도": "영화/NNG 도/JX",
    "영화다": "영화/NNG 이/VCP 다/EF",
    "배우": "배우/NNG",
    "배우도": "배우/NNG 도/JX",
    "배우는": "배우/NNG 는/JX",
    "좋다": "좋/VA 다/EF",
    "안좋다": "안/MAG 좋/VA 다/EF",
    "좋았다": "좋/VA 었/EP 다/EF",
    "타이타닉": "타이타닉/NNP",
    "타이타닉은": "타이타닉/NNP 은/JX",
    "재밌다": "재밌/VA 다/EF",
    "재밌고": "재밌/VA 고/EC",
    "재밌고도": "재밌/VA 고도/EC",
}


@pytest.fixture
def seeded(empty_cache):
    morphs._remember(dict(SEEDED))
    yield


def test_affix_readings_are_learned_from_pairs_of_training_pieces_and_keyed_by_the_neighbours_tag() -> None:
    tails, heads = affix_readings(SEEDED)
    assert tails[("NNG", "도")] == "도/JX"  # 영화도 beside 영화, 배우도 beside 배우
    assert tails[("NNG", "다")] == "이/VCP 다/EF"  # a contraction: the copula the syllable does not show
    assert tails[("NNP", "은")] == "은/JX"
    assert ("VA", "도") not in tails  # never seen after an adjective's stem: no reading
    assert heads[("안", "VA")] == "안/MAG"  # 안좋다 beside 좋다
    assert len(tails) == 4 and len(heads) == 1  # also ("NNG", "는"); 좋았다 teaches nothing (its rest 좋 is short)
    # a rest of one syllable is never used, and a pair whose analyses do not line up teaches nothing
    assert affix_readings({"가": "가/VV", "가다": "가/VV 다/EF"}) == ({}, {})
    assert affix_readings({"영화": "영화/NNG", "영화다": "영/NNG 화다/VV"}) == ({}, {})


def test_affix_readings_do_not_depend_on_the_order_of_the_pieces() -> None:
    disagree = {"영화": "영화/NNG", "영화가": "영화/NNG 가/JKS", "배우": "배우/NNG", "배우가": "배우/NNG 가/VV"}
    forward = affix_readings(disagree)
    backward = affix_readings(dict(reversed(list(disagree.items()))))
    assert forward == backward and forward[0][("NNG", "가")] == "가/JKS"  # a tie: the first in sorted order


def test_affix_reads_a_stretch_no_training_piece_covers_and_never_calls_kiwi(seeded, monkeypatch) -> None:
    lexicon = Lexicon(SEEDED, affixes=True)

    def no_kiwi():
        raise AssertionError("Kiwi was called for a piece the lexicon reads")

    monkeypatch.setattr(morphs, "_kiwi", no_kiwi)
    assert lexicon.read("배우다") == "배우/NNG 이/VCP 다/EF"  # tail after a noun
    assert lexicon.read("타이타닉은영화도") == "타이타닉/NNP 은/JX 영화/NNG 도/JX"  # tails, then a training piece
    assert lexicon.read("안재밌다") == "안/MAG 재밌/VA 다/EF"  # head before an adjective
    assert morphs.morph_strings(["배우다 안재밌다"], lexicon) == ["배우/NNG 이/VCP 다/EF 안/MAG 재밌/VA 다/EF"]
    assert Lexicon(SEEDED).read("배우다") is None  # training pieces alone do not spell it


def test_affix_leaves_to_kiwi_what_its_tables_do_not_read(seeded) -> None:
    lexicon = Lexicon(SEEDED, affixes=True)
    assert lexicon.read("좋다도") is None  # 도 after an ending (EF) was never seen
    assert lexicon.read("영화관") is None  # 관 after a noun: no reading
    assert lexicon.read("안영화") is None  # 안 before a noun: no reading (only before VA)
    assert lexicon.read("도영화") is None  # nothing read before it: a tail cannot start a piece
    assert lexicon.read("영화") == "영화/NNG"
    assert lexicon.readings(["영화관", "배우다"]) == {"영화관": None, "배우다": "배우/NNG 이/VCP 다/EF"}
