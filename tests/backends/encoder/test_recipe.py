"""The e5-small recipe's parts: defaults per model, the probe's folded head, optimizer groups, pooling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from koclassify.backends.encoder.options import EncoderOptions
from koclassify.backends.encoder.probe import fit_head
from koclassify.options import OptionError


def test_recipe_defaults_per_model_and_explicit_values_win() -> None:
    e5 = EncoderOptions.parse({"model": "e5-small"}).recipe()
    assert (e5.epochs, e5.lr, e5.head_lr, e5.pooling, e5.probe, e5.prune_vocab) == (2, 1e-4, 1e-3, "mean", "on", "on")
    mine = EncoderOptions.parse({"model": "e5-small", "lr": 3e-5, "pooling": "cls", "probe": "off"}).recipe()
    assert (mine.lr, mine.pooling, mine.probe, mine.head_lr) == (3e-5, "cls", "off", 1e-3)
    other = EncoderOptions.parse({"model": "klue/roberta-base"}).recipe()
    assert (other.epochs, other.lr, other.head_lr, other.pooling, other.probe, other.prune_vocab) == (
        10, 2e-5, None, "auto", "off", "off"
    )  # fmt: skip


@pytest.mark.parametrize("option", [{"layer_decay": 0}, {"layer_decay": 1.5}, {"head_lr": 0}, {"pooling": "max"},
                                    {"probe": "yes"}, {"progress_steps": 0}])  # fmt: skip
def test_bad_recipe_options_fail_before_any_work(option: dict) -> None:
    with pytest.raises(OptionError):
        EncoderOptions.parse({"model": "e5-small", **option})


@pytest.mark.parametrize("multi_label", [True, False])
def test_probe_head_reproduces_the_logistic_regression_on_raw_features(multi_label: bool) -> None:
    """Standardisation is folded into the weights: the head on raw features gives the probe's own predictions."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 0.2, size=(200, 8))  # offset and small scale, like pooled hidden states
    if multi_label:
        y = np.stack([x[:, 0] > 3.0, x[:, 1] + x[:, 2] > 6.0], axis=1).astype(float)
    else:
        cls = np.argmax(x[:, :3], axis=1)  # linearly separable, three classes
        y = np.eye(3)[cls]
    weight, bias = fit_head(x, y, multi_label=multi_label)
    logits = x @ weight.T + bias
    z = (x - x.mean(0)) / (x.std(0) + 1e-6)
    if multi_label:
        expected = LogisticRegression(max_iter=500).fit(z, y[:, 1]).decision_function(z)
        np.testing.assert_allclose(logits[:, 1], expected, rtol=1e-6, atol=1e-6)
        assert ((logits > 0) == (y > 0.5)).mean() > 0.9
    else:
        assert (logits.argmax(1) == y.argmax(1)).mean() > 0.9


def test_binary_probe_is_a_two_logit_softmax() -> None:
    x = np.array([[0.0], [0.1], [0.9], [1.0]])
    y = np.eye(2)[[0, 0, 1, 1]]
    weight, bias = fit_head(x, y, multi_label=False)
    logits = x @ weight.T + bias
    assert (logits.argmax(1) == [0, 0, 1, 1]).all() and np.allclose(logits[:, 0], -logits[:, 1])


def test_param_groups_give_the_head_its_rate_and_decay_layers(bert_dir: Path) -> None:
    from koclassify.backends.encoder.model import load_classifier
    from koclassify.backends.encoder.train import param_groups

    model, _ = load_classifier(bert_dir, ["a", "b"], multi_label=False, pooling="mean")
    layers = model.config.num_hidden_layers
    config = EncoderOptions.parse({"model": "x", "lr": 1e-4, "head_lr": 1e-2, "layer_decay": 0.5})
    rate = {id(p): g["lr"] for g in param_groups(model, config) for p in g["params"]}
    named = dict(model.named_parameters())
    assert rate[id(named["classifier.weight"])] == 1e-2
    assert rate[id(named[f"bert.encoder.layer.{layers - 1}.output.dense.weight"])] == 1e-4
    assert rate[id(named["bert.encoder.layer.0.output.dense.weight"])] == pytest.approx(1e-4 * 0.5 ** (layers - 1))
    assert rate[id(named["bert.embeddings.word_embeddings.weight"])] == pytest.approx(1e-4 * 0.5**layers)
    assert len(rate) == len(named)


@pytest.mark.parametrize("how", ["mean", "cls"])
def test_pooled_head_reads_hidden_states(bert_dir: Path, how: str) -> None:
    from koclassify.backends.encoder.model import load_classifier

    model, head = load_classifier(bert_dir, ["a", "b"], multi_label=False, pooling=how)
    assert head["fresh_head"] and not any(k.startswith("bert.pooler") for k in model.state_dict())
    ids = torch.tensor([[2, 5, 6, 3, 0], [2, 7, 3, 0, 0]])
    mask = (ids != 0).long()
    model.eval()
    with torch.inference_mode():
        hidden = model.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = model.features(ids, mask)
    expected = hidden[:, 0] if how == "cls" else (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    torch.testing.assert_close(pooled, expected)


def test_probe_start_mean_pooling_and_progress_lines(bert_dir: Path, task, tmp_path: Path, capsys) -> None:
    """The whole recipe on the tiny encoder: the probe alone already separates the task; progress lines with an
    ETA go to stderr; the pooled head survives save / load with identical probabilities."""
    from koclassify import Classifier

    (texts, labels), (held_texts, held_labels) = task
    options = {"epochs": 1, "batch_size": 8, "warmup": 0.0, "lr": 1e-4, "head_lr": 1e-2, "layer_decay": 0.8}
    clf = Classifier("encoder", model=str(bert_dir), pooling="mean", probe="on", progress_steps=1, **options)
    clf.fit(texts, labels)
    err = capsys.readouterr().err
    assert "linear probe: head initialised" in err and "step 3/3 (100%)" in err and "ETA" in err
    stats = clf.backend.train_stats_
    assert stats["probe_train_accuracy"] > 0.9 and stats["recipe"]["pooling"] == "mean"
    assert stats["recipe"]["layer_decay"] == 0.8
    clf.save(tmp_path / "m")
    again = Classifier.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(held_texts), clf.predict_proba(held_texts), atol=1e-6)


def test_probe_needs_a_pooled_head() -> None:
    from koclassify import Classifier

    with pytest.raises(OptionError, match="probe"):  # at construction, before any data or model is read
        Classifier("encoder", model="klue/roberta-base", probe="on")


def test_pruning_needs_a_unigram_tokenizer(bert_dir: Path, task) -> None:
    from koclassify import Classifier
    from koclassify.errors import ModelError

    (texts, labels), _ = task
    with pytest.raises(ModelError, match="Unigram"):
        Classifier("encoder", model=str(bert_dir), prune_vocab="on", epochs=1).fit(texts, labels)
