"""``koclassify.Ensemble``: the Classifier surface over fitted members, and its model directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from koclassify import Classifier, Ensemble
from koclassify.errors import KoclassifyError, ModelError


def test_mean_ensemble_is_the_mean_of_its_members_and_calibrates_on_dev(members, nikl) -> None:
    a, b = members
    _, dev = nikl
    ens = Ensemble([a, b])
    assert ens.labels_ == a.labels_ and ens.decision_ == a.decision_  # decision "auto": the first member's rule
    p = ens.predict_proba(dev.examples)
    np.testing.assert_allclose(p, (a.predict_proba(dev.examples) + b.predict_proba(dev.examples)) / 2, atol=1e-12)

    thresholds = ens.calibrate(dev.examples)
    gold = ens.labels_.indicator(dev.examples)
    on_probs = Ensemble([a, b])
    expected = on_probs.calibrate(probs=p, gold=gold, objective="micro-f1")  # thresholds of the mean's probabilities
    assert thresholds == expected == ens.thresholds_dict() and len(set(thresholds.values())) > 1
    record = ens.calibration_["ensemble"]
    assert record["weighting"] == "mean" and record["weights"] == [0.5, 0.5] and record["weight_vectors_scored"] == 0
    assert len(record["member_dev_scores"]) == 2 and 0 < record["ensemble_dev_score"] <= 1
    assert ens.predict(dev.examples[0]) == ens.labels_.decode(ens.decide(p[:1])[0])


def test_tuned_weights_never_score_below_the_mean_on_dev(members, nikl) -> None:
    _, dev = nikl
    mean, tuned = Ensemble(list(members)), Ensemble(list(members), weights="tuned")
    mean.calibrate(dev.examples)
    tuned.calibrate(dev.examples, objective="micro-f1")
    assert tuned.fit_.weighting == "tuned" and tuned.fit_.evaluated > 1
    assert tuned.fit_.score >= mean.fit_.score
    assert np.isclose(tuned.weights_.sum(), 1.0) and (tuned.weights_ >= 0).all()
    np.testing.assert_allclose(tuned.weights_ * 20, np.round(tuned.weights_ * 20), atol=1e-9)  # the 0.05 grid
    assert tuned.calibration_["ensemble"]["weights"] == pytest.approx(list(tuned.weights_))


def test_given_weights_are_normalised_and_kept_by_calibrate(members, nikl) -> None:
    a, b = members
    _, dev = nikl
    ens = Ensemble([a, b], weights=[3, 1])
    np.testing.assert_allclose(ens.weights_, [0.75, 0.25])
    ens.calibrate(dev.examples)
    np.testing.assert_allclose(ens.weights_, [0.75, 0.25])
    expected = 0.75 * a.predict_proba(dev.examples[:5]) + 0.25 * b.predict_proba(dev.examples[:5])
    np.testing.assert_allclose(ens.predict_proba(dev.examples[:5]), expected, atol=1e-12)
    for bad in ([1], [1, -1], [0, 0], [1, float("nan")]):
        with pytest.raises(KoclassifyError, match="weights"):
            Ensemble([a, b], weights=bad)
    with pytest.raises(KoclassifyError, match="mean, tuned"):
        Ensemble([a, b], weights="best")


def test_save_load_gives_identical_probabilities_from_a_self_contained_directory(members, nikl, tmp_path) -> None:
    a, b = members
    _, dev = nikl
    originals = tmp_path / "A", tmp_path / "B"
    a.save(originals[0]), b.save(originals[1])
    ens = Ensemble([Classifier.load(originals[0]), Classifier.load(originals[1])], weights="tuned")
    ens.calibrate(dev.examples)
    ens.save(tmp_path / "E")
    before = ens.predict_proba(dev.examples)
    for path in originals:
        shutil.rmtree(path)  # the ensemble holds copies: the members' own directories are not needed
    assert sorted(p.name for p in (tmp_path / "E" / "backend" / "members").iterdir()) == ["0", "1"]

    loaded = Classifier.load(tmp_path / "E")
    assert type(loaded) is Classifier and loaded.backend.name == "ensemble"
    again = Ensemble.load(tmp_path / "E")
    assert isinstance(again, Ensemble) and list(again.weights_) == list(ens.weights_)
    for clf in (loaded, again):
        np.testing.assert_array_equal(clf.predict_proba(dev.examples), before)
        assert clf.thresholds_dict() == ens.thresholds_dict() and clf.decision_ == ens.decision_
        assert clf.predict(dev.examples) == ens.predict(dev.examples)
    assert again.calibration_["ensemble"]["weighting"] == "tuned"
    member = Classifier.load(tmp_path / "E" / "backend" / "members" / "1")  # each copy is a whole model
    np.testing.assert_array_equal(member.predict_proba(dev.examples[:3]), b.predict_proba(dev.examples[:3]))


def test_ensemble_load_refuses_a_plain_model(member_dirs) -> None:
    with pytest.raises(ModelError, match="not an ensemble"):
        Ensemble.load(member_dirs[0])


def test_a_member_with_the_same_labels_in_another_order_is_aligned(members, nikl) -> None:
    a, _ = members
    train, dev = nikl
    names = list(reversed(train.label_names))
    reordered = Classifier(features="char").fit(train.examples, labels=names)
    assert list(reordered.labels_.names) == names != list(a.labels_.names)
    ens = Ensemble([a, reordered])
    assert ens.labels_.names == a.labels_.names
    own = reordered.predict_proba(dev.examples[:4])
    aligned = own[:, [names.index(n) for n in a.labels_.names]]
    np.testing.assert_allclose(aligned, a.predict_proba(dev.examples[:4]), atol=1e-9)  # same model, other order
    np.testing.assert_allclose(ens.predict_proba(dev.examples[:4]), aligned, atol=1e-9)


def test_different_label_sets_are_an_error_naming_the_labels() -> None:
    texts = ["정말 좋아요", "너무 싫어요", "좋다", "싫다"] * 3
    pos_neg = Classifier().fit(texts, ["긍정", "부정", "긍정", "부정"] * 3)
    pos_neu = Classifier().fit(texts, ["긍정", "중립", "긍정", "중립"] * 3)
    with pytest.raises(
        KoclassifyError, match=r"member 2 has other labels than member 1: missing \['부정'\], extra \['중립'\]"
    ):
        Ensemble([pos_neg, pos_neu])
    multi = Classifier(multi_label=True).fit(texts, [["긍정"], ["부정"], ["긍정", "부정"], []] * 3)
    with pytest.raises(KoclassifyError, match="multi-label but the ensemble is multi-class"):
        Ensemble([pos_neg, multi])
    with pytest.raises(KoclassifyError, match="at least one member"):
        Ensemble([])
    with pytest.raises(ModelError, match="not fitted"):
        Ensemble([pos_neg, Classifier()])


def test_an_ensemble_is_not_trained(members, nikl) -> None:
    train, _ = nikl
    with pytest.raises(KoclassifyError, match="not trained"):
        Ensemble(list(members)).fit(train.examples)
    with pytest.raises(KoclassifyError, match="not trained"):
        Classifier("ensemble").fit(train.examples)
    with pytest.raises(KoclassifyError, match="cannot be re-trained"):
        Ensemble(list(members)).cross_val_proba(train.examples)


def test_members_keep_their_own_text_fields_and_multi_class_ensembles_use_argmax() -> None:
    """A lyrics genre member that reads the artist beside one that does not: each sees the rows its own way."""
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path

    rows = [ex for ex in read_examples(sample_path("lyrics_train.csv"), None).examples if len(ex.labels) == 1]
    rows = [ex for ex in rows if ex.labels[0] in ("발라드", "댄스")][:80]
    with_artist = Classifier(text_fields=["artist"], multi_value="split").fit(rows)
    plain = Classifier(multi_value="split").fit(rows)
    ens = Ensemble([with_artist, plain], weights="tuned")
    assert ens.decision_.rule == "argmax" and ens.multi_value == "split"
    with pytest.raises(KoclassifyError, match="multi-class ensemble decides by argmax"):
        Ensemble([with_artist, plain], decision="threshold")
    expected = (with_artist.predict_proba(rows[:6]) + plain.predict_proba(rows[:6])) / 2
    np.testing.assert_allclose(ens.predict_proba(rows[:6]), expected, atol=1e-12)
    assert not np.allclose(with_artist.predict_proba(rows[:6]), plain.predict_proba(rows[:6]))
    ens.calibrate(rows[40:])
    assert 0 <= ens.fit_.score <= 1 and ens.calibration_["note"].startswith("multi-class")
    assert all(p in ("발라드", "댄스") for p in ens.predict(rows[:6]))


def test_calibrate_on_member_probabilities_made_elsewhere(members, nikl) -> None:
    """E.g. out-of-fold probabilities: weights and thresholds tuned without running the members again."""
    a, b = members
    _, dev = nikl
    ens = Ensemble([a, b], weights="tuned")
    member_probs = ens.member_proba(dev.examples)
    gold = ens.labels_.indicator(dev.examples)
    from_probs = ens.calibrate(member_probs=member_probs, gold=gold)
    direct = Ensemble([a, b], weights="tuned")
    assert direct.calibrate(dev.examples) == from_probs and list(direct.weights_) == list(ens.weights_)
    with pytest.raises(ValueError, match="gold"):
        ens.calibrate(member_probs=member_probs)
    with pytest.raises(KoclassifyError, match="probabilities"):
        ens.calibrate(member_probs=[p[:5] for p in member_probs], gold=gold)


def test_repr_and_members(members) -> None:
    ens = Ensemble(list(members), weights=[1, 3])
    assert ens.members[0] is members[0] and "linear+linear" in repr(ens) and "0.25, 0.75" in repr(ens)


def test_a_damaged_ensemble_directory_is_a_model_error(members, tmp_path: Path) -> None:
    ens = Ensemble(list(members))
    ens.save(tmp_path / "E")
    shutil.rmtree(tmp_path / "E" / "backend" / "members" / "1")
    with pytest.raises(ModelError, match="members/1: missing \\(manifest.json lists files in it\\)"):
        Classifier.load(tmp_path / "E")
    (tmp_path / "E" / "manifest.json").unlink()  # and without the manifest's help: the loader's own check
    with pytest.raises(ModelError, match="manifest.json: missing"):
        Classifier.load(tmp_path / "E")


def test_an_ensemble_can_be_a_member(members, nikl, tmp_path: Path) -> None:
    a, b = members
    _, dev = nikl
    inner = Ensemble([a, b], weights=[1, 1])
    outer = Ensemble([inner, a], weights=[2, 2])
    expected = 0.5 * (0.5 * a.predict_proba(dev.examples) + 0.5 * b.predict_proba(dev.examples))
    expected += 0.5 * a.predict_proba(dev.examples)
    np.testing.assert_allclose(outer.predict_proba(dev.examples), expected, atol=1e-12)
    outer.save(tmp_path / "O")
    assert (tmp_path / "O" / "backend" / "members" / "0" / "backend" / "members" / "1" / "config.json").is_file()
    np.testing.assert_array_equal(
        Classifier.load(tmp_path / "O").predict_proba(dev.examples), outer.predict_proba(dev.examples)
    )


def test_trust_remote_code_is_the_callers_and_reaches_every_member(members, tmp_path: Path, monkeypatch) -> None:
    Ensemble(list(members)).save(tmp_path / "E")
    seen: list[tuple[str, bool]] = []
    load = Classifier.load.__func__

    def spy(cls, directory, *, trust_remote_code=False):
        seen.append((Path(directory).name, trust_remote_code))
        return load(cls, directory, trust_remote_code=trust_remote_code)

    monkeypatch.setattr(Classifier, "load", classmethod(spy))
    Classifier.load(tmp_path / "E", trust_remote_code=True)
    assert seen == [("E", True), ("0", True), ("1", True)]
    seen.clear()
    Classifier.load(tmp_path / "E")
    assert seen == [("E", False), ("0", False), ("1", False)]
    config = json.loads((tmp_path / "E" / "config.json").read_text(encoding="utf-8"))
    assert "trust_remote_code" not in config["backend_options"]
