"""Decision rules on hand-made probabilities."""

import sys

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import Backend
from koclassify.cli import main
from koclassify.decide.calibration import calibrate
from koclassify.decide.decision import DecisionRule, choose_rule, given_rule, rule_name
from koclassify.options import DecisionOptions, OptionError

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
    from koclassify.decide.decision import auto_rule

    y = np.zeros((1000, 3))
    y[np.arange(1000), np.arange(1000) % 3] = 1
    assert auto_rule(y).rule == "at_least_one" and auto_rule(y).labelled_share == 1.0
    y[:2] = 0  # 2 annotation slips in 1,000 rows
    assert auto_rule(y).rule == "at_least_one" and auto_rule(y).labelled_share == 0.998
    y[:50] = 0  # 5% of rows with no label: "none" is a real outcome here
    assert auto_rule(y).rule == "threshold" and auto_rule(y).labelled_share == 0.95


# ------------------------------------------------------------------ the rule's one home (issue 21)
class _Rates(Backend):
    """Every row gets the training label frequencies: enough for a fitted multi-label model."""

    name = "rates_test"

    def fit(self, examples, y, labels, dev=None):  # type: ignore[no-untyped-def]
        self.labels, self.rates = labels, np.asarray(y, dtype=np.float64).mean(axis=0)
        return self

    def predict_proba(self, examples):  # type: ignore[no-untyped-def]
        return np.tile(self.rates, (len(examples), 1))

    def save(self, directory):  # type: ignore[no-untyped-def]
        raise NotImplementedError("not saved in these tests")

    @classmethod
    def load(cls, directory, options, labels):  # type: ignore[no-untyped-def]
        raise NotImplementedError("not loaded in these tests")


def _multi_label_model() -> Classifier:
    texts = ["가", "나", "다", "라"]
    labels = [("joy",), ("anger",), ("joy", "anger"), ("joy",)]
    return Classifier(_Rates()).fit(texts, labels, calibrate="none")


def test_a_rule_named_after_training_is_checked_as_the_decision_option_is() -> None:
    for bad, shown in (("auto", 'decision="auto"'), ("argmax", 'decision="argmax"'), ("max_labels", "max_labels=null")):
        with pytest.raises(OptionError, match=shown):
            given_rule(bad)
    assert given_rule("max_labels", 2) == DecisionRule("max_labels", 2)


def test_set_decision_goes_through_the_option_check() -> None:
    clf = _multi_label_model()
    with pytest.raises(OptionError, match='decision="argmax"'):  # was accepted: a multi-label model by argmax
        clf.set_decision("argmax")
    with pytest.raises(OptionError, match="max_labels=null"):
        clf.set_decision("max_labels")
    clf.set_decision("max_labels", 1)
    assert clf.decision_ == DecisionRule("max_labels", 1)


def test_choose_rule_is_what_training_and_ensembles_decide_by() -> None:
    y = np.array([[1, 0], [0, 1], [1, 1]])
    assert choose_rule(DecisionOptions("threshold"), multi_label=False).rule == "argmax"
    assert choose_rule(DecisionOptions(), multi_label=True, y=y).rule == "at_least_one"
    inherited = DecisionRule("max_labels", 1)
    assert choose_rule(DecisionOptions(), multi_label=True, y=y, inherited=inherited) is inherited
    assert choose_rule(DecisionOptions("threshold"), multi_label=True, inherited=inherited).rule == "threshold"
    assert _multi_label_model().decision_ == DecisionRule("at_least_one", labelled_share=1.0)


def test_threshold_tuning_asks_the_rule_what_it_means() -> None:
    assert not DecisionRule("threshold").fills_empty_rows and DecisionRule("at_least_one").fills_empty_rows
    assert DecisionRule("max_labels", 2, fallback="prob").uncapped() == DecisionRule("at_least_one", fallback="prob")
    assert rule_name(None) == "argmax" and rule_name(DecisionRule("max_labels", 3)) == "max_labels"
    assert not DecisionRule("argmax").uses_thresholds


def test_calibrating_takes_everything_it_needs_as_arguments() -> None:
    rng = np.random.default_rng(0)
    gold = rng.random((60, 3)) < 0.4
    probs = np.clip(gold * 0.5 + rng.random((60, 3)) * 0.5, 0, 1)
    done = calibrate(probs, gold, ["a", "b", "c"], rule=DecisionRule("threshold"), objective="micro-f1",
                     grid=0.01, stack="off")  # fmt: skip
    assert done.stacker is None and done.record["stack"] == {"mode": "off", "used": False}
    assert done.record["decision"] == "threshold" and done.record["rows"] == 60
    assert done.record["score"] == round(done.result.score, 6) > 0.5


def test_merge_checks_its_decision_like_every_other_command(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = "/nonexistent/koclassify-probs.jsonl"
    argv = ["koclassify", "merge", "--probs", missing, "--data", missing, "--out", "o.jsonl", "--thresholds", missing]
    monkeypatch.setattr(sys, "argv", [*argv, "--decision", "argmax"])  # was accepted, then read the files
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and 'decision="argmax"' in err and err.count("\n") == 1, err
