"""The multi-label second stage (issue 16): fitted in calibrate(), applied after the first stage, saved as arrays."""

from __future__ import annotations

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.decide.stacking import Stacker, fit_stacker, out_of_fold
from koclassify.errors import KoclassifyError
from small_data import multi_label_data  # tests/ is on sys.path (the rootdir of its test packages)


def _correlated(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Label 2 is on exactly when labels 0 and 1 both are: the first stage, which scores label 2 alone,
    cannot see that, a second stage over all labels' log-odds can."""
    rng = np.random.default_rng(seed)
    gold = rng.random((n, 3)) < 0.5
    gold[:, 2] = gold[:, 0] & gold[:, 1]
    probs = np.clip(np.where(gold, 0.7, 0.3) + rng.normal(0, 0.15, (n, 3)), 0.01, 0.99)
    probs[:, 2] = rng.random(n)  # the first stage knows nothing about label 2
    return probs, gold


def test_second_stage_learns_a_label_from_the_others() -> None:
    probs, gold = _correlated()
    oof = out_of_fold(probs, gold)
    assert oof.shape == gold.shape
    first_auc, second_auc = _auc(probs[:, 2], gold[:, 2]), _auc(oof[:, 2], gold[:, 2])
    assert first_auc < 0.6 < 0.85 < second_auc
    stacker = fit_stacker(probs, gold)
    assert stacker.coef.shape == (3, 3) and stacker.coef[2, 0] > 0 and stacker.coef[2, 1] > 0


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def test_stacked_model_round_trips_through_save_and_load(tmp_path) -> None:
    texts, labels = multi_label_data(5)
    clf = Classifier(stack="on").fit(texts, labels)
    gold = clf.labels_.indicator(clf.prepare([*map(_ex, texts, labels)]))
    oof = clf.cross_val_proba(texts, labels, folds=3)
    clf.calibrate(probs=oof, gold=gold)
    assert isinstance(clf.stack_, Stacker) and clf.calibration_["stack"]["used"]
    stacked = clf.predict_proba(texts)
    assert not np.allclose(stacked, clf.predict_proba(texts, use_stack=False))
    clf.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "stack.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["coef", "intercept"]
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.stack == "on" and loaded.stack_ is not None
    np.testing.assert_allclose(loaded.predict_proba(texts), stacked)
    assert loaded.predict(texts) == clf.predict(texts)
    # recalibrating without the second stage removes its file from the model directory
    loaded.calibrate(probs=oof, gold=gold, stack="off")
    loaded.save_calibration(tmp_path / "m")
    assert not (tmp_path / "m" / "stack.npz").exists()
    assert Classifier.load(tmp_path / "m").stack_ is None


def _ex(text: str, labels: list[str]):
    from koclassify import Example

    return Example(text, text, labels=tuple(labels))


def test_auto_fits_the_second_stage_when_there_are_enough_rows() -> None:
    texts, labels = multi_label_data(5)
    clf = Classifier().fit(texts, labels)  # stack="auto" by default
    probs, gold = _correlated(n=300)
    names = list(clf.labels_.names)
    wide = np.full((300, len(names)), 0.01)
    wide[:, :3] = probs
    gold_wide = np.zeros_like(wide, dtype=bool)
    gold_wide[:, :3] = gold
    gold_wide[:, 3] = ~gold.any(axis=1)  # every row has a label
    clf.calibrate(probs=wide, gold=gold_wide)
    record = clf.calibration_["stack"]
    assert record["used"] and clf.stack_ is not None
    assert record["score_stacked"] > record["score_first_stage"]  # label 2 is learnt from labels 0 and 1
    assert record["cv_score_stacked"] > record["cv_score_first_stage"]  # what auto decided on
    assert clf.calibration_["score"] == record["score_stacked"]
    clf.calibrate(probs=wide[:40], gold=gold_wide[:40])  # too few rows for auto
    assert "too few" in clf.calibration_["stack"]["note"] and clf.stack_ is None
    clf.calibrate(probs=wide[:40], gold=gold_wide[:40], stack="on")  # asked for: fitted all the same
    assert clf.stack_ is not None
    clf.calibrate(probs=wide, gold=gold_wide, stack="off")
    assert clf.stack_ is None and clf.calibration_["stack"] == {"mode": "off", "used": False}


def test_bad_stack_values_and_damaged_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(KoclassifyError, match="stack"):
        Classifier(stack="sometimes")
    assert Classifier(stack=True).stack == "on"  # YAML's bare `on`
    texts, labels = multi_label_data(5)
    clf = Classifier(stack="on").fit(texts, labels)
    gold = clf.labels_.indicator([*map(_ex, texts, labels)])
    clf.calibrate(probs=clf.cross_val_proba(texts, labels, folds=3), gold=gold)
    clf.save(tmp_path / "m")
    (tmp_path / "m" / "stack.npz").write_bytes(b"not an npz")
    with pytest.raises(KoclassifyError, match="stack.npz"):
        Classifier.load(tmp_path / "m")


def _independent(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels with nothing to learn from each other: each first-stage probability already says all there is."""
    rng = np.random.default_rng(seed)
    gold = rng.random((n, 4)) < 0.4
    probs = np.clip(np.where(gold, 0.65, 0.35) + rng.normal(0, 0.2, gold.shape), 0.01, 0.99)
    return probs, gold


def test_auto_keeps_the_second_stage_only_when_cross_validation_says_it_helps() -> None:
    from koclassify.decide.calibration import cross_validated_score
    from koclassify.decide.decision import DecisionRule

    texts, labels = multi_label_data(5)
    clf = Classifier().fit(texts, labels)
    probs, gold = _independent()
    clf.decision_ = DecisionRule("threshold")
    clf.calibrate(probs=probs, gold=gold)
    record = clf.calibration_["stack"]
    assert not record["used"] and clf.stack_ is None and "does not help" in record["note"]
    assert record["cv_score_stacked"] <= record["cv_score_first_stage"]
    # the record's scores are what cross_validated_score computes, thresholds tuned on other rows only
    rule = clf.decision_
    first = cross_validated_score(probs, gold, rule=rule, objective="micro-f1", grid=0.001)
    assert record["cv_score_first_stage"] == round(first, 6)
    assert first <= record["score_first_stage"]  # in-sample thresholds flatter the first stage
    clf.calibrate(probs=probs, gold=gold, stack="on")  # asked for: kept regardless
    assert clf.stack_ is not None and clf.calibration_["stack"]["used"]


def test_the_second_stage_fit_uses_one_blas_thread() -> None:
    import scipy.optimize
    from threadpoolctl import threadpool_info

    seen: list[int] = []  # BLAS threads while the optimiser runs (fit_stacker imports scipy's minimize itself)

    original = scipy.optimize.minimize

    def spy(*args, **kwargs):
        seen.extend(int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas")
        return original(*args, **kwargs)

    scipy.optimize.minimize = spy
    try:
        fit_stacker(*_correlated(n=100))
    finally:
        scipy.optimize.minimize = original
    assert seen and set(seen) == {1}
