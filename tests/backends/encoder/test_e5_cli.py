"""`--backend encoder -O model=e5-small` through the CLI: train (pruned vocabulary, linear probe, mean pooling),
predict, and a saved directory that plain transformers reloads offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.samples import sample_path

pytestmark = pytest.mark.slow  # e5-small is 118M parameters: ~1 minute on 2 busy cores

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(e5_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A few dozen rows, 1 epoch, 32-token windows: enough to exercise every stage, not to learn much."""
    tmp = tmp_path_factory.mktemp("e5-cli")
    rows = sample_path("nikl_train.jsonl").read_text(encoding="utf-8").splitlines()[:24]
    data = tmp / "train.jsonl"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp / "model"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOCLASSIFY_CACHE", str(e5_dir.parent.parent))  # the session's converted copy
        args = ["train", str(data), "--backend", "encoder", "-O", "model=e5-small", "--epochs", "1",
                "--batch-size", "8", "-O", "max_length=32", "-O", "progress_steps=1", "--out", str(out)]  # fmt: skip
        result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "linear probe: head initialised" in result.output and "step 3/3 (100%)" in result.output
    assert "ETA" in result.output
    yield out


def test_recipe_and_pruned_vocabulary_are_recorded(trained: Path) -> None:
    config = json.loads((trained / "config.json").read_text())
    assert config["backend_options"]["model"] == "e5-small"
    stats = json.loads((trained / "backend" / "encoder.json").read_text())["train_stats"]
    assert stats["recipe"] == {"epochs": 1.0, "lr": 1e-4, "head_lr": 1e-3, "layer_decay": 1.0, "pooling": "mean",
                               "probe": "on", "prune_vocab": "on"}  # fmt: skip
    assert stats["vocab_pieces"] == 250_002 and 2_000 < stats["kept_pieces"] < 5_000 and stats["unk_rate"] == 0.0
    model_config = json.loads((trained / "backend" / "model" / "config.json").read_text())
    assert model_config["vocab_size"] == stats["kept_pieces"] and model_config["koclassify_pooling"] == "mean"


def test_saved_directory_reloads_offline_with_plain_transformers(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(trained / "backend" / "tokenizer")
    encoder = AutoModel.from_pretrained(trained / "backend" / "model")  # the encoder: bert.* weights, exactly
    assert len(tok) == encoder.config.vocab_size
    batch = tok(["오늘 정말 즐거웠다"], return_tensors="pt")
    with torch.inference_mode():
        assert encoder(**batch).last_hidden_state.shape[-1] == 384


def test_unseen_pieces_are_spelt_with_kept_ones_and_uncovered_characters_become_one_unk(trained: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(trained / "backend" / "tokenizer")
    word = tok.tokenize("냉장고가")  # not in the 24 training rows: spelt with kept (one-syllable) pieces
    assert tok.unk_token not in word and "".join(word).replace("▁", "") == "냉장고가"
    ids = tok("쀓 龘龘 좋다", add_special_tokens=False)["input_ids"]  # no kept piece covers 쀓 or 龘
    assert ids.count(tok.unk_token_id) == 2  # 쀓 -> <unk>; the run 龘龘 -> one <unk>


def test_predict_and_evaluate(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["predict", str(trained), str(sample_path("nikl_test.jsonl")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    src = [json.loads(line) for line in sample_path("nikl_test.jsonl").read_text().splitlines() if line.strip()]
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [r["id"] for r in src]
    result = runner.invoke(app, ["evaluate", str(trained), str(sample_path("nikl_dev.jsonl")), "--json"])
    assert result.exit_code == 0, result.output
