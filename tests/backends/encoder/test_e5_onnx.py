"""ONNX export of a fine-tuned e5-small-shaped model (issue 24): the e5 recipe on a tiny encoder (Unigram vocabulary
through the converter's tokenizer code, pruned to the training pieces; mean pooling; probe start), exported by
`koclassify export onnx` in fp32 and int8 and checked against the torch model on texts with unseen pieces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify import Classifier
from koclassify.cli.commands import app
from tiny_encoder import build_e5_shaped

from .conftest import HELD_OUT, NOUNS, separable

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

runner = CliRunner()
# the e5-small recipe's switches, spelt out: a local path does not get the built-in name's defaults
E5_RECIPE = {"pooling": "mean", "probe": "on", "prune_vocab": "on", "lr": 1e-4, "head_lr": 1e-3, "layer_decay": 0.8}
# rows the model never trained on: other nouns, a fullwidth sign and an ideographic space (the normaliser's map),
# characters no kept piece covers (<unk>), and a longer row
EXTRA = ["드라마 정말 좋다！", "게임\u3000정말 싫다", "쀓쀓 정말 좋다", "카페 식당 게임 드라마 정말 정말 싫다 싫다"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, labels = separable(NOUNS)
    every, _ = separable(NOUNS + HELD_OUT)
    encoder = build_e5_shaped(tmp_path_factory.mktemp("e5-shaped"), every * 3)
    clf = Classifier("encoder", model=str(encoder), epochs=2, batch_size=8, warmup=0.0, max_length=32, **E5_RECIPE)
    clf.fit(texts, labels)
    out = tmp_path_factory.mktemp("e5-onnx") / "model"
    clf.save(out)
    return out


def rows() -> list[str]:
    texts, _ = separable(NOUNS + HELD_OUT)
    return texts + EXTRA


def exported(saved: Path, directory: Path, *flags: str) -> tuple[np.ndarray, np.ndarray]:
    """(torch probabilities, ONNX Runtime probabilities) of a copy of ``saved`` exported with ``flags``."""
    shutil.copytree(saved, directory)
    torch_probs = Classifier.load(directory).predict_proba(rows())
    result = runner.invoke(app, ["export", "onnx", str(directory), *flags], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    loaded = Classifier.load(directory)
    assert loaded.backend.onnx is not None, "runtime=auto picks ONNX Runtime on a CPU machine"
    return torch_probs, loaded.predict_proba(rows())


def test_the_e5_recipe_ran_with_a_pruned_vocabulary(saved: Path) -> None:
    stats = json.loads((saved / "backend" / "encoder.json").read_text())["train_stats"]
    assert stats["recipe"]["pooling"] == "mean" and stats["recipe"]["prune_vocab"] == "on"
    assert stats["kept_pieces"] < stats["vocab_pieces"] and stats["unk_rate"] == 0.0
    model_config = json.loads((saved / "backend" / "model" / "config.json").read_text())
    assert model_config["vocab_size"] == stats["kept_pieces"] and model_config["koclassify_pooling"] == "mean"
    texts, labels = separable(NOUNS + HELD_OUT)
    assert np.mean(np.array(Classifier.load(saved).predict(texts)) == labels) > 0.9, "it learnt the task"


def test_fp32_export_predicts_what_torch_predicts(saved: Path, tmp_path: Path) -> None:
    torch_probs, onnx_probs = exported(saved, tmp_path / "fp32")
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-5)


def test_int8_export_keeps_the_top_label_with_bounded_drift(saved: Path, tmp_path: Path) -> None:
    """Not transparent: activations are quantised per tensor at run time. Largest drift measured on this model:
    0.034 with the export's per-channel weight scales, 0.093 with per-tensor ones (docs/e5.md, "ONNX int8")."""
    torch_probs, onnx_probs = exported(saved, tmp_path / "int8", "--int8")
    agree, drift = (onnx_probs.argmax(1) == torch_probs.argmax(1)).mean(), np.abs(onnx_probs - torch_probs).max()
    assert agree >= 0.9 and drift < 0.1, f"top label agrees on {agree:.0%} of rows, largest drift {drift:.3f}"
