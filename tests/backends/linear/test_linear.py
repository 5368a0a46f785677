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
