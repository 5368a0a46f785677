"""Issue 20 §2 reproductions on Hugging Face model directories (tiny encoder and causal LM, built in-process).

Before the manifest: an encoder without ``tokenizer.json`` loaded a 5-token vocabulary and predicted 0.20/0.80
for every row (exit 0); an emptied vocabulary or a swapped ``tokenizer_class`` loaded too; a truncated
safetensors was a ``SafetensorError`` traceback; a LoRA ``r`` that does not match the weights a ``RuntimeError``;
``num_hidden_layers: 100000`` hung ``predict`` at 7 GB. Now each is one ModelError naming the file, by the
manifest; and with the manifest rewritten to agree with the change, by the loaders' own checks.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.errors import ModelError

from .conftest import run_cli


def _json(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        obj = json.loads((model / name).read_text())
        change(obj)
        (model / name).write_text(json.dumps(obj))

    return mutate


def _truncate(name: str) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        data = (model / name).read_bytes()
        (model / name).write_bytes(data[: len(data) // 2])

    return mutate


def _empty_vocab(tok: dict) -> None:
    tok["model"]["vocab"] = {}


CONFIG = "backend/model/config.json"
ENCODER_CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("no tokenizer.json", lambda m: (m / "backend/tokenizer/tokenizer.json").unlink(), "tokenizer"),
    ("vocabulary emptied", _json("backend/tokenizer/tokenizer.json", _empty_vocab), "tokenizer"),
    (
        "tokenizer_class swapped",
        _json("backend/tokenizer/tokenizer_config.json", lambda c: c.update(tokenizer_class="GPT2Tokenizer")),
        "tokenizer",
    ),
    ("safetensors truncated", _truncate("backend/model/model.safetensors"), "model.safetensors"),
    ("num_hidden_layers 100000", _json(CONFIG, lambda c: c.update(num_hidden_layers=100_000)), "config.json"),
    ("hidden_size 2**40", _json(CONFIG, lambda c: c.update(hidden_size=2**40)), "config.json"),
    ("vocab_size a string", _json(CONFIG, lambda c: c.update(vocab_size="many")), "config.json"),
    (
        "quantization_config",
        _json(CONFIG, lambda c: c.update(quantization_config={"quant_method": "bitsandbytes", "load_in_4bit": True})),
        "config.json",
    ),
    (
        "attn_implementation",
        _json(CONFIG, lambda c: c.update(attn_implementation="flash_attention_2")),
        "config.json",
    ),  # fmt: skip
]


def _copy(model: Path, tmp_path: Path) -> Path:
    shutil.copytree(model, tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize("mutate,names", [c[1:] for c in ENCODER_CASES], ids=[c[0] for c in ENCODER_CASES])
def test_a_changed_encoder_directory_is_one_clean_error(mutate, names: str, encoder_model: Path,
                                                         tmp_path: Path, alarm: None) -> None:  # fmt: skip
    model = _copy(encoder_model, tmp_path)
    mutate(model)
    with pytest.raises(ModelError, match="manifest.json|changed since the model was saved") as caught:
        Classifier.load(model)
    assert names in str(caught.value) and "\n" not in str(caught.value)
    from koclassify.manifest import write_manifest

    write_manifest(model)  # and with the manifest rewritten to agree: the loaders' own checks hold too
    with pytest.raises(ModelError) as caught:
        Classifier.load(model)
    assert names in str(caught.value) and "\n" not in str(caught.value)


def test_an_encoder_without_its_tokenizer_no_longer_predicts_a_constant(encoder_model: Path, tmp_path: Path) -> None:
    """The issue's first reproduction through the CLI: exit 2 and one line naming the missing file."""
    model = _copy(encoder_model, tmp_path)
    (model / "backend" / "tokenizer" / "tokenizer.json").unlink()
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "1", "text": "학교 정말 좋다"}\n{"id": "2", "text": "영화 정말 싫다"}\n', encoding="utf-8")
    outcome = run_cli("predict", model, data, "--out", tmp_path / "p.jsonl")
    assert outcome.traceback is None and outcome.code == 2
    assert "tokenizer.json: missing (manifest.json lists it)" in outcome.message
    assert not (tmp_path / "p.jsonl").exists()


def test_a_truncated_safetensors_is_a_clean_line_through_the_cli(llm_full: Path, tmp_path: Path) -> None:
    model = _copy(llm_full, tmp_path)
    _truncate("backend/model/model.safetensors")(model)
    from koclassify.manifest import write_manifest

    write_manifest(model)  # even with a manifest that agrees: the file's own header says it is cut
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "1", "text": "학교 좋다"}\n', encoding="utf-8")
    outcome = run_cli("predict", model, data, "--out", tmp_path / "p.jsonl")
    assert outcome.traceback is None and outcome.code == 2
    assert "model.safetensors: truncated or padded" in outcome.message


def test_llm_weights_with_100000_layers_are_refused_before_building(llm_full: Path, tmp_path: Path,
                                                                     alarm: None) -> None:  # fmt: skip
    from koclassify.manifest import write_manifest

    model = _copy(llm_full, tmp_path)
    for layers, message in ((100_000, "'num_hidden_layers' must be an integer in"), (1000, "describes 1000 layers")):
        _json(CONFIG, lambda c, n=layers: c.update(num_hidden_layers=n))(model)
        write_manifest(model)  # the bound holds without the manifest's help: more layers than the weights fill
        with pytest.raises(ModelError, match=message):
            Classifier.load(model)


def test_a_lora_rank_that_does_not_match_the_weights(llm_adapter: Path, tmp_path: Path) -> None:
    model = _copy(llm_adapter, tmp_path)
    _json("backend/adapter/adapter_config.json", lambda c: c.update(r=8))(model)
    with pytest.raises(ModelError, match="adapter_config.json: changed since the model was saved"):
        Classifier.load(model)
    from koclassify.manifest import write_manifest

    write_manifest(model)  # was a RuntimeError traceback from torch's load_state_dict
    with pytest.raises(ModelError, match="adapter_config.json: r 8 but the stored adapter weights have rank \\[4\\]"):
        Classifier.load(model)
    _json("backend/adapter/adapter_config.json", lambda c: c.update(r=10**9))(model)
    write_manifest(model)  # a rank that would make PEFT build gigabytes of matrices
    with pytest.raises(ModelError, match="'r' must be an integer in"):
        Classifier.load(model)
