"""Classifier as a scikit-learn estimator: parameters, clone, GridSearchCV, cross_val_score, Pipeline, checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks

from koclassify import Classifier
from koclassify.data.read import read_examples
from koclassify.errors import NotFittedError
from koclassify.options import OptionError
from koclassify.samples import sample_path

POS = ["정말 재미있어요", "최고의 영화였어요", "배우 연기가 좋았어요", "또 보고 싶어요", "감동적이고 재미있어요"]
NEG = ["너무 지루했어요", "최악의 영화였어요", "연기가 별로였어요", "시간 아까워요", "지루하고 재미없어요"]
TEXTS = POS * 4 + NEG * 4
LABELS = ["긍정"] * 20 + ["부정"] * 20

# the checks of sklearn.utils.estimator_checks that apply to an estimator over text (see docs/sklearn.md)
APPLICABLE = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_mixin_order",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
]


@pytest.fixture(scope="module")
def nikl() -> list:
    return read_examples(sample_path("nikl_train.jsonl")).examples


@pytest.mark.parametrize("check", APPLICABLE)
def test_applicable_estimator_checks(check: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(estimator_checks, check)("Classifier", Classifier(C=1.0))
    # check_set_params warns when a refused value changed the parameters anyway: it must not
    assert not [w for w in caught if "changed after set_params" in str(w.message)]


def test_params_are_the_constructor_arguments_and_the_backend_options() -> None:
    clf = Classifier(decision="threshold", C=0.5)
    params = clf.get_params()
    assert params["decision"] == "threshold" and params["C"] == 0.5
    assert params["min_df"] == 2, "an option not given shows its default, so GridSearchCV can set it"
    assert clf.set_params(C=4.0) is clf
    assert clf.get_params()["C"] == 4.0 and clf.backend.options["C"] == 4.0
    assert is_classifier(clf)


def test_set_params_checks_like_the_constructor_and_changes_nothing_on_error() -> None:
    clf = Classifier(C=0.5)
    with pytest.raises(OptionError, match="C=-1"):
        clf.set_params(C=-1)
    with pytest.raises(ValueError, match="invalid parameter 'CC'.*did you mean 'C'"):
        clf.set_params(CC=1.0)
    with pytest.raises(OptionError, match="decision"):
        clf.set_params(decision="sometimes")
    assert clf.get_params()["C"] == 0.5 and clf.backend.options["C"] == 0.5


def test_clone_is_unfitted_with_the_same_params() -> None:
    fitted = Classifier(C=0.7).fit(TEXTS, LABELS)
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params()
    assert not hasattr(twin, "classes_")
    with pytest.raises(NotFittedError):
        twin.predict("재미있어요")
    assert list(fitted.classes_) == ["긍정", "부정"]


def test_clone_of_a_loaded_model_keeps_its_options(tmp_path) -> None:
    Classifier(C=0.7, min_df=1).fit(TEXTS, LABELS).save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    twin = clone(loaded)
    assert twin.backend.options["C"] == 0.7 and twin.backend.options["min_df"] == 1
    assert twin.labels_ is None
    assert twin.fit(TEXTS, LABELS).predict("정말 재미있어요") == "긍정"


def test_score_is_accuracy_for_multi_class() -> None:
    clf = Classifier().fit(TEXTS, LABELS)
    expected = np.mean(np.array(clf.predict(TEXTS)) == np.array(LABELS))
    assert clf.score(TEXTS, LABELS) == pytest.approx(expected)
    assert clf.score(np.array(TEXTS), np.array(LABELS)) == pytest.approx(expected)
    assert clf.binarize(clf.predict("정말 재미있어요")).tolist() == [[1, 0]]
    assert clf.binarize(["부정", "긍정"]).tolist() == [[0, 1], [1, 0]]


def test_cross_val_score_multi_class() -> None:
    scores = cross_val_score(Classifier(min_df=1), np.array(TEXTS), np.array(LABELS), cv=4)
    assert scores.shape == (4,) and scores.mean() > 0.7


def test_grid_search_over_C_on_the_bundled_sample(nikl: list) -> None:
    search = GridSearchCV(Classifier(), {"C": [0.01, 2.0]}, cv=KFold(3, shuffle=True, random_state=0))
    search.fit(nikl)  # labelled Examples: y comes with them; score is micro-F1 (multi-label)
    assert set(search.cv_results_["param_C"]) == {0.01, 2.0}
    assert search.best_params_["C"] == 2.0, search.cv_results_["mean_test_score"]
    best = search.best_estimator_
    assert best.backend.options["C"] == 2.0 and best.labels_.multi_label
    assert search.cv_results_["mean_test_score"].max() > search.cv_results_["mean_test_score"].min()


def test_multi_label_score_and_binarize_match_sklearn_metrics(nikl: list) -> None:
    clf = Classifier().fit(nikl[:200])
    test = nikl[200:]
    gold = [ex.labels for ex in test]
    pred = clf.predict(test)
    Y, P = clf.binarize(gold), clf.binarize(pred)
    assert Y.shape == (len(test), len(clf.classes_)) and Y.dtype.kind == "i"
    assert clf.score(test) == pytest.approx(f1_score(Y, P, average="micro"))
    assert clf.score([ex.text for ex in test], Y) == pytest.approx(
        f1_score(Y, clf.binarize(clf.predict([ex.text for ex in test])), average="micro")
    )


def test_fit_takes_an_indicator_matrix(nikl: list) -> None:
    texts = [ex.text for ex in nikl]
    names = sorted({lab for ex in nikl for lab in ex.labels})
    Y = np.array([[int(n in ex.labels) for n in names] for ex in nikl])
    clf = Classifier(multi_label=True).fit(texts, Y, labels=names)
    assert list(clf.classes_) == names
    assert clf.predict_proba(texts[:3]).shape == (3, len(names))
    plain = Classifier(multi_label=True).fit(texts, Y)
    assert list(plain.classes_) == [str(i) for i in range(len(names))]


def test_pipeline_with_a_text_normaliser() -> None:
    pipe = Pipeline([("strip", FunctionTransformer(lambda xs: [x.strip() for x in xs])), ("clf", Classifier())])
    pipe.fit([f"  {t} " for t in TEXTS], LABELS)
    assert list(pipe.predict(["  정말 재미있어요  "])) == ["긍정"]
    pipe.set_params(clf__C=0.3)
    assert pipe.named_steps["clf"].backend.options["C"] == 0.3


def test_seed_reaches_the_backend() -> None:
    a = Classifier(seed=1).fit(TEXTS, LABELS)
    assert a.backend.options["seed"] == 1 and a.get_params()["seed"] == 1
    with pytest.raises(OptionError, match="seed"):
        Classifier(seed="x")
