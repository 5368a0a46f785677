"""The linear backend with the embedding block: feature specs, the hybrid, embeddings alone, the MLP head,
scale selection, persistence and the recorded-embedder check. A tiny fake provider stands in for the model."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from koclassify import Classifier, Example, Span
from koclassify.backends.linear.dense import target_view
from koclassify.backends.linear.mlp import MLPHead, head_from_estimator
from koclassify.backends.linear.select import SCALES
from koclassify.backends.linear.spec import parse_features
from koclassify.embed import EmbedderInfo, Provider, forget_embedders, register_provider
from koclassify.errors import KoclassifyError, ModelError
from koclassify.io import read_json

DIM = 24


class CharProvider(Provider):
    """Bag of characters hashed into 24 dimensions: enough signal to learn the toy tasks below."""

    name = "chars"
    version = "1"

    def __init__(self, model: str | None = None) -> None:
        self.model = model or "hash24"

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(self.name, self.model, self.version, DIM)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, zlib.crc32(ch.encode()) % DIM] += 1.0
        return out


@pytest.fixture(autouse=True)
def chars(monkeypatch) -> Iterator[type[CharProvider]]:
    register_provider("chars", CharProvider)
    forget_embedders()
    yield CharProvider
    forget_embedders()


POS = ["정말 좋아요", "최고예요 좋다", "너무 좋아서 행복", "좋은 하루", "재밌고 좋아요", "행복한 영화"]
NEG = ["정말 싫어요", "최악이다 싫다", "너무 싫어서 짜증", "나쁜 하루", "지루하고 싫어요", "짜증나는 영화"]
TEXTS = (POS + NEG) * 3
LABELS = (["p"] * len(POS) + ["n"] * len(NEG)) * 3
OPTS = {"embedder": "chars", "embed_cache": "none"}


def test_feature_specs() -> None:
    assert parse_features("tfidf+embed").dense and parse_features("tfidf+embed").tfidf_default
    hybrid = parse_features("char,embed")
    assert hybrid.blocks == ("char",) and hybrid.dense and not hybrid.tfidf_default
    assert parse_features("auto") == parse_features("tfidf")
    assert not parse_features("char,morph").dense
    with pytest.raises(ValueError, match="unknown feature blocks") as err:
        parse_features("tfidf+bert")
    assert isinstance(err.value, KoclassifyError)  # the CLI prints it without a traceback


def test_hybrid_save_load_round_trip(tmp_path) -> None:
    clf = Classifier(features="tfidf+embed", **OPTS).fit(TEXTS, LABELS)
    backend = clf.backend
    assert backend.features.blocks == ["char", "morph"] and backend.dense is not None
    assert backend.choice.scale in SCALES and len(backend.selection) == len(SCALES)
    probs = clf.predict_proba(["좋아요 최고", "싫어요 최악", ""])
    clf.save(tmp_path / "m")

    meta = read_json(tmp_path / "m" / "backend" / "linear.json")
    assert meta["dense"]["embedder"] == {"provider": "chars", "model": "hash24", "version": "1", "dim": DIM,
                                         "prefix": "", "long_texts": "truncated"}  # fmt: skip
    with np.load(tmp_path / "m" / "backend" / "arrays.npz", allow_pickle=False) as npz:
        assert npz["coef"].shape == (2, backend.features.n_features + DIM)
        assert npz["embed_mean"].shape == (DIM,)

    forget_embedders()
    loaded = Classifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(["좋아요 최고", "싫어요 최악", ""]), probs, rtol=1e-5)
    assert loaded.predict(["좋아요 최고", "싫어요 최악"]) == ["p", "n"]


def test_a_different_embedder_is_refused(tmp_path, chars, monkeypatch) -> None:
    Classifier(features="tfidf+embed", **OPTS).fit(TEXTS, LABELS).save(tmp_path / "m")
    monkeypatch.setattr(chars, "version", "2")
    forget_embedders()
    loaded = Classifier.load(tmp_path / "m")
    with pytest.raises(ModelError, match="trained with the embedder chars 1 .* but chars 2"):
        loaded.predict("좋아요")


def test_embeddings_alone_with_a_fixed_scale() -> None:
    clf = Classifier(features="embed", embed_scale=2.0, **OPTS).fit(TEXTS, LABELS)
    assert clf.backend.features is None and clf.backend.selection == {}
    assert clf.backend.choice.scale == 2.0
    assert clf.predict(["좋아요 행복", "싫어요 짜증"]) == ["p", "n"]


def test_mlp_head_round_trip(tmp_path) -> None:
    clf = Classifier(features="embed", head="mlp", **OPTS).fit(TEXTS, LABELS)
    assert isinstance(clf.backend.head, MLPHead)
    probs = clf.predict_proba(["좋아요 행복", "싫어요 짜증"])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert list(probs.argmax(axis=1)) == [clf.labels_.index["p"], clf.labels_.index["n"]]
    clf.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "backend" / "arrays.npz", allow_pickle=False) as npz:
        assert {"mlp_W0", "mlp_b0", "mlp_W1", "mlp_b1", "mlp_classes"} <= set(npz.files)
        assert "coef" not in npz.files
    np.testing.assert_allclose(Classifier.load(tmp_path / "m").predict_proba(["좋아요 행복", "싫어요 짜증"]), probs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_mlp_forward_pass_matches_scikit_learn(kind) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)).astype(np.float32)
    if kind == "multilabel":
        y = (X[:, :3] > 0).astype(int)
    else:
        y = (X[:, 0] > 0).astype(int) + (2 * (X[:, 1] > 0) if kind == "multiclass" else 0)
    model = MLPClassifier(hidden_layer_sizes=(7,), max_iter=50, random_state=0).fit(X, y)
    n_labels = 3 if kind != "multiclass" else 5  # multi-class: some labels never seen in training
    head = head_from_estimator(model, multi_label=kind == "multilabel", n_labels=n_labels)
    ours = head.predict_proba(X)
    theirs = model.predict_proba(X)
    if kind == "multilabel":
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
        return
    np.testing.assert_allclose(ours[:, model.classes_], theirs, atol=1e-5)
    unseen = np.setdiff1d(np.arange(n_labels), model.classes_)
    assert ours.shape == (60, n_labels) and len(unseen) > 0 and not ours[:, unseen].any()


def test_auto_head_chooses_between_logistic_and_mlp() -> None:
    clf = Classifier(features="embed", head="auto", **OPTS).fit(TEXTS, LABELS)
    assert set(clf.backend.selection) == {f"logistic@{s:g}" for s in SCALES} | {"mlp"}
    best = max(clf.backend.selection, key=clf.backend.selection.get)
    chosen = clf.backend.choice
    assert best == (chosen.head if chosen.scale is None else f"{chosen.head}@{chosen.scale:g}")


def test_mlp_on_sparse_features_is_refused() -> None:
    with pytest.raises(ValueError, match="head='mlp' needs features='embed'"):
        Classifier(features="tfidf+embed", head="mlp", **OPTS)
    with pytest.raises(ValueError, match="embed_scale"):
        Classifier(features="tfidf+embed", embed_scale=[1, -2], **OPTS)


def test_cross_validation_clones_reuse_the_chosen_scale() -> None:
    texts = TEXTS + ["좋고 싫다"] * 6
    labels = [(lab,) for lab in LABELS] + [("p", "n")] * 6
    clf = Classifier(features="tfidf+embed", **OPTS).fit(texts, labels)
    assert clf.labels_.multi_label
    clone = clf.backend.fold_clone()
    assert clone.options["embed_scale"] == clf.backend.choice.scale
    assert clf.backend.clone().options == clf.backend.options  # clone(): the same parameters, unfitted
    oof = clf.cross_val_proba(texts, labels, folds=3)
    assert oof.shape == (len(texts), 2) and ((oof >= 0) & (oof <= 1)).all()


def test_dev_set_is_used_for_selection() -> None:
    dev = (["좋아요 좋아", "싫어요 싫어"] * 5, ["p", "n"] * 5)
    clf = Classifier(features="tfidf+embed", embed_scale=[1.0, 3.0], **OPTS).fit(TEXTS, LABELS, dev=dev)
    assert set(clf.backend.selection) == {"logistic@1+nb0.5", "logistic@3+nb0.5"}  # nb=auto: 0.5 for two classes


def _span(text: str, form: str) -> Span:
    begin = text.index(form)
    return Span(form, begin, begin + len(form))


def test_target_conditioned_data_embeds_the_target_view() -> None:
    text = "커피는 정말 좋았는데 빵은 너무 싫었다"
    ex = Example("1", text, target=_span(text, "빵"))
    assert target_view(ex, 5) == "빵: 좋았는데 빵은 너무 "
    assert target_view(Example("2", text, target=Span("빵"))) == "빵"
    assert target_view(Example("3", text)) == ""
    examples = []
    for a, b in [("커피", "빵"), ("영화", "음악"), ("여행", "숙소"), ("선물", "포장")] * 3:
        t = f"{a}는 정말 좋았는데 {b}는 너무 싫었다"
        examples += [Example(f"{a}+", t, _span(t, a), ("기쁨",)), Example(f"{b}-", t, _span(t, b), ("혐오",))]
    clf = Classifier(features="tfidf+embed", **OPTS).fit(examples)
    assert clf.backend.dense.with_target and clf.backend.dense.width == 2 * DIM
    assert {"target", "context"} <= set(clf.backend.features.blocks)


def test_mlp_with_a_single_training_class() -> None:
    clf = Classifier(features="embed", head="mlp", **OPTS).fit(["좋아요", "최고예요"] * 3, ["p"] * 6, labels=["p", "n"])
    np.testing.assert_allclose(clf.predict_proba(["싫어요"]), [[1.0, 0.0]])
