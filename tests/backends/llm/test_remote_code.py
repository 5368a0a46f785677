"""A model directory is data: code shipped inside one never runs unless the person asks (issue 14, item 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.errors import ModelError

EVIL = """
import pathlib
pathlib.Path({marker!r}).write_text("ran")
from transformers import PreTrainedTokenizerFast  # noqa: E402


class EvilTokenizer(PreTrainedTokenizerFast):  # a subclass: loading marks it, never the real class, as remote code
    pass
"""


def _plant(model: Path, marker: Path) -> None:
    """What an attacker ships: trust_remote_code in the config and an auto_map pointing at a .py beside it."""
    config_path = model / "config.json"
    config = json.loads(config_path.read_text())
    config["backend_options"]["trust_remote_code"] = True
    config_path.write_text(json.dumps(config))
    tok_dir = model / "backend" / "tokenizer"
    (tok_dir / "evil.py").write_text(EVIL.format(marker=str(marker)))
    tok_config = json.loads((tok_dir / "tokenizer_config.json").read_text())
    tok_config["auto_map"] = {"AutoTokenizer": ["evil.EvilTokenizer", "evil.EvilTokenizer"]}
    (tok_dir / "tokenizer_config.json").write_text(json.dumps(tok_config))
    from koclassify.manifest import write_manifest

    write_manifest(model)  # the manifest rewritten too: the trust check must hold without its help


@pytest.fixture(scope="module")
def planted(neox_dir: Path, task, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    (texts, labels), _ = task
    root = tmp_path_factory.mktemp("remote")
    Classifier("llm", model=str(neox_dir), epochs=1, batch_size=8).fit(texts, labels).save(root / "m")
    _plant(root / "m", root / "marker")
    return root / "m", root / "marker"


def test_code_in_a_model_directory_never_runs_on_load(planted: tuple[Path, Path]) -> None:
    model, marker = planted
    try:
        Classifier.load(model)
    except ModelError as exc:
        assert "remote" in str(exc).lower() or "trust" in str(exc).lower() or "cannot load" in str(exc)
    assert not marker.exists(), "loading a model directory ran code shipped inside it"


def test_cli_predict_does_not_run_it_either(planted: tuple[Path, Path], tmp_path: Path) -> None:
    model, marker = planted
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "1", "text": "영화 정말 좋다"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "koclassify", "predict", str(model), str(data), "--out", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr
    assert not marker.exists()


def test_the_person_can_still_allow_it(planted: tuple[Path, Path]) -> None:
    """The crafted directory really carries runnable code: the check above is not vacuous."""
    model, marker = planted
    from transformers import PreTrainedTokenizerFast  # what the planted module hands back as its class

    before = PreTrainedTokenizerFast.__dict__.get("_auto_class")
    try:
        Classifier.load(model, trust_remote_code=True)
    except ModelError:
        pass
    finally:  # loading remote code registers the class for AutoTokenizer process-wide: every later
        # save_pretrained of a fast tokenizer in this process would then look for the planted module's files
        PreTrainedTokenizerFast._auto_class = before
    assert marker.exists()
    marker.unlink()
