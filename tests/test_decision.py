"""Decision rules on hand-made probabilities."""

import numpy as np
import pytest

from koclassify.decision import DecisionRule

P = np.array([[0.9, 0.6, 0.1], [0.2, 0.3, 0.4], [0.7, 0.8, 0.75]])
T = np.array([0.5, 0.5, 0.5])


def test_threshold_may_leave_a_row_empty() -> None:
    out = DecisionRule("threshold").apply(P, T)
    assert out.tolist() == [[True, True, False], [False, False, False], [True, True, True]]


def test_at_least_one_takes_the_most_probable_label_of_an_empty_row() -> None:
    out = DecisionRule("at_least_one").apply(P, T)
    assert out[1].tolist() == [False, False, True]
    assert out[0].tolist() == [True, True, False]


def test_max_labels_keeps_the_most_probable() -> None:
    out = DecisionRule("max_labels", max_labels=2).apply(P, T)
    assert out.tolist() == [[True, True, False], [False, False, True], [False, True, True]]


def test_argmax_and_per_label_thresholds() -> None:
    assert DecisionRule("argmax").apply(P, T).sum(axis=1).tolist() == [1, 1, 1]
    out = DecisionRule("threshold").apply(P, np.array([0.95, 0.5, 0.05]))
    assert out[:, 0].tolist() == [False, False, False]
    assert out[:, 2].tolist() == [True, True, True]


def test_invalid_rules() -> None:
    with pytest.raises(ValueError, match="unknown decision rule"):
        DecisionRule("sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_labels >= 1"):
        DecisionRule("max_labels")


def test_at_least_one_falls_back_to_the_label_closest_to_its_threshold() -> None:
    probs = np.array([[0.30, 0.10]])
    thresholds = np.array([0.60, 0.12])  # 0.30 / 0.60 = 0.5 < 0.10 / 0.12 = 0.83
    assert DecisionRule("at_least_one").apply(probs, thresholds).tolist() == [[False, True]]
    assert DecisionRule("at_least_one", fallback="prob").apply(probs, thresholds).tolist() == [[True, False]]


def test_models_saved_before_the_ratio_fallback_keep_the_probability_fallback() -> None:
    assert DecisionRule.from_json({"rule": "at_least_one", "max_labels": None}).fallback == "prob"
    rule = DecisionRule.from_json(DecisionRule("at_least_one", labelled_share=0.995).to_json())
    assert (rule.fallback, rule.labelled_share) == ("ratio", 0.995)
    with pytest.raises(ValueError, match="unknown fallback"):
        DecisionRule("at_least_one", fallback="random")


def test_auto_rule_tolerates_a_few_unlabelled_rows_but_not_many() -> None:
    from koclassify.decision import auto_rule

    y = np.zeros((1000, 3))
    y[np.arange(1000), np.arange(1000) % 3] = 1
    assert auto_rule(y).rule == "at_least_one" and auto_rule(y).labelled_share == 1.0
    y[:2] = 0  # 2 annotation slips in 1,000 rows
    assert auto_rule(y).rule == "at_least_one" and auto_rule(y).labelled_share == 0.998
    y[:50] = 0  # 5% of rows with no label: "none" is a real outcome here
    assert auto_rule(y).rule == "threshold" and auto_rule(y).labelled_share == 0.95
