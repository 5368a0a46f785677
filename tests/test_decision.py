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
