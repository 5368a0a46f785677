"""The offline default backend: features, target conditioning, pickle-free persistence."""

from __future__ import annotations

import numpy as np
import pytest

from koclassify import Classifier, Example, Span
from koclassify.backends.linear.features import window
from koclassify.backends.linear.morphs import morph_strings


def _span(text: str, form: str) -> Span:
    begin = text.index(form)
    return Span(form, begin, begin + len(form))


def test_morphemes_come_from_kiwi() -> None:
    (out,) = morph_strings(["학교에 가기 싫다"])
    assert "학교/NNG" in out.split()
    assert "싫/VA" in out.split()


def test_window_marks_the_span() -> None:
    text = "아 학교 가기 싫다"
    ex = Example("1", text, target=_span(text, "학교"))
    assert window(ex, 2) == "아  ◆  가"
    assert window(Example("2", text), 2) == ""


def test_target_decides_between_labels_of_one_sentence() -> None:
    """Same sentence, two targets, two emotions: only target features can separate them."""
    templates = [
        ("{a}는 정말 좋았는데 {b}는 너무 싫었다", "기쁨", "혐오"),
        ("{a}는 최고였고 {b}는 최악이었다", "기쁨", "혐오"),
        ("{a} 덕분에 행복했지만 {b} 때문에 짜증났다", "기쁨", "혐오"),
    ]
    nouns = [("커피", "빵"), ("영화", "음악"), ("여행", "숙소"), ("선물", "포장"), ("공연", "좌석"), ("책", "표지")]
    examples = []
    for a, b in nouns:
        for tpl, la, lb in templates:
            text = tpl.format(a=a, b=b)
            examples.append(Example(f"{a}{b}{la}", text, target=_span(text, a), labels=(la,)))
            examples.append(Example(f"{a}{b}{lb}", text, target=_span(text, b), labels=(lb,)))
    clf = Classifier().fit(examples)
    assert set(clf.backend.features.blocks) >= {"target", "context"}
    text = "공연는 정말 좋았는데 숙소는 너무 싫었다"
    first = Example("q1", text, target=_span(text, "공연"))
    second = Example("q2", text, target=_span(text, "숙소"))
    assert clf.predict([first, second]) == ["기쁨", "혐오"]


def test_weights_are_plain_arrays(tmp_path) -> None:
    clf = Classifier().fit(["좋아요", "싫어요", "좋다", "싫다"] * 5, ["p", "n", "p", "n"] * 5)
    clf.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "backend" / "arrays.npz", allow_pickle=False) as npz:
        assert npz["coef"].shape[0] == 2
        assert "idf_char" in npz.files and "idf_morph" in npz.files


def test_unknown_feature_block_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feature blocks"):
        Classifier(features="char,glyphs").fit(["가", "나"], ["a", "b"])


def test_class_absent_from_training_gets_probability_near_zero() -> None:
    clf = Classifier().fit(["좋아요", "싫어요"] * 5, ["p", "n"] * 5, labels=["p", "n", "neutral"])
    probs = clf.predict_proba(["좋아요"])
    assert probs.shape == (1, 3)
    assert probs[0, 2] < 1e-6


def test_word_block_and_class_weight_options() -> None:
    texts = ["좋아요 정말", "싫어요 정말", "좋다 진짜", "싫다 진짜"] * 5
    clf = Classifier(features="char,word", class_weight="balanced", C=1.0).fit(texts, ["p", "n", "p", "n"] * 5)
    assert clf.backend.features.blocks == ["char", "word"]
    assert clf.predict("좋아요 진짜") == "p"


def test_a_loaded_model_knows_the_morphemes_of_its_training_words(tmp_path, monkeypatch) -> None:
    """The model directory keeps the Kiwi analyses of its training pieces; a fresh process needs Kiwi only for new
    ones, and predicts exactly as the process that trained it."""
    from koclassify.backends.linear import morphs

    texts = ["배송이 정말 빨라요", "포장이 엉망이라 실망", "품질이 훌륭해요", "다시는 안 사요"] * 5
    clf = Classifier().fit(texts, ["p", "n", "p", "n"] * 5)
    before = clf.predict_proba(texts[:4])
    clf.save(tmp_path / "m")
    assert (tmp_path / "m" / "backend" / "morphs.tsv.gz").is_file()

    morphs._cache.clear()
    loaded = Classifier.load(tmp_path / "m")
    assert "빨라요" in morphs._cache

    def no_kiwi(words):
        raise AssertionError(f"Kiwi called for {words}")

    monkeypatch.setattr(morphs, "_kiwi", lambda: type("K", (), {"tokenize": staticmethod(no_kiwi)})())
    np.testing.assert_allclose(loaded.predict_proba(texts[:4]), before, atol=1e-7)
    monkeypatch.undo()
    loaded.predict_proba(["처음 보는 문장"])  # new eojeol still go to Kiwi
    assert "처음" in morphs._cache
    loaded.save(tmp_path / "again")  # a re-saved model keeps the analyses it loaded
    assert (tmp_path / "again" / "backend" / "morphs.tsv.gz").is_file()


def test_a_damaged_analyses_file_is_a_clear_model_error(tmp_path) -> None:
    from koclassify.errors import ModelError

    Classifier().fit(["좋아요", "싫어요"] * 10, ["p", "n"] * 10).save(tmp_path / "m")
    (tmp_path / "m" / "backend" / "morphs.tsv.gz").write_bytes(b"not gzip")
    with pytest.raises(ModelError, match="morphs.tsv.gz|linear weights"):
        Classifier.load(tmp_path / "m")


# ---------------------------------------------------------------- NB weighting (issue 16)
def _sentiment() -> tuple[list[str], list[str]]:
    pos = ["정말 재밌어요", "최고의 영화", "배우 연기 좋아요", "감동적이고 재밌다", "또 보고 싶어요"]
    neg = ["정말 지루해요", "최악의 영화", "연기가 어색해요", "시간 아깝다", "다시는 안 봐요"]
    return (pos + neg) * 4, (["pos"] * 5 + ["neg"] * 5) * 4


def test_nb_ratios_are_saved_as_arrays_and_predictions_survive_the_round_trip(tmp_path) -> None:
    texts, labels = _sentiment()
    clf = Classifier(nb="on").fit(texts, labels)
    head = clf.backend.head
    assert head.nb is not None and head.nb.shape == head.coef.shape
    vocab, pos = clf.backend.features.vectorizers["char"].vocabulary_, clf.labels_.names.index("pos")
    # a word of one class is amplified, a word of both ("영화": 최고의 영화, 최악의 영화) damped
    assert head.nb[pos, vocab["최악"]] > 1 > head.nb[pos, vocab["영화"]]
    clf.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "backend" / "arrays.npz", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["nb"], head.nb)
    loaded = Classifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(texts), clf.predict_proba(texts), rtol=1e-6)
    assert loaded.predict("최악의 연기") == "neg"


def test_nb_for_many_classes_and_multi_label() -> None:
    texts = ["기뻐요 좋아요", "슬퍼요 눈물", "화나요 짜증", "기쁘고 좋다", "슬프다 우울", "화가 난다"] * 5
    classes = ["기쁨", "슬픔", "분노"] * 10
    clf = Classifier(nb="on").fit(texts, classes)
    assert clf.backend.head.kind == "ovr_norm"
    probs = clf.predict_proba(["좋아요 기뻐요", "짜증 나요"])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert clf.predict("좋아요 기뻐요") == "기쁨"
    tags = [[c, "강함"] if i % 3 == 0 else [c] for i, c in enumerate(classes)]
    multi = Classifier(nb="on", multi_label=True).fit(texts, tags)
    assert multi.backend.head.kind == "ovr" and multi.backend.head.nb.shape[0] == 4


def test_nb_strength_interpolates_between_plain_and_nb_features(tmp_path) -> None:
    texts, labels = _sentiment()
    full, half = Classifier(nb="on").fit(texts, labels), Classifier(nb=0.5).fit(texts, labels)
    assert half.backend.choice.nb == 0.5 and half.backend.choice.name == "logistic+nb0.5"
    np.testing.assert_allclose(half.backend.head.nb, 0.5 + 0.5 * full.backend.head.nb, rtol=1e-6)
    half.save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.backend.choice.nb == 0.5
    np.testing.assert_allclose(loaded.predict_proba(texts), half.predict_proba(texts), rtol=1e-6)
    assert Classifier(nb=0).backend.options["nb"] == "off" and Classifier(nb="1").backend.options["nb"] == "on"
    assert Classifier(nb="0.25").backend.options["nb"] == 0.25  # -O nb=0.25 from the CLI arrives as text


def test_nb_auto_by_default_half_strength_for_multi_label_and_two_classes_none_for_more() -> None:
    texts, labels = _sentiment()
    assert Classifier().backend.options["nb"] == "auto"
    binary = Classifier().fit(texts, labels)
    assert binary.backend.choice.nb == 0.5 and binary.backend.selection == {}  # no fits spent on choosing
    many = ["기뻐요 좋아요", "슬퍼요 눈물", "화나요 짜증"] * 10
    three = Classifier().fit(many, ["기쁨", "슬픔", "분노"] * 10)
    assert three.backend.choice.nb == 0.0 and three.backend.head.nb is None
    tags = [["기쁨", "강함"] if i % 3 == 0 else ["기쁨"] if i % 3 == 1 else ["슬픔"] for i in range(30)]
    assert Classifier().fit(many, tags).backend.choice.nb == 0.5


def test_nb_training_is_reproducible() -> None:
    texts, labels = _sentiment()
    first, second = (Classifier(nb=0.5).fit(texts, labels).predict_proba(texts) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_nb_select_is_chosen_on_validation_and_recorded() -> None:
    from koclassify.backends.linear.select import nb_option

    texts, labels = _sentiment()
    clf = Classifier(nb="select").fit(texts, labels)
    assert set(clf.backend.selection) == {"logistic", "logistic+nb0.5", "logistic+nb"}
    best = max(clf.backend.selection, key=clf.backend.selection.get)
    assert clf.backend.choice.name == best
    assert clf.backend.clone().options["nb"] == "select"  # clone: the same parameters, unfitted
    # the folds of cross-validated calibration reuse the choice made on the full training set
    assert clf.backend.fold_clone().options["nb"] == nb_option(clf.backend.choice.nb)


def test_bad_nb_value_is_refused() -> None:
    from koclassify.errors import KoclassifyError

    for bad in ("maybe", 1.5, -0.1, "nan"):
        with pytest.raises(KoclassifyError, match="nb must be auto, select, on, off or a number in"):
            Classifier(nb=bad)
    with pytest.raises(KoclassifyError, match="nb=NaN"):  # the option layer refuses a NaN of any option
        Classifier(nb=float("nan"))


def test_saved_nb_strength_is_read_back_old_booleans_too_and_a_bad_one_is_a_model_error(tmp_path) -> None:
    import json

    from koclassify.errors import ModelError

    texts, labels = _sentiment()
    Classifier(nb="on").fit(texts, labels).save(tmp_path / "m")
    meta_path = tmp_path / "m" / "backend" / "linear.json"
    meta = json.loads(meta_path.read_text())
    assert meta["head"]["nb"] == 1.0
    meta["head"]["nb"] = True  # models saved before strengths recorded a boolean
    meta_path.write_text(json.dumps(meta))
    from koclassify.manifest import write_manifest

    write_manifest(tmp_path / "m")  # as a model saved before strengths would be
    assert Classifier.load(tmp_path / "m").backend.choice.nb == 1.0
    for bad in (7, "auto", "maybe"):
        meta["head"]["nb"] = bad
        meta_path.write_text(json.dumps(meta))
        write_manifest(tmp_path / "m")
        with pytest.raises(ModelError, match="linear weights"):
            Classifier.load(tmp_path / "m")
