"""Weight tuning on probabilities the test controls: the informative member must win weight from the noise."""

from __future__ import annotations

import numpy as np
import pytest

from koclassify.ensemble import combine, fit_ensemble
from koclassify.ensemble.weights import label_order, score
from koclassify.errors import KoclassifyError


def _task(n: int = 400, labels: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.random((n, labels)) < 0.3
    good = np.clip(gold * 0.35 + rng.random((n, labels)) * 0.65, 0, 1)  # separable-ish
    noise = rng.random((n, labels))
    return gold, good, noise


def test_tuned_weights_favour_the_informative_member_and_beat_the_mean() -> None:
    gold, good, noise = _task()
    mean = fit_ensemble([noise, good], gold, multi_label=True, weights="mean")
    tuned = fit_ensemble([noise, good], gold, multi_label=True, weights="tuned")
    assert tuned.weights[1] > 0.5 > tuned.weights[0]
    assert tuned.score > mean.score and tuned.score >= max(tuned.member_scores) - 1e-12
    assert tuned.member_scores[1] > tuned.member_scores[0]
    assert tuned.score == pytest.approx(score(combine([noise, good], tuned.weights), gold, multi_label=True)[0])
    assert np.isclose(tuned.weights.sum(), 1.0)


def test_three_members_and_ties_keep_the_mean() -> None:
    gold, good, noise = _task(seed=1)
    tuned = fit_ensemble([noise, good, noise[::-1]], gold, multi_label=True, weights="tuned", objective="macro-f1")
    assert tuned.weights[1] == max(tuned.weights) and len(tuned.weights) == 3
    same = fit_ensemble([good, good], gold, multi_label=True, weights="tuned")
    np.testing.assert_allclose(same.weights, [0.5, 0.5])  # every weighting scores the same: no move


def test_multi_class_scores_by_argmax() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    gold = np.eye(3)[y]
    good = np.eye(3)[np.where(rng.random(300) < 0.8, y, rng.integers(0, 3, 300))] * 0.5 + 0.5 / 3
    noise = rng.dirichlet(np.ones(3), 300)
    fit = fit_ensemble([noise, good], gold, multi_label=False, weights="tuned", objective="accuracy")
    assert fit.thresholds is None and fit.weights[1] > fit.weights[0]
    assert fit.member_scores[1] == pytest.approx(np.mean(good.argmax(1) == y))
    np.testing.assert_allclose(combine([noise, good], fit.weights).sum(axis=1), 1.0)


def test_label_order_and_errors() -> None:
    np.testing.assert_array_equal(
        label_order(["a", "b", "c"], ["c", "a", "b"], what="x", reference_what="y"), [1, 2, 0]
    )
    with pytest.raises(KoclassifyError, match=r"x has other labels than y: missing \['c'\], extra \['d'\]"):
        label_order(["a", "b", "c"], ["a", "b", "d"], what="x", reference_what="y")
    gold, good, _ = _task(n=20)
    with pytest.raises(KoclassifyError, match="objective"):
        fit_ensemble([good], gold, multi_label=True, objective="f2")
    with pytest.raises(KoclassifyError, match="2 weights for 1"):
        fit_ensemble([good], gold, multi_label=True, weights=[1, 2])
    with pytest.raises(KoclassifyError, match="gold labels"):
        fit_ensemble([good[:5]], gold, multi_label=True)
