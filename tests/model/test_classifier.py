"""The public estimator: fit / predict_proba / predict / calibrate / save / load."""

from __future__ import annotations

import numpy as np
import pytest

from koclassify import Classifier, Example
from koclassify.errors import DataError, KoclassifyError, ModelError
from small_data import multi_label_data  # tests/ is on sys.path (the rootdir of its test packages)

POS = ["정말 재미있어요", "최고의 영화였어요", "배우 연기가 좋았어요", "또 보고 싶어요", "감동적이고 재미있어요"]
NEG = ["너무 지루했어요", "최악의 영화였어요", "연기가 별로였어요", "시간 아까워요", "지루하고 재미없어요"]


@pytest.fixture(scope="module")
def sentiment() -> Classifier:
    texts = POS * 4 + NEG * 4
    return Classifier().fit(texts, ["긍정"] * 20 + ["부정"] * 20)


def test_fit_predict_single_and_batch(sentiment: Classifier) -> None:
    assert sentiment.predict("정말 재미있어요") == "긍정"
    assert sentiment.predict(["최악이고 지루했어요", "최고였어요"]) == ["부정", "긍정"]
    probs = sentiment.predict_proba(["재미있어요", "지루해요"])
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert sentiment.labels_.names == ("긍정", "부정")
    assert not sentiment.labels_.multi_label
    assert sentiment.decision_.rule == "argmax"


def test_save_load_round_trip(sentiment: Classifier, tmp_path) -> None:
    texts = ["재미있었어요", "지루했어요", "그냥 그랬어요"]
    sentiment.save(tmp_path / "model")
    loaded = Classifier.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_proba(texts), sentiment.predict_proba(texts), rtol=1e-6)
    assert loaded.predict(texts) == sentiment.predict(texts)
    assert not list((tmp_path / "model").rglob("*.pkl")), "model directories hold no pickles"


def test_save_replaces_directory_atomically(sentiment: Classifier, tmp_path) -> None:
    target = tmp_path / "model"
    sentiment.save(target)
    sentiment.save(target)  # an earlier model directory is replaced whole
    (target / "stale.txt").write_text("old")
    with pytest.raises(KoclassifyError, match="stale.txt"):  # a file koclassify did not write is never deleted
        sentiment.save(target)
    assert (target / "stale.txt").read_text() == "old"
    sentiment.save(target, overwrite=True)  # unless the person says so
    assert not (target / "stale.txt").exists()
    assert (target / "config.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["model"], "no temp directories are left behind"


def test_save_refuses_to_replace_what_is_not_a_model(sentiment: Classifier, tmp_path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "important.txt").write_text("x")
    with pytest.raises(KoclassifyError, match="not a koclassify model"):
        sentiment.save(notes)
    assert (notes / "important.txt").read_text() == "x"
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep")
    with pytest.raises(KoclassifyError, match="not a model directory"):
        sentiment.save(a_file)
    assert a_file.read_text() == "keep"
    (tmp_path / "empty").mkdir()
    sentiment.save(tmp_path / "empty")  # an empty directory is fine
    sentiment.save(notes, overwrite=True)  # and the person may say so
    assert not (notes / "important.txt").exists() and (notes / "config.json").is_file()


def test_multi_label_thresholds_round_trip_and_change_predictions(tmp_path) -> None:
    texts, labels = multi_label_data(6)
    clf = Classifier().fit(texts, labels)
    assert clf.labels_.multi_label
    assert clf.decision_.rule == "at_least_one"  # every training row has a label
    before = clf.predict(["기쁘고 슬퍼요"])
    clf.set_thresholds({name: 0.0 for name in clf.labels_.names})
    assert set(clf.predict(["기쁘고 슬퍼요"])[0]) == set(clf.labels_.names)
    clf.save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.thresholds_dict() == {name: 0.0 for name in clf.labels_.names}
    assert loaded.predict(["기쁘고 슬퍼요"]) != [before]


def test_examples_with_labels_and_dev(tmp_path) -> None:
    texts, labels = multi_label_data(6)
    train = [Example(id=str(i), text=t, labels=tuple(lab)) for i, (t, lab) in enumerate(zip(texts, labels))]
    clf = Classifier().fit(train, dev=train[:6])
    thresholds = clf.calibrate(train[:12], objective="micro-f1")
    assert set(thresholds) == set(clf.labels_.names)
    assert clf.calibration_["objective"] == "micro-f1"


def test_cross_val_proba_is_out_of_fold() -> None:
    texts, labels = multi_label_data(6)
    clf = Classifier().fit(texts, labels)
    oof = clf.cross_val_proba(texts, labels, folds=3)
    assert oof.shape == (len(texts), len(clf.labels_))
    assert np.all((oof >= 0) & (oof <= 1))
    assert not np.allclose(oof, clf.predict_proba(texts))


def test_errors_are_clear(tmp_path) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        Classifier().predict("안녕")
    with pytest.raises(DataError, match="2 texts but 1 labels"):
        Classifier().fit(["가", "나"], ["x"])
    clf = Classifier().fit(POS + NEG, ["긍정"] * 5 + ["부정"] * 5)
    with pytest.raises(DataError, match="'중립'.*not in the label space"):
        clf.calibrate(["그냥 그래요"], ["중립"])
    with pytest.raises(ModelError, match="not a koclassify model directory"):
        Classifier.load(tmp_path)
    with pytest.raises(KoclassifyError, match="unknown backend 'nope'"):
        Classifier("nope")
