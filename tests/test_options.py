"""koclassify.options: one declaration per option, checked at construction with a message naming it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import get_options_class
from koclassify.errors import MissingDependencyError
from koclassify.options import ConfigFile, FitOptions, OptionError, PriorOptions, TrainOptions, parse_pairs

TEXTS = ["정말 좋아요", "최악이에요", "배우 연기가 좋다", "시간 아까움", "또 보고 싶다", "돈이 아깝다"] * 4
MULTI = [("p",), ("n",), ("p", "x"), ("n",), ("p",), ("n", "x")] * 4


def test_types_choices_and_ranges_are_checked() -> None:
    assert FitOptions.parse(cv=3).cv == 3
    assert FitOptions(grid=0.01, cv=4.0).cv == 4  # 4.0 is an integer
    for bad, text in [
        ({"cv": 1}, "cv=1 (calibration): allowed: >= 2"),
        ({"cv": True}, "cv=true (calibration): allowed: an integer"),
        ({"cv": 2.5}, "allowed: an integer"),
        ({"grid": 0.3}, "divides 1 evenly"),
        ({"grid": float("nan")}, "allowed: a number"),
        ({"objective": "f1"}, 'objective="f1" (calibration): allowed: "micro-f1", "macro-f1"'),
        ({"calibrate": "yes"}, 'calibrate="yes"'),
    ]:
        with pytest.raises(OptionError, match=text.replace("(", r"\(").replace(")", r"\)")):
            FitOptions.parse(bad)
    assert FitOptions(calibrate="none").calibrate is None


def test_unknown_keys_suggest_the_nearest() -> None:
    with pytest.raises(OptionError, match=r"unknown option 'objectve' for the calibration; did you mean 'objective'"):
        FitOptions.parse({"objectve": "accuracy"})
    with pytest.raises(OptionError, match="did you mean 'min_count'"):
        PriorOptions.parse(min_cnt=3)
    with pytest.raises(OptionError, match="did you mean 'max_labels'"):
        ConfigFile.parse({"max_label": 3})


def test_train_options_rules_between_options() -> None:
    with pytest.raises(OptionError, match="max_labels=null"):
        TrainOptions.parse(decision="max_labels")
    assert TrainOptions.parse(decision="max_labels", max_labels=2).max_labels == 2
    assert TrainOptions.parse(text_fields="artist, album").text_fields == ["artist", "album"]
    assert TrainOptions.parse(prior_options={"min_count": 3}).prior_options == PriorOptions(min_count=3)
    with pytest.raises(OptionError, match="contradicts"):
        TrainOptions.parse(multi_label=False, multi_value="multi-label")


def test_classifier_checks_every_option_at_construction() -> None:
    cases = [
        ({"decision": "bogus"}, 'decision="bogus"'),
        ({"decision": "max_labels"}, "max_labels=null"),
        ({"max_labels": 0, "decision": "max_labels"}, "max_labels=0"),
        ({"prior": "artist", "prior_mode": "x"}, 'prior_mode="x"'),
        ({"prior_options": {"alpha": -1}}, "alpha=-1.0 (prior)"),
        ({"prior_options": {"bogus": 1}}, "unknown option 'bogus' for the prior"),
        ({"C": "abc"}, 'C="abc" (linear backend): allowed: a number'),
        ({"bogus": 1}, "unknown option 'bogus' for the linear backend"),
        ({"features": "char,morf"}, "unknown feature blocks"),
        ({"head": "mlp"}, "head='mlp' needs features='embed'"),
        ({"embed_scale": "big"}, "embed_scale"),
        ({"class_weight": "auto"}, 'class_weight="auto"'),
    ]
    for kwargs, text in cases:
        with pytest.raises(OptionError, match=text.replace("(", r"\(").replace(")", r"\)")):
            Classifier(**kwargs)
    with pytest.raises(OptionError, match="did you mean 'linear'"):
        Classifier("linaer")


def test_fit_checks_calibration_options_before_training() -> None:
    clf = Classifier()
    for kwargs, text in [({"calibrate": "dev"}, 'calibrate="dev"'), ({"cv": 1}, "cv=1"), ({"grid": 0}, "grid=0")]:
        with pytest.raises(OptionError, match=text):
            clf.fit(TEXTS, MULTI, **kwargs)
        assert clf.labels_ is None  # nothing was trained
    with pytest.raises(OptionError, match="objective"):
        Classifier().fit(TEXTS, MULTI).calibrate(TEXTS, MULTI, objective="f2")


def test_fit_calibrates_as_train_does() -> None:
    clf = Classifier().fit(TEXTS, MULTI, calibrate="auto", cv=3)  # no dev: cross-validation for linear
    assert clf.calibration_["source"] == "cv3" and clf.calibration_result_ is not None
    dev = (TEXTS[:8], MULTI[:8])
    clf = Classifier().fit(TEXTS, MULTI, dev=dev, calibrate="auto", objective="accuracy")
    assert clf.calibration_["source"] == "dev" and clf.calibration_["objective"] == "accuracy"
    clf = Classifier().fit(TEXTS, MULTI)  # the default: no calibration (thresholds 0.5)
    assert clf.calibration_ == {} and np.allclose(clf.thresholds_, 0.5)
    single = Classifier().fit(TEXTS, [m[0] for m in MULTI], calibrate="cv")  # multi-class: argmax, never tuned
    assert single.calibration_ == {}


def test_backend_options_come_from_one_declaration() -> None:
    for name in ("linear", "encoder", "llm"):  # the built-in ones (tests may register more)
        cls = get_options_class(name)
        assert cls is not None
        rows = cls.describe()
        assert rows and all(isinstance(r[0], str) for r in rows)
        assert json.dumps({r[0]: r[2] for r in rows})  # defaults are JSON values


def test_a_typo_fails_before_any_work(monkeypatch) -> None:
    """The model "m" does not exist: reaching any loading code would fail otherwise; it must not be reached."""
    import transformers

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", no_loading)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", no_loading)
    with pytest.raises(OptionError, match="max_lenght") as exc:
        Classifier("encoder", model="m", max_lenght=64)
    assert "max_length" in str(exc.value)  # the nearest key is suggested


def test_parse_pairs() -> None:
    assert parse_pairs(["C=1", "features=char,morph", "max_features=null", "markers=[\"<\", \">\"]"]) == {
        "C": 1, "features": "char,morph", "max_features": None, "markers": ["<", ">"]}  # fmt: skip
    with pytest.raises(OptionError, match="KEY=VALUE"):
        parse_pairs(["C"])


def test_missing_extra_is_one_line_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from koclassify.backends.encoder.backend import EncoderBackend

    monkeypatch.setattr(EncoderBackend, "requires", ("koclassify_no_such_module",))
    with pytest.raises(MissingDependencyError, match=r"pip install 'koclassify\[encoder\]'"):
        Classifier("encoder", model="m")


def test_read_uses_the_remembered_layout(tmp_path) -> None:
    from koclassify.samples import sample_path

    clf = Classifier(multi_value="split")
    rows = clf.read(sample_path("lyrics_train.csv"), text_col="lyrics", label_col="genre", label_sep=",", lenient=True)
    clf.fit(rows.examples)
    clf.data_options = rows.options.to_json()
    again = clf.read(sample_path("lyrics_dev.csv"))  # no layout given: the model's
    assert len(again) > 0 and again.examples[0].labels
    with pytest.raises(OptionError, match="did you mean 'text_col'"):
        clf.read(sample_path("lyrics_dev.csv"), text_column="lyrics")
