"""The llm backend through the public API: training, scoring, persistence, PEFT interop, resume, errors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from koclassify import Classifier, Example
from koclassify.backends import hf_training
from koclassify.backends.llm import train as llm_train
from koclassify.errors import DataError, MissingDependencyError, ModelError
from koclassify.options import OptionError

FAST = {"lr": 1e-2, "batch_size": 4}


@pytest.fixture(scope="module")
def trained(neox_dir: Path, task) -> Classifier:
    """LoRA on the tiny GPT-NeoX, 10 epochs of the separable task (about a second on one core)."""
    (texts, labels), _ = task
    return Classifier("llm", model=str(neox_dir), epochs=10, **FAST).fit(texts, labels)


def test_training_lowers_the_loss_and_beats_chance(trained: Classifier, task) -> None:
    _, (held_texts, held_labels) = task
    history = trained.backend.train_stats_["loss_history"]
    assert np.mean(history[-3:]) < np.mean(history[:3]) - 1.0
    accuracy = np.mean(np.array(trained.predict(held_texts)) == np.array(held_labels))
    assert accuracy >= 0.75  # chance is 0.5 on these unseen nouns
    probs = trained.predict_proba(held_texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)  # multi-class: renormalised over the label words
    assert trained.backend.train_stats_["label_logits_only"]


def test_scores_offer_both_readings(trained: Classifier, task) -> None:
    _, (held_texts, _) = task
    examples = [Example(str(i), t) for i, t in enumerate(held_texts)]
    scores = trained.backend.predict_scores(examples)
    np.testing.assert_allclose(scores["vocab"], np.exp(scores["logprob"]))
    assert (scores["vocab"].sum(axis=1) < 1.0).all()
    np.testing.assert_allclose(trained.predict_proba(held_texts), scores["label_softmax"])


def test_save_load_round_trip_and_peft_alone(trained: Classifier, task, neox_dir: Path, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, (held_texts, _) = task
    before = trained.predict_proba(held_texts)
    trained.save(tmp_path / "m")
    after = Classifier.load(tmp_path / "m").predict_proba(held_texts)
    np.testing.assert_array_equal(before, after)

    meta = json.loads((tmp_path / "m" / "backend" / "llm.json").read_text())
    assert meta["verbalizer"] == {"joy": "기쁨", "disgust": "혐오"} and meta["template"].endswith("### 감정:")
    adapter = tmp_path / "m" / "backend" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(neox_dir) and config["r"] == 16
    assert (adapter / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "m" / "backend" / "model").exists()  # only the adapter, not a copy of the base
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(neox_dir), str(adapter)).eval()
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        assert torch.allclose(peft_model(ids).logits, trained.backend.model(ids).logits, atol=1e-5)


def test_multi_label_defaults_to_vocabulary_probability(neox_dir: Path, tmp_path: Path) -> None:
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path

    rows = read_examples(sample_path("nikl_train.jsonl")).examples[:12]
    clf = Classifier("llm", model=str(neox_dir), epochs=1, **FAST).fit(rows)
    assert clf.labels_.multi_label
    probs = clf.predict_proba(rows)
    assert probs.shape == (12, 8) and (probs.sum(axis=1) < 1.0).all()  # the seed's number: vocabulary softmax
    assert clf.backend.train_stats_["rows"] == sum(len(r.labels) for r in rows)
    clf.save(tmp_path / "nikl")
    np.testing.assert_array_equal(Classifier.load(tmp_path / "nikl").predict_proba(rows), probs)


def test_merged_adapter_and_full_fine_tune_round_trip(neox_dir: Path, llama_dir: Path, task, tmp_path: Path) -> None:
    (texts, labels), (held, _) = task
    merged = Classifier("llm", model=str(neox_dir), epochs=1, merge_adapter=True, **FAST).fit(texts, labels)
    merged.save(tmp_path / "merged")
    assert {p.name for p in (tmp_path / "merged" / "backend").iterdir()} >= {"model", "adapter", "tokenizer"}
    reloaded = Classifier.load(tmp_path / "merged")
    np.testing.assert_allclose(reloaded.predict_proba(held), merged.predict_proba(held), atol=1e-6)
    reloaded.save(tmp_path / "again")  # the adapter files survive a re-save of the merged model
    assert (tmp_path / "again" / "backend" / "adapter" / "adapter_model.safetensors").is_file()

    full = Classifier("llm", model=str(llama_dir), epochs=1, lora=False, lr=1e-3, batch_size=4)
    full.fit(texts, labels).save(tmp_path / "full")
    assert not (tmp_path / "full" / "backend" / "adapter").exists()
    np.testing.assert_array_equal(Classifier.load(tmp_path / "full").predict_proba(held), full.predict_proba(held))


def test_resume_from_a_checkpoint_matches_an_uninterrupted_run(neox_dir: Path, task, tmp_path: Path) -> None:
    (texts, labels), (held, _) = task
    options = dict(model=str(neox_dir), epochs=3, checkpoint_dir=str(tmp_path / "ckpt"), **FAST)
    straight = Classifier("llm", **options).fit(texts, labels)
    checkpoints = sorted((tmp_path / "ckpt").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert len(checkpoints) == 2
    shutil.rmtree(checkpoints[-1])  # as if the run had died during the last epoch
    resumed = Classifier("llm", resume=True, **options).fit(texts, labels)
    assert resumed.backend.train_stats_["resumed_from"] == str(checkpoints[0])
    assert resumed.backend.train_stats_["steps"] == straight.backend.train_stats_["steps"]
    np.testing.assert_allclose(resumed.predict_proba(held), straight.predict_proba(held), atol=1e-6)


def test_dev_set_joint_rows_and_gradient_checkpointing(neox_dir: Path, task) -> None:
    (texts, labels), (held, held_labels) = task
    clf = Classifier("llm", model=str(neox_dir), epochs=2, expand="joint", gradient_checkpointing=True, **FAST).fit(
        texts, labels, dev=(held, held_labels)
    )
    assert len(clf.backend.train_stats_["eval_loss"]) == 2  # evaluated every epoch, best epoch kept


def test_template_over_any_column_for_multi_class(neox_dir: Path) -> None:
    rows = [
        Example(str(i), f"가사 {i}", fields={"artist": artist}, labels=(genre,))
        for i, (artist, genre) in enumerate([("아이유", "발라드"), ("빅뱅", "댄스")] * 4)
    ]
    clf = Classifier(
        "llm",
        model=str(neox_dir),
        template="가수: {artist}\n가사: {text}\n감정:",
        verbalizer={"발라드": "슬픔", "댄스": "기쁨"},
        epochs=1,
        **FAST,
    ).fit(rows)
    np.testing.assert_allclose(clf.predict_proba(rows).sum(axis=1), 1.0)
    with pytest.raises(DataError, match="artist"):
        clf.predict_proba([Example("x", "가사")])
    with pytest.raises(ValueError, match="label_softmax"):
        Classifier("llm", model=str(neox_dir), score="vocab").fit(rows)


def test_single_token_check_fails_clearly_at_fit(neox_dir: Path, task) -> None:
    (texts, labels), _ = task
    clf = Classifier("llm", model=str(neox_dir), verbalizer={"joy": "놀라움"})
    with pytest.raises(ModelError, match=r"'놀라움' is \d+ tokens"):
        clf.fit(texts, labels)


def test_tampered_label_tokens_are_detected_at_load(trained: Classifier, tmp_path: Path) -> None:
    trained.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "backend" / "llm.json"
    meta = json.loads(meta_path.read_text())
    meta["label_tokens"]["ids"][0] = [1]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="llm.json: changed since the model was saved"):
        Classifier.load(tmp_path / "m")
    from koclassify.manifest import write_manifest

    write_manifest(tmp_path / "m")  # the manifest rewritten too: the label-token check holds on its own
    with pytest.raises(ModelError, match="trained with"):
        Classifier.load(tmp_path / "m")


def test_option_errors() -> None:
    with pytest.raises(OptionError, match="option model=null"):
        Classifier("llm")
    for bad in ({"expand": "all"}, {"score": "max"}, {"multi_token": "avg"}, {"template": "{text.x}"}):
        with pytest.raises(ValueError):
            Classifier("llm", model="m", **bad)
    with pytest.raises(ValueError, match="lora=true"):
        Classifier("llm", model="m", qlora=True, lora=False)
    with pytest.raises(ValueError, match="merge_adapter=true .*lora=true"):
        Classifier("llm", model="m", lora=False, merge_adapter=True)
    with pytest.raises(OptionError, match=r"unknown option 'epoch' for the llm backend; did you mean 'epochs'\?"):
        Classifier("llm", model="m", epoch=3)  # a typo in -O epoch=3 fails before any download
    for bad in ({"batch_size": 0}, {"epochs": 0}, {"gradient_checkpointing": "yes"}):
        with pytest.raises(ValueError):
            Classifier("llm", model="m", **bad)
    # gradient checkpointing defaults to on exactly for the 4-bit (one 24 GB GPU) recipe
    assert Classifier("llm", model="m", qlora=True).backend.opts.checkpointing
    assert not Classifier("llm", model="m").backend.opts.checkpointing
    assert not Classifier("llm", model="m", qlora=True, gradient_checkpointing=False).backend.opts.checkpointing
    with pytest.raises(ModelError, match="checkpoint_dir"):
        hf_training.resolve_resume(True, None)
    with pytest.raises(ModelError, match="not a training checkpoint"):
        hf_training.resolve_resume("/nonexistent/checkpoint-3", None)
    clone = Classifier("llm", model="m", epochs=2, checkpoint_dir="ck", resume=True).backend.fold_clone()
    assert clone.options["epochs"] == 2 and json.dumps(clone.options)
    assert clone.options["checkpoint_dir"] is None and clone.options["resume"] is False  # folds never share runs


def test_qlora_without_bitsandbytes_and_its_config(monkeypatch: pytest.MonkeyPatch, neox_dir: Path, task) -> None:
    config = llm_train.quantization_config()
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4"
    assert config.bnb_4bit_use_double_quant and config.bnb_4bit_compute_dtype == torch.bfloat16

    import bitsandbytes

    from koclassify.backends.llm import deps

    monkeypatch.setattr(bitsandbytes, "__version__", "0.49.2")  # its 8-bit AdamW step fails without CUDA
    with pytest.raises(MissingDependencyError, match=r"bitsandbytes>=0.50 \(found 0.49.2\).*koclassify\[qlora\]"):
        deps.check_cpu_bitsandbytes()
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # `import bitsandbytes` now fails, as if not installed
    with pytest.raises(MissingDependencyError, match=r"koclassify\[qlora\]"):
        llm_train.quantization_config()
    (texts, labels), _ = task
    with pytest.raises(MissingDependencyError, match="bitsandbytes"):
        Classifier("llm", model=str(neox_dir), qlora=True).fit(texts, labels)


def test_lora_targets_follow_the_architecture() -> None:
    assert llm_train.target_modules_for("gpt_neox") == ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]
    assert llm_train.target_modules_for("llama") == [
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    ]
    assert llm_train.target_modules_for("bert") is None  # PEFT's own default for the architecture
    assert llm_train.target_modules_for("llama", ["q_proj"]) == ["q_proj"]
    assert hf_training.resolve_bf16("auto") == (torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    assert hf_training.resolve_bf16(True) is True
    with pytest.raises(ValueError, match="bf16"):
        hf_training.resolve_bf16("yes")
