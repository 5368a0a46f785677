"""FieldPrior's math on hand-made counts, its modes, persistence, and the Classifier options around it
(prior, text_fields, multi_value) with a transparent backend, so every number can be checked by hand."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import Backend, register_backend
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import DataError
from koclassify.io import read_json, write_json
from koclassify.metadata.priors import WEIGHT_GRID, FieldPrior


class BaseRateBackend(Backend):
    """Knows only the training label frequencies (text is ignored), and records the texts it saw."""

    name = "base_rate_test"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.rates: np.ndarray | None = None
        self.fit_texts: list[str] = []
        self.predict_texts: list[str] = []

    def fit(self, examples, y, labels, dev=None):  # type: ignore[no-untyped-def]
        self.labels, self.rates = labels, y.mean(axis=0)
        self.fit_texts = [ex.text for ex in examples]
        return self

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        self.check_fitted()
        self.predict_texts = [ex.text for ex in examples]
        return np.tile(self.rates, (len(examples), 1))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        write_json(directory / "rates.json", {"rates": self.rates.tolist()})  # type: ignore[union-attr]

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> BaseRateBackend:
        backend = cls(**options)
        backend.labels, backend.rates = labels, np.array(read_json(directory / "rates.json")["rates"])
        return backend


register_backend("base_rate_test", BaseRateBackend)


def ex(i: int, labels: tuple[str, ...] | None, artist: str | None = None, text: str = "") -> Example:
    fields = {} if artist is None else {"artist": artist}
    return Example(str(i), text or f"노래 {i}", labels=labels, fields=fields)


# A: x x x y (4 rows); B: z (1 row, below min_count 2). Base rates: x 3/5, y 1/5, z 1/5.
HAND = [ex(0, ("x",), "A"), ex(1, ("x",), "A"), ex(2, ("x",), "A"), ex(3, ("y",), "A"), ex(4, ("z",), "B")]
SPACE = LabelSpace(("x", "y", "z"), multi_label=False)


def test_smoothed_distribution_on_hand_made_counts() -> None:
    prior = FieldPrior("artist", alpha=1.0, min_count=2).fit(HAND, SPACE)
    np.testing.assert_allclose(prior.base_, [0.6, 0.2, 0.2])
    # (count + alpha * base) / (n + alpha) = ([3, 1, 0] + [.6, .2, .2]) / 5
    np.testing.assert_allclose(prior.distribution(["A"]), [0.72, 0.24, 0.04])
    assert prior.distribution(["B"]) is None, "B has 1 row < min_count 2"
    assert prior.distribution(["never seen"]) is None
    assert prior.stats_["values"] == 2 and prior.stats_["trusted_values"] == 1


def test_min_count_one_trusts_single_rows_and_multi_values_average() -> None:
    prior = FieldPrior("artist", alpha=1.0, min_count=1).fit(HAND, SPACE)
    np.testing.assert_allclose(prior.distribution(["B"]), (np.array([0, 0, 1]) + [0.6, 0.2, 0.2]) / 2)
    both = prior.distribution(["A", "B"])
    np.testing.assert_allclose(both, (np.array([0.72, 0.24, 0.04]) + [0.3, 0.1, 0.6]) / 2)


def test_learned_mode_is_a_log_linear_mix_relative_to_the_base_rate() -> None:
    prior = FieldPrior("artist", weight=1.0).fit(HAND, SPACE)
    rows = [ex(10, None, "A"), ex(11, None, "B"), ex(12, None), ex(13, None, "A, 모르는 가수")]
    probs = np.full((4, 3), 1 / 3)
    out = prior.apply(probs, rows)
    ratio = np.array([0.72, 0.24, 0.04]) / [0.6, 0.2, 0.2]  # P(l|A) / P(l)
    np.testing.assert_allclose(out[0], ratio / ratio.sum())
    np.testing.assert_allclose(out[1:3], probs[1:3], err_msg="untrusted or missing artist: the model alone")
    np.testing.assert_allclose(out[3], out[0], err_msg="an unknown co-artist adds nothing")
    half = prior.apply(probs[:1], rows[:1], weight=0.5)[0]
    np.testing.assert_allclose(half, np.sqrt(ratio) / np.sqrt(ratio).sum())
    np.testing.assert_allclose(prior.apply(probs[:1], rows[:1], weight=0.0), probs[:1])


def test_multiplier_mode_boosts_the_odds_of_known_labels() -> None:
    prior = FieldPrior("artist", mode="multiplier", multiplier=1.5).fit(HAND, SPACE)
    out = prior.apply(np.array([[0.2, 0.3, 0.5]]), [ex(10, None, "A")])
    expected = np.array([0.2 * 1.5, 0.3 * 1.5, 0.5])  # A was seen with x and y, never with z
    np.testing.assert_allclose(out[0], expected / expected.sum())
    multi = LabelSpace(("x", "y", "z"), multi_label=True)
    prior_ml = FieldPrior("artist", mode="multiplier", multiplier=1.5).fit(HAND, multi)
    out = prior_ml.apply(np.array([[0.5, 0.8, 0.5]]), [ex(10, None, "A")])
    odds = np.array([1.0, 4.0]) * 1.5
    np.testing.assert_allclose(out[0, :2], odds / (1 + odds))
    assert out[0, 2] == pytest.approx(0.5)


def test_multi_label_learned_mode_shifts_log_odds() -> None:
    multi = LabelSpace(("x", "y", "z"), multi_label=True)
    prior = FieldPrior("artist", alpha=1.0).fit(HAND, multi)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    dist = prior.distribution(["A"])
    out = prior.apply(np.array([[0.3, 0.3, 0.3]]), [ex(10, None, "A")])
    expected = 1 / (1 + np.exp(-(logit(0.3) + logit(dist) - logit(np.array([0.6, 0.2, 0.2])))))
    np.testing.assert_allclose(out[0], expected)


def test_tune_picks_a_positive_weight_for_an_informative_field_and_zero_for_a_misleading_one() -> None:
    prior = FieldPrior("artist", min_count=1).fit(HAND, SPACE)
    probs = np.full((6, 3), 1 / 3)
    dev = [ex(20 + i, None, "A") for i in range(6)]
    agree = np.eye(3)[[0, 0, 0, 0, 1, 0]]  # A's dev songs are mostly x, as in training
    assert prior.tune(probs, dev, agree) > 0
    assert prior.stats_["tuning"]["log_loss_mixed"] < prior.stats_["tuning"]["log_loss_model"]
    contradict = np.eye(3)[[2] * 6]  # all z, which A never sang
    assert prior.tune(probs, dev, contradict) == 0.0
    assert 0.0 in WEIGHT_GRID


def test_multiplier_mode_is_not_tuned() -> None:
    prior = FieldPrior("artist", mode="multiplier").fit(HAND, SPACE)
    assert prior.tune(np.full((1, 3), 1 / 3), [ex(9, None, "A")], np.eye(3)[[2]]) == 1.0


def test_json_round_trip_gives_the_same_probabilities(tmp_path: Path) -> None:
    prior = FieldPrior("artist", weight=0.7, min_count=1).fit(HAND, SPACE)
    write_json(tmp_path / "p.json", prior.to_json())
    again = FieldPrior.from_json(read_json(tmp_path / "p.json"))
    rows = [ex(10, None, "A"), ex(11, None, "B"), ex(12, None, "C")]
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    np.testing.assert_allclose(again.apply(probs, rows), prior.apply(probs, rows))
    with pytest.raises(DataError, match="invalid prior"):
        FieldPrior.from_json({"field": "artist"})


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        FieldPrior("artist", mode="boost")
    with pytest.raises(ValueError, match="min_count"):
        FieldPrior("artist", min_count=0)
    with pytest.raises(ValueError, match="prior_mode"):
        Classifier("base_rate_test", prior="artist", prior_mode="boost")


def test_date_part_field_with_mixed_formats() -> None:
    rows = [ex(0, ("x",)), ex(1, ("x",)), ex(2, ("y",)), ex(3, ("y",))]
    dates = ["2012.02.10", "20120517", "2019-03", "잘못된 날짜"]
    rows = [Example(r.id, r.text, labels=r.labels, fields={"release_date": d}) for r, d in zip(rows, dates)]
    prior = FieldPrior("release_date:year", min_count=2).fit(rows, LabelSpace(("x", "y"), False))
    assert prior.totals_ == {"2012": 2, "2019": 1}
    assert prior.stats_["rows_unparseable"] == 1


# ------------------------------------------------------------------------ through Classifier
LYRICS = [
    ex(0, ("발라드",), "아이유", "사랑 노래"),
    ex(1, ("발라드", "국내드라마"), "아이유", "이별 노래"),
    ex(2, ("댄스",), "S (강타, 신혜성, 이지훈)", "춤 노래"),
    ex(3, ("댄스",), "S (강타, 신혜성, 이지훈)", "파티 노래"),
    ex(4, (), "-", "모르는 노래"),
]


def test_classifier_prior_decides_when_the_backend_knows_only_label_frequencies(tmp_path: Path) -> None:
    clf = Classifier("base_rate_test", multi_value="split", prior="artist", prior_options={"min_count": 2})
    clf.fit(LYRICS, dev=LYRICS[:4])
    assert clf.prior_.totals_ == {"아이유": 3, "S (강타, 신혜성, 이지훈)": 2}, "a bracketed group is one artist"
    assert clf.prior_.weight > 0
    rows = [ex(9, None, "아이유"), ex(10, None, "S (강타, 신혜성, 이지훈)")]
    base = clf.predict_proba(rows, use_prior=False)
    assert np.allclose(base[0], base[1]), "the backend alone cannot tell the two apart"
    assert clf.predict(rows) == ["발라드", "댄스"]
    clf.save(tmp_path / "m")
    loaded = Classifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(rows), clf.predict_proba(rows), rtol=1e-6)
    assert loaded.multi_value == "split"
    with pytest.warns(UserWarning, match="artist"):
        np.testing.assert_allclose(loaded.predict_proba(["no metadata"]), base[:1])


def test_split_mode_makes_one_instance_per_label_and_reports_removed_rows() -> None:
    clf = Classifier("base_rate_test", multi_value="split").fit(LYRICS)
    assert not clf.labels_.multi_label
    assert len(clf.backend.fit_texts) == 5, "row 1 (two genres) becomes two instances; row 4 (no genre) is removed"
    report = clf.data_report_[0]
    assert (report.rows_in, report.rows_out) == (5, 5)
    assert report.removed["no label ('-' or empty cell)"] == 1
    assert "removed 1" in str(report)


def test_multi_label_mode_keeps_label_sets_and_unlabelled_rows() -> None:
    clf = Classifier("base_rate_test", multi_value="multi-label").fit(LYRICS)
    assert clf.labels_.multi_label and len(clf.backend.fit_texts) == 5
    assert "1 rows have no label" in str(clf.data_report_[0])
    with pytest.raises(ValueError, match="contradicts"):
        Classifier("base_rate_test", multi_value="split", multi_label=True)
    with pytest.raises(ValueError, match="multi_value"):
        Classifier("base_rate_test", multi_value="explode")


def test_text_fields_reach_the_backend_and_are_remembered(tmp_path: Path) -> None:
    clf = Classifier("base_rate_test", text_fields=["artist", "album=음반"]).fit(
        [
            Example("0", "가사", labels=("a",), fields={"artist": "아이유", "album": "Palette"}),
            Example("1", "가사2", labels=("b",), fields={"artist": "-", "album": ""}),
        ]  # fmt: skip
    )
    assert clf.backend.fit_texts == ["[가수] 아이유 [음반] Palette\n가사", "가사2"], "unknown values are left out"
    clf.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["metadata"]["text_fields"] == {"artist": "가수", "album": "음반"}
    loaded = Classifier.load(tmp_path / "m")
    loaded.predict([Example("9", "새 노래", fields={"artist": "빅토, 제이린", "album": "OST"})])
    assert loaded.backend.predict_texts == ["[가수] 빅토, 제이린 [음반] OST\n새 노래"]


def test_a_missing_metadata_column_is_an_error_when_training() -> None:
    with pytest.raises(DataError, match="no column 'artsit'"):
        Classifier("base_rate_test", text_fields=["artsit"]).fit(LYRICS[:4])
    with pytest.raises(DataError, match="no column 'artsit'"):
        Classifier("base_rate_test", prior="artsit").fit(LYRICS[:4])


def test_fit_prior_on_a_fitted_model_without_dev_keeps_the_default_weight() -> None:
    clf = Classifier("base_rate_test").fit(LYRICS[:4], labels=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prior = clf.fit_prior(LYRICS[:4], field="artist", min_count=1)
    assert prior.weight == 1.0 and "no dev data" in prior.stats_["tuning"]["note"]
    assert clf.prior_ is prior


def test_llm_text_fields_become_an_instruction_prompt_unless_a_template_is_given() -> None:
    from koclassify.metadata.fields import instruction_template

    rows = [Example("1", "가사", fields={"artist": "아이유", "album": "Palette", "release_date": "20170421"})]
    clf = Classifier("llm", model="unused-until-fit", text_fields=["artist", "album=음반"])
    assert clf.fields_in_prompt
    assert clf.backend.options["template"] == instruction_template(["artist", "album"], tags={"album": "음반"})
    assert clf.backend_view(rows) == rows, "the prompt holds the fields: the text stays as it is"
    dated = Classifier("llm", model="unused-until-fit", text_fields=["artist", "release_date:year"])
    assert not dated.fields_in_prompt, "a date part is no template column: it goes into the text"
    assert dated.backend_view(rows)[0].text == "[가수] 아이유 [발매일] 2017\n가사"
    own = Classifier("llm", model="unused-until-fit", text_fields=["artist"], template="{artist}: {text} =>")
    assert not own.fields_in_prompt and own.backend.options["template"] == "{artist}: {text} =>"
