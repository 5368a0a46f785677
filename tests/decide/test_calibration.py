"""Per-label thresholds: each objective on arrays whose best threshold is known by hand, the seed's scan,
the plateau rule, untunable labels, and the round trip through a saved model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.decide.calibration import (
    best_index,
    find_thresholds,
    grid_points,
    label_curves,
    seed_table,
    to_unit_scale,
)
from koclassify.metrics import evaluate


def seed_percent_simulation(percent_probs: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """A literal port of the seed's percent_simulation: for 0.0%..99.9%, TP+TN per label. (1000, L)."""
    out = []
    for step in range(1000):
        point = step / 10
        out.append([int(((percent_probs[:, j] >= point) == gold[:, j]).sum()) for j in range(gold.shape[1])])
    return np.array(out)


def test_grid_is_the_seeds_percent_grid() -> None:
    points = grid_points(0.001)
    assert len(points) == 1000 and points[0] == 0.0 and points[-1] == 0.999
    assert points[301] == 0.301  # rounded, not 0.30100000000000005
    with pytest.raises(ValueError, match="divide 1"):
        grid_points(0.003)


def test_accuracy_objective_reaches_the_seeds_best_tp_plus_tn() -> None:
    rng = np.random.default_rng(7)
    gold = rng.random((400, 8)) < 0.2
    percent = np.round(np.clip(gold * 35 + rng.random((400, 8)) * 70, 0, 100), 2)  # the seed's files: 2 decimals
    expected_best = seed_percent_simulation(percent, gold).max(axis=0)
    result = find_thresholds(to_unit_scale(percent, "auto"), gold, objective="accuracy")
    np.testing.assert_array_equal(result.label_scores, expected_best)
    # and the printed table is the seed's table, line for line
    table = seed_table(label_curves(to_unit_scale(percent), gold), [f"l{j}" for j in range(8)])
    sim = seed_percent_simulation(percent, gold)
    assert table[301] == "30.1%: " + str({f"l{j}": int(sim[301, j]) for j in range(8)})


def test_accuracy_by_hand() -> None:
    # positives at .8 and .9, negatives at .1 .2 .3: every threshold in (0.3, 0.8] is perfect (5 of 5)
    p = np.array([[0.1], [0.2], [0.3], [0.8], [0.9]])
    g = np.array([[0], [0], [0], [1], [1]], dtype=bool)
    result = find_thresholds(p, g, objective="accuracy", grid=0.1)
    assert result.label_scores[0] == 5
    assert result.thresholds[0] == pytest.approx(0.6)  # plateau 0.4..0.8 -> its middle


def test_label_f1_by_hand() -> None:
    # one noisy negative at .7: threshold .8 gives P=1 R=2/3 (F1 .8); .5 gives P=.75 R=1 (F1 .857) -> .5..0.7
    p = np.array([[0.1], [0.7], [0.6], [0.9], [0.95], [0.2]])
    g = np.array([[0], [0], [1], [1], [1], [0]], dtype=bool)
    result = find_thresholds(p, g, objective="label-f1", grid=0.1)
    assert result.label_scores[0] == pytest.approx(6 / 7)
    assert 0.2 < result.thresholds[0] <= 0.6


def test_best_index_takes_the_middle_of_the_longest_plateau() -> None:
    scores = np.array([1, 3, 3, 0, 3, 3, 3, 3, 1])
    assert best_index(scores) == 5  # run 4..7 is longest; middle (4+7)//2
    assert best_index(np.array([2.0])) == 0


def test_micro_f1_coordinate_ascent_finds_the_joint_optimum_of_two_labels() -> None:
    rng = np.random.default_rng(3)
    gold = rng.random((60, 2)) < 0.4
    probs = np.clip(gold * 0.25 + rng.random((60, 2)) * 0.75, 0, 1)
    result = find_thresholds(probs, gold, objective="micro-f1", grid=0.05)
    brute = max(
        evaluate(gold, probs >= np.array([a, b]) - 1e-9, ["a", "b"], True)["micro_f1"]
        for a, b in itertools.product(grid_points(0.05), repeat=2)
    )
    assert result.score == pytest.approx(brute)
    achieved = evaluate(gold, probs >= result.thresholds - 1e-9, ["a", "b"], True)["micro_f1"]
    assert achieved == pytest.approx(result.score)


def test_micro_objective_never_loses_to_per_label_f1_on_micro_f1() -> None:
    rng = np.random.default_rng(11)
    gold = rng.random((300, 12)) < rng.random(12) * 0.4
    probs = np.clip(gold * 0.3 + rng.random((300, 12)) * 0.7, 0, 1)
    micro = find_thresholds(probs, gold, objective="micro-f1")
    per_label = find_thresholds(probs, gold, objective="label-f1")
    names = [str(j) for j in range(12)]
    at = lambda t: evaluate(gold, probs >= t - 1e-9, names, True)["micro_f1"]  # noqa: E731
    assert at(micro.thresholds) >= at(per_label.thresholds) - 1e-12
    assert at(micro.thresholds) > at(np.full(12, 0.5))


def test_a_label_without_positives_keeps_the_default_and_is_reported() -> None:
    probs = np.array([[0.9, 0.2], [0.1, 0.7], [0.8, 0.1]])
    gold = np.array([[1, 0], [0, 0], [1, 0]], dtype=bool)
    result = find_thresholds(probs, gold, objective="micro-f1", default=0.5)
    assert result.untuned == [1]
    assert result.thresholds[1] == 0.5


def test_percent_scale_is_detected_and_bad_scales_refused() -> None:
    np.testing.assert_allclose(to_unit_scale(np.array([[52.43, 0.01]])), [[0.5243, 0.0001]])
    np.testing.assert_allclose(to_unit_scale(np.array([[0.5, 0.25]])), [[0.5, 0.25]])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_unit_scale(np.array([[150.0]]))


def test_calibration_is_fast_enough_to_be_vectorised() -> None:
    """44 labels x 5,000 rows x 1,000 grid points: counts come from sorted arrays, not a loop over the grid."""
    rng = np.random.default_rng(0)
    gold = rng.random((5000, 44)) < 0.1
    probs = rng.random((5000, 44))
    curves = label_curves(probs, gold)
    assert curves.tp.shape == (44, 1000)
    assert (curves.tp + curves.fn == gold.sum(axis=0)[:, None]).all()
    assert (curves.tp[:, 1:] <= curves.tp[:, :-1]).all()  # counts fall as the threshold rises


def test_thresholds_round_trip_and_change_predictions(tmp_path) -> None:
    texts = ["기쁘고 설레요", "정말 기뻐요", "너무 슬퍼요", "눈물이 나요", "화가 나요", "짜증 나요"] * 4
    labels = [["기쁨"], ["기쁨"], ["슬픔"], ["슬픔"], ["분노"], ["분노"]] * 4
    clf = Classifier(multi_label=True, decision="threshold").fit(texts, labels)
    before = clf.predict(texts)
    clf.set_thresholds({"기쁨": 0.0, "슬픔": 0.999, "분노": 0.999})
    after = clf.predict(texts)
    assert before != after and all("기쁨" in row for row in after)
    clf.save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.thresholds_dict() == clf.thresholds_dict()
    assert loaded.predict(texts) == after


# ---------------------------------------------------------------- search under the decision rule (issue 16)
def test_rule_counts_equal_applying_the_rule_at_every_grid_point() -> None:
    from koclassify.decide.calibration import rule_counts
    from koclassify.decide.decision import DecisionRule

    rng = np.random.default_rng(0)
    grid = grid_points(0.05)
    for _ in range(5):
        probs = np.round(rng.random((30, 4)), 2)  # rounded: ties between p / t ratios do occur
        gold = rng.random((30, 4)) < 0.3
        thresholds = np.round(rng.random(4), 1)
        for fallback in ("ratio", "prob"):
            rule = DecisionRule("at_least_one", fallback=fallback)
            for j in range(4):
                tp, fp, fn = rule_counts(probs, gold, thresholds, j, grid, rule)
                for g, t in enumerate(grid):
                    pred = rule.apply(probs, np.where(np.arange(4) == j, t, thresholds))
                    assert (pred & gold).sum(0).tolist() == tp[:, g].tolist()
                    assert (pred & ~gold).sum(0).tolist() == fp[:, g].tolist()
                    assert (~pred & gold).sum(0).tolist() == fn[:, g].tolist()


def test_search_under_at_least_one_finds_the_optimum_that_plain_thresholds_miss() -> None:
    """Row 5 ([0.35, 0.45], gold A) passes nothing: plain thresholding does not care how low A's threshold is
    (0.1 ties with 0.4), but at_least_one fills the row by p / threshold, and only A at 0.4 wins it back."""

    from koclassify.decide.calibration import rule_score
    from koclassify.decide.decision import DecisionRule

    probs = np.array([[0.65, 0.65], [0.65, 0.55], [0.35, 0.85], [0.85, 0.65], [0.35, 0.45], [0.55, 0.05]])
    gold = np.array([[1, 0], [1, 0], [0, 1], [1, 0], [1, 0], [1, 0]], dtype=bool)
    rule = DecisionRule("at_least_one")
    grid = grid_points(0.1)
    best = max(rule_score(probs, gold, np.array(t), rule, "micro-f1")[0] for t in itertools.product(grid, repeat=2))
    plain = find_thresholds(probs, gold, grid=0.1)
    aware = find_thresholds(probs, gold, grid=0.1, rule=rule)
    assert best == 1.0
    assert rule_score(probs, gold, plain.thresholds, rule, "micro-f1")[0] < 0.95
    assert aware.score == best
    assert (rule.apply(probs, aware.thresholds) == gold).all()


@pytest.mark.parametrize("objective", ["micro-f1", "macro-f1", "accuracy"])
def test_search_under_the_rule_never_loses_to_plain_thresholds_under_that_rule(objective) -> None:
    from koclassify.decide.calibration import rule_score
    from koclassify.decide.decision import DecisionRule

    rng = np.random.default_rng(3)
    gold = rng.random((300, 6)) < 0.2
    gold[np.arange(300), rng.integers(0, 6, 300)] = True  # every row has a label
    probs = np.clip(gold * 0.3 + rng.random((300, 6)) * 0.7, 0, 1)
    rule = DecisionRule("at_least_one")
    plain = find_thresholds(probs, gold, objective=objective)
    aware = find_thresholds(probs, gold, objective=objective, rule=rule)
    assert aware.score >= rule_score(probs, gold, plain.thresholds, rule, objective)[0] - 1e-12
    assert aware.score == pytest.approx(rule_score(probs, gold, aware.thresholds, rule, objective)[0])
