"""The encoder backend through the public API: learning, heads and losses, windows, persistence, resume, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from koclassify import Classifier, Example
from koclassify.backends.encoder.windows import window_loss
from koclassify.errors import ModelError
from koclassify.options import OptionError

from .conftest import FAST


@pytest.fixture(scope="module")
def trained(bert_dir: Path, task) -> Classifier:
    """10 epochs of the separable task on the tiny random BERT (about a second on one core)."""
    (texts, labels), _ = task
    return Classifier("encoder", model=str(bert_dir), epochs=10, **FAST).fit(texts, labels)


def test_training_lifts_held_out_accuracy_above_chance(trained: Classifier, task) -> None:
    _, (held_texts, held_labels) = task
    stats = trained.backend.train_stats_
    assert stats["fresh_head"] and "classifier.weight" in stats["new_keys"]  # a bare encoder got a new head
    assert np.mean(stats["loss_history"][-2:]) < np.mean(stats["loss_history"][:2]) - 0.3
    accuracy = np.mean(np.array(trained.predict(held_texts)) == np.array(held_labels))
    assert accuracy >= 0.75  # chance is 0.5 on these unseen nouns
    np.testing.assert_allclose(trained.predict_proba(held_texts).sum(axis=1), 1.0, rtol=1e-6)


def _batch(clf: Classifier, texts: list[str]) -> dict[str, torch.Tensor]:
    tokenizer = clf.backend.tokenizer
    return dict(tokenizer(texts, padding=True, return_tensors="pt"))


def test_multi_class_and_multi_label_heads_use_their_losses(trained: Classifier, bert_dir: Path, task) -> None:
    (texts, labels), _ = task
    model = trained.backend.model
    assert model.config.problem_type == "single_label_classification"
    assert model.config.id2label == {0: "pos", 1: "neg"}
    batch = _batch(trained, texts[:6])
    classes = torch.tensor([trained.labels_.index[label] for label in labels[:6]])
    with torch.no_grad():
        out = model(**batch, labels=classes)
        ours = window_loss(out.logits, torch.arange(6), classes, multi_label=False)
    torch.testing.assert_close(ours, out.loss)  # softmax cross-entropy, as the head's own problem_type says

    tags = [("pos", "long") if "좋" in t else ("neg",) for t in texts]
    multi = Classifier("encoder", model=str(bert_dir), epochs=1, pos_weight="auto", **FAST).fit(texts, tags)
    model = multi.backend.model
    assert multi.labels_.multi_label and model.config.problem_type == "multi_label_classification"
    assert multi.backend.train_stats_["pos_weight"] == [1.0, 1.0, 1.0]  # 12 of 24 rows each
    y = torch.tensor(
        multi.labels_.indicator([Example(str(i), t, labels=g) for i, (t, g) in enumerate(zip(texts, tags))])
    )
    batch = _batch(multi, texts)
    with torch.no_grad():
        out = model(**batch, labels=y)
        ours = window_loss(out.logits, torch.arange(len(texts)), y, multi_label=True)
    torch.testing.assert_close(ours, out.loss)  # sigmoid binary cross-entropy
    probs = multi.predict_proba(texts)
    assert probs.shape == (24, 3) and not np.allclose(probs.sum(axis=1), 1.0)


def test_long_texts_are_windowed_and_aggregated_in_prediction(bert_dir: Path, task) -> None:
    (texts, labels), _ = task
    long_texts = [" ".join([t] * 6) for t in texts]  # ~30 tokens: several 12-token windows each
    clf = Classifier(
        "encoder", model=str(bert_dir), epochs=2, max_length=12, stride=3, max_target_tokens=4, aggregate="max", **FAST
    )
    clf.fit(long_texts, labels)
    stats = clf.backend.train_stats_
    assert stats["long_examples"] == len(long_texts) and stats["windows"] > 2 * len(long_texts)
    backend = clf.backend
    example = Example("x", long_texts[0])
    windows = backend.encoder.windows(example)
    with torch.no_grad():
        per_window = torch.cat(
            [
                torch.softmax(
                    backend.model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([tt])).logits, -1
                )
                for ids, tt in windows
            ]
        ).numpy()
    peak = per_window.max(axis=0)
    np.testing.assert_allclose(clf.predict_proba([long_texts[0]])[0], peak / peak.sum(), rtol=1e-5)


def test_save_load_gives_identical_probabilities(trained: Classifier, task, tmp_path: Path) -> None:
    from transformers import AutoModelForSequenceClassification

    _, (held_texts, _) = task
    before = trained.predict_proba(held_texts)
    trained.save(tmp_path / "m")
    backend_dir = tmp_path / "m" / "backend"
    assert (backend_dir / "model" / "model.safetensors").is_file()
    assert not list(backend_dir.rglob("*.bin")) and not list(backend_dir.rglob("*.pt"))  # no pickles
    meta = json.loads((backend_dir / "encoder.json").read_text())
    assert meta["train_stats"]["steps"] == trained.backend.train_stats_["steps"]
    np.testing.assert_array_equal(Classifier.load(tmp_path / "m").predict_proba(held_texts), before)
    alone = AutoModelForSequenceClassification.from_pretrained(backend_dir / "model").eval()  # plain transformers
    batch = _batch(trained, held_texts)
    with torch.no_grad():
        np.testing.assert_allclose(torch.softmax(alone(**batch).logits, -1).numpy(), before, rtol=1e-5, atol=1e-6)


def test_resume_continues_from_the_saved_step(bert_dir: Path, task, tmp_path: Path) -> None:
    (texts, labels), (held, _) = task
    options = dict(model=str(bert_dir), epochs=3, checkpoint_dir=str(tmp_path / "ckpt"), **FAST)
    straight = Classifier("encoder", **options).fit(texts, labels)
    checkpoints = sorted((tmp_path / "ckpt").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert [int(p.name.split("-")[1]) for p in checkpoints] == [6, 9]  # 3 steps per epoch, the last two kept
    shutil.rmtree(checkpoints[-1])  # as if the run had been killed during the last epoch
    resumed = Classifier("encoder", resume=True, **options).fit(texts, labels)
    stats = resumed.backend.train_stats_
    assert stats["resumed_from"] == str(checkpoints[0]) and stats["start_step"] == 6
    assert stats["steps"] == straight.backend.train_stats_["steps"] == 9
    np.testing.assert_allclose(resumed.predict_proba(held), straight.predict_proba(held), atol=1e-5)


def test_resume_survives_rotation_and_a_finished_checkpoint_says_so(bert_dir: Path, task, tmp_path: Path) -> None:
    """Issue 14: the resumed-from checkpoint is rotated away while training (the run crashed at the end and lost
    the model); resuming a finished run trained 0 steps silently."""
    (texts, labels), (held, _) = task
    options = dict(model=str(bert_dir), checkpoint_dir=str(tmp_path / "ckpt"), **FAST)
    Classifier("encoder", epochs=2, **options).fit(texts, labels)  # checkpoints 3 and 6
    longer = Classifier("encoder", epochs=4, resume=True, **options).fit(texts, labels)  # saves 9, 12: 6 rotated
    stats = longer.backend.train_stats_
    assert stats["start_step"] == 6 and stats["steps"] == 12 and "note" not in stats
    assert not (tmp_path / "ckpt" / "checkpoint-6").exists()
    with pytest.warns(UserWarning, match="already finished training"):
        again = Classifier("encoder", epochs=4, resume=True, **options).fit(texts, labels)
    assert again.backend.train_stats_["steps"] == 12 and "0 steps trained" in again.backend.train_stats_["note"]
    np.testing.assert_allclose(again.predict_proba(held), longer.predict_proba(held), atol=1e-5)


def test_dev_set_keeps_the_best_checkpoint_and_markers_round_trip(bert_dir: Path, task, tmp_path: Path) -> None:
    (texts, labels), (held, held_labels) = task
    rows = [Example(str(i), t, target=None, labels=(g,)) for i, (t, g) in enumerate(zip(texts, labels))]
    rows += [
        Example(f"t{i}", f"{t} 그리고 커피", target=_span(f"{t} 그리고 커피", "커피"), labels=(g,))
        for i, (t, g) in enumerate(zip(texts, labels))
    ]
    clf = Classifier("encoder", model=str(bert_dir), epochs=2, target_mode="markers", **FAST)
    clf.fit(rows, dev=(held, held_labels))
    stats = clf.backend.train_stats_
    assert len(stats["eval_loss"]) == 2 and stats["best_checkpoint"]
    tokenizer = clf.backend.tokenizer
    marked = clf.backend.encoder.windows(rows[-1])[0][0]
    assert tokenizer.convert_tokens_to_ids("[TGT]") in marked and tokenizer.convert_tokens_to_ids("[/TGT]") in marked
    clf.save(tmp_path / "markers")
    np.testing.assert_array_equal(
        Classifier.load(tmp_path / "markers").predict_proba(rows[-4:]), clf.predict_proba(rows[-4:])
    )


def _span(text: str, form: str):
    from koclassify.data.example import Span

    begin = text.index(form)
    return Span(form, begin, begin + len(form))


def test_a_head_of_another_size_is_replaced(trained: Classifier, tmp_path: Path) -> None:
    trained.backend.model.save_pretrained(tmp_path / "two_way")
    trained.backend.tokenizer.save_pretrained(tmp_path / "two_way")
    texts = ["정말 좋다", "정말 싫다", "그냥 그렇다"] * 3
    clf = Classifier("encoder", model=str(tmp_path / "two_way"), epochs=1, **FAST).fit(texts, ["a", "b", "c"] * 3)
    assert clf.backend.train_stats_["fresh_head"] and clf.predict_proba(texts).shape == (9, 3)


def test_unk_warning_and_option_errors(bert_dir: Path) -> None:
    with pytest.warns(UserWarning, match=r"\d+\.\d% of the training tokens are \[UNK\]"):
        Classifier("encoder", model=str(bert_dir), epochs=1, **FAST).fit(["ΩΨΦ 좋다", "ЖЯЮ 싫다"], ["a", "b"])
    with pytest.raises(OptionError, match="option model=null"):
        Classifier("encoder")
    for bad in ({"aggregate": "median"}, {"target_mode": "prefix"}, {"warmup": 2}, {"pos_weight": 3}):
        with pytest.raises(ValueError):
            Classifier("encoder", model="m", **bad)
    with pytest.raises(ValueError, match="multi-label"):
        Classifier("encoder", model=str(bert_dir), pos_weight="auto").fit(["a", "b"], ["x", "y"])
    with pytest.raises(OptionError, match="max_length=1024 .*at most the 512 tokens"):
        Classifier("encoder", model=str(bert_dir), max_length=1024).fit(["a", "b"], ["x", "y"])
    with pytest.raises(ModelError, match="cannot load"):
        Classifier("encoder", model=str(bert_dir / "missing")).fit(["a", "b"], ["x", "y"])
    clone = Classifier("encoder", model="m", epochs=2, checkpoint_dir="ck", resume=True).backend.fold_clone()
    assert clone.options["epochs"] == 2 and json.dumps(clone.options)
    assert clone.options["checkpoint_dir"] is None and clone.options["resume"] is False


def test_code_shipped_in_an_encoder_directory_never_runs(trained: Classifier, tmp_path: Path) -> None:
    """Issue 14: config and tokenizer ``auto_map`` pointing at a .py beside the weights; loading must not import it."""
    model = tmp_path / "m"
    trained.save(model)
    marker = tmp_path / "marker"
    config = json.loads((model / "config.json").read_text())
    config["backend_options"]["trust_remote_code"] = True
    (model / "config.json").write_text(json.dumps(config))
    for sub, key in (("model", "AutoModelForSequenceClassification"), ("tokenizer", "AutoTokenizer")):
        folder = model / "backend" / sub
        (folder / "evil.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n")
        name = "config.json" if sub == "model" else "tokenizer_config.json"
        data = json.loads((folder / name).read_text())
        data["auto_map"] = {key: "evil.Evil" if sub == "model" else ["evil.Evil", "evil.Evil"]}
        (folder / name).write_text(json.dumps(data))
    from koclassify.manifest import write_manifest

    write_manifest(model)  # the manifest rewritten too: the trust check must hold without its help
    try:
        Classifier.load(model)
    except ModelError:
        pass
    assert not marker.exists(), "loading an encoder directory ran code shipped inside it"
