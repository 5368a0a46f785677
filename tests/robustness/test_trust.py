"""Issue 20 §1: code never runs from a model directory and nobody is ever asked.

Every Hugging Face load in the package passes ``trust_remote_code`` explicitly (an AST scan enumerates the calls,
so a new one cannot forget it); a model directory whose config names its own code (``auto_map``) is one clean
line, even with ``y`` waiting on stdin, unless the person passed ``--trust-remote-code``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.errors import ModelError

SRC = Path(__file__).resolve().parents[2] / "src" / "koclassify"

# what loads a model, tokenizer, config or adapter (and can import code shipped with it)
HF_LOADERS = {"from_pretrained", "from_config", "pipeline"}


def _calls(tree: ast.AST) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in HF_LOADERS:
                found.append(node)
    return found


def test_every_hugging_face_load_passes_trust_remote_code_explicitly() -> None:
    calls = {}
    for path in sorted(SRC.rglob("*.py")):
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            calls[f"{path.relative_to(SRC)}:{call.lineno}"] = call
    # the tokenizer, the encoder (new and trained), the causal LM and two PEFT adapter loads
    assert len(calls) >= 6, f"the scan finds the package's loads: {sorted(calls)}"
    for where, call in calls.items():
        given = [k for k in call.keywords if k.arg == "trust_remote_code"]
        assert given, f"{where}: a Hugging Face load without an explicit trust_remote_code= (it would prompt)"
        value = given[0].value
        assert not (isinstance(value, ast.Constant) and value.value is True), f"{where}: trust_remote_code=True"


def test_nothing_in_the_package_asks_on_stdin() -> None:
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "input":
                raise AssertionError(f"{path.relative_to(SRC)}:{node.lineno}: input() reads stdin")


EVIL = """
import pathlib
pathlib.Path({marker!r}).write_text("ran")
from transformers import {config}, {model}


class EvilConfig({config}):
    model_type = "evilnet"


class EvilModel({model}):
    config_class = EvilConfig
"""


def plant_auto_map(weights: Path, marker: Path, config_class: str, model_class: str, auto_key: str) -> None:
    """What an attacker ships: an unknown ``model_type`` and an ``auto_map`` naming a .py beside the weights."""
    (weights / "evil.py").write_text(EVIL.format(marker=str(marker), config=config_class, model=model_class))
    config = json.loads((weights / "config.json").read_text())
    config["model_type"] = "evilnet"
    config["auto_map"] = {"AutoConfig": "evil.EvilConfig", auto_key: "evil.EvilModel"}
    (weights / "config.json").write_text(json.dumps(config))
    resign(weights.parents[1])


def resign(model: Path) -> None:
    """Rewrite the manifest, as an attacker who edits the files can: the trust check must hold on its own."""
    from koclassify.manifest import write_manifest

    write_manifest(model)


def _copy(model: Path, tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(model, tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.slow  # a fresh koclassify process (torch and transformers imported)
def test_llm_weights_naming_their_code_never_prompt_and_never_run(llm_full: Path, tmp_path: Path) -> None:
    """The issue's reproduction: ``echo y | koclassify predict m d.jsonl --out p.jsonl`` ran the file, exit 0."""
    model, marker = _copy(llm_full, tmp_path), tmp_path / "PWNED"
    plant_auto_map(model / "backend" / "model", marker, "GPTNeoXConfig", "GPTNeoXForCausalLM", "AutoModelForCausalLM")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "1", "text": "학교 좋다"}\n', encoding="utf-8")
    command = [sys.executable, "-m", "koclassify", "predict", str(model), str(data), "--out", str(tmp_path / "p.jsonl")]
    done = subprocess.run(command, input="y\ny\n", capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Do you wish" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "auto_map" in errors[0] and "--trust-remote-code" in errors[0], done.stderr
    assert not marker.exists(), "the model directory's code ran"
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.slow  # a fresh koclassify process (torch and transformers imported)
def test_the_person_can_still_allow_it(llm_full: Path, tmp_path: Path) -> None:
    """The planted file really is runnable code that transformers would import: the check above is not vacuous."""
    model, marker = _copy(llm_full, tmp_path), tmp_path / "PWNED"
    plant_auto_map(model / "backend" / "model", marker, "GPTNeoXConfig", "GPTNeoXForCausalLM", "AutoModelForCausalLM")
    code = f"from koclassify import Classifier; Classifier.load({str(model)!r}, trust_remote_code=True)"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert marker.exists()


def test_encoder_weights_naming_their_code_are_refused_even_when_trusted(encoder_model: Path, tmp_path: Path) -> None:
    model, marker = _copy(encoder_model, tmp_path), tmp_path / "PWNED"
    plant_auto_map(model / "backend" / "model", marker, "BertConfig", "BertForSequenceClassification",
                   "AutoModelForSequenceClassification")  # fmt: skip
    for trust in (False, True):  # the encoder backend never loads a model's code
        with pytest.raises(ModelError, match="auto_map") as caught:
            Classifier.load(model, trust_remote_code=trust)
        assert "\n" not in str(caught.value)
    assert not marker.exists()


def test_a_tokenizer_naming_its_code_is_refused(encoder_model: Path, tmp_path: Path) -> None:
    model = _copy(encoder_model, tmp_path)
    path = model / "backend" / "tokenizer" / "tokenizer_config.json"
    config = json.loads(path.read_text())
    config["auto_map"] = {"AutoTokenizer": ["evil.Tok", "evil.Tok"]}
    path.write_text(json.dumps(config))
    resign(model)
    with pytest.raises(ModelError, match="tokenizer_config.json: names code shipped with the model"):
        Classifier.load(model)


def test_an_adapter_whose_base_names_its_code_is_refused(llm_adapter: Path, tmp_path: Path) -> None:
    """``backend_options.model`` naming a base directory that ships code: the same one line, nothing run."""
    import shutil

    model, marker = _copy(llm_adapter, tmp_path), tmp_path / "PWNED"
    base = tmp_path / "base"
    shutil.copytree(llm_adapter.parent / "base", base)
    (base / "evil.py").write_text(EVIL.format(marker=str(marker), config="GPTNeoXConfig", model="GPTNeoXForCausalLM"))
    config = json.loads((base / "config.json").read_text())
    config.update(model_type="evilnet", auto_map={"AutoModelForCausalLM": "evil.EvilModel"})
    (base / "config.json").write_text(json.dumps(config))
    saved = json.loads((model / "config.json").read_text())
    saved["backend_options"]["model"] = str(base)
    (model / "config.json").write_text(json.dumps(saved))
    resign(model)
    with pytest.raises(ModelError, match="base/config.json: names code shipped with the model") as caught:
        Classifier.load(model)
    assert "\n" not in str(caught.value) and not marker.exists()
