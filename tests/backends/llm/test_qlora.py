"""QLoRA for real, on the CPU: a 4-bit NF4 base from bitsandbytes, LoRA on top, paged 8-bit AdamW.

bitsandbytes (the ``qlora`` extra, in ``dev``) runs NF4 ``Linear4bit`` layers and its 8-bit optimizers without
CUDA, so the path the polyglot-ko recipe trains on is exercised here on tiny random models and a slice of the
bundled NIKL sample: the real layers, the real optimizer, save / load, and the one-line errors around them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bitsandbytes as bnb
import numpy as np
import pytest
import torch
from transformers import Trainer
from typer.testing import CliRunner

from koclassify import Classifier
from koclassify.backends.llm import train as llm_train
from koclassify.cli.commands import app
from koclassify.data.read import read_examples
from koclassify.errors import MissingDependencyError
from koclassify.samples import sample_path
from tiny_models import build_model

pytestmark = pytest.mark.slow  # a few seconds each: real 4-bit layers on the CPU
ROWS = 16  # NIKL sample rows: about 20 per-label training rows, 5 steps at batch 4
# lora_r 64 on hidden 64: LoRA matrices of >= 4,096 values, the size from which bitsandbytes keeps 8-bit states
QLORA = {"qlora": True, "epochs": 1, "batch_size": 4, "lora_r": 64}
CPU_NOTICE = "the 4-bit base runs on the CPU"


@pytest.fixture(scope="module")
def nikl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nikl") / "nikl.jsonl"
    lines = sample_path("nikl_train.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:ROWS]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny GPT-NeoX and Llama with hidden size 64 (a 4-bit layer's CPU kernels need rows of >= 64 values)."""
    root = tmp_path_factory.mktemp("qlora-bases")
    return {
        "gpt_neox": build_model(root / "neox", "gpt_neox", hidden=64),
        "llama": build_model(root / "llama", "llama", hidden=64, bos_token=True),
    }


def check_4bit_base(model: object) -> int:
    """Every linear layer of the base but the output projection is an NF4, double-quantised, bf16-compute
    ``bnb.nn.Linear4bit``; returns how many there are."""
    base = model.get_base_model()
    output = base.get_output_embeddings()
    count = 0
    for name, module in base.named_modules():
        if not isinstance(module, torch.nn.Linear) or module is output or "lora_" in name:
            continue
        assert isinstance(module, bnb.nn.Linear4bit), name
        state = module.weight.quant_state
        assert state.quant_type == "nf4" and state.nested, name  # nested: the absmax values are quantised too
        assert module.weight.dtype == torch.uint8 and module.compute_dtype == torch.bfloat16, name
        count += 1
    return count


@pytest.mark.parametrize("arch, layers", [("gpt_neox", 2 * 4), ("llama", 2 * 7)])
def test_qlora_trains_a_4bit_base_on_the_cpu(
    arch: str, layers: int, bases: dict[str, Path], nikl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    built = []
    create = Trainer.create_optimizer

    def spy(self: Trainer, *args: object, **kwargs: object) -> object:
        built.append(create(self, *args, **kwargs))
        return built[-1]

    monkeypatch.setattr(Trainer, "create_optimizer", spy)
    monkeypatch.setattr(llm_train, "_cpu_notice_shown", False)
    rows = read_examples(nikl).examples
    clf = Classifier("llm", model=str(bases[arch]), **QLORA).fit(rows)
    model = clf.backend.model

    assert check_4bit_base(model) == layers  # every targeted projection of both blocks
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_A." in name or ".lora_B." in name for name in trainable)

    # the optimizer Trainer built from optim="paged_adamw_8bit": bitsandbytes' paged AdamW with 8-bit states,
    # over exactly the LoRA weights
    (optimizer,) = built
    assert isinstance(optimizer, bnb.optim.AdamW) and optimizer.args.optim_bits == 8 and optimizer.is_paged
    assert {id(p) for group in optimizer.param_groups for p in group["params"]} == {id(p) for p in trainable.values()}
    states = [optimizer.state[p] for p in trainable.values() if p.numel() >= optimizer.args.min_8bit_size]
    assert states and all(s["state1"].dtype == torch.uint8 and s["state2"].dtype == torch.uint8 for s in states)
    assert clf.backend.train_stats_["optimizer"] == "bitsandbytes.AdamW (8-bit, paged)"

    before = clf.predict_proba(rows)
    clf.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "backend" / "llm.json").read_text())["weights"] == "adapter"
    loaded = Classifier.load(tmp_path / "m")
    assert isinstance(loaded.backend.model.get_base_model().get_input_embeddings(), torch.nn.Embedding)
    after = loaded.predict_proba(rows)
    np.testing.assert_array_equal(before, after)  # the base is quantised again, identically
    assert capfd.readouterr().err.count(CPU_NOTICE) == 1  # said once, not at every load


runner = CliRunner()


def hidden_run(hide: str, *argv: object) -> subprocess.CompletedProcess:
    """``koclassify ARGV`` in a fresh interpreter where package ``hide`` cannot be found (as if not installed)."""
    script = f"""
import importlib.machinery, sys
class Hidden(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] == {hide!r}:
            return None
        return super().find_spec(name, path, target)
sys.meta_path = [Hidden if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
sys.argv = ["koclassify", *sys.argv[1:]]
from koclassify.cli import main
main()
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "400"}  # one console line per message
    return subprocess.run([sys.executable, "-c", script, *map(str, argv)], capture_output=True, text=True, env=env)


def one_line_error(done: subprocess.CompletedProcess, expected: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], output


def test_cli_qlora_train_predict_and_without_bitsandbytes(bases: dict[str, Path], nikl: Path, tmp_path: Path) -> None:
    model_dir, out = tmp_path / "D", tmp_path / "P.jsonl"
    result = runner.invoke(app, ["train", str(nikl), "--backend", "llm", "--model", str(bases["llama"]), "--qlora",
                                 "--epochs", "1", "--calibrate", "none", "--out", str(model_dir),
                                 "-O", "batch_size=4"], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads((model_dir / "backend" / "llm.json").read_text(encoding="utf-8"))
    assert meta["train_stats"]["optimizer"] == "bitsandbytes.AdamW (8-bit, paged)"
    result = runner.invoke(app, ["predict", str(model_dir), str(nikl), "--probs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    probs = np.array([list(r["probs"].values()) for r in rows])
    clf = Classifier.load(model_dir)
    assert check_4bit_base(clf.backend.model) == 2 * 7
    np.testing.assert_allclose(probs, clf.predict_proba(read_examples(nikl).examples), rtol=1e-6)
    # the saved model names a 4-bit base: loading it where bitsandbytes is missing says which extra to install
    one_line_error(
        hidden_run("bitsandbytes", "predict", model_dir, nikl, "--out", tmp_path / "Q.jsonl"),
        "pip install 'koclassify[qlora]'",
    )


def test_without_transformers_the_cli_says_which_extra_in_one_line(bases, nikl, tmp_path) -> None:
    done = hidden_run("transformers", "train", nikl, "--backend", "llm", "--model", bases["gpt_neox"], "--qlora",
                      "--epochs", "1", "--out", tmp_path / "m")  # fmt: skip
    one_line_error(done, "'transformers': pip install 'koclassify[llm]'")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("hide, extra", [("bitsandbytes", "qlora"), ("peft", "llm"), ("accelerate", "llm")])
def test_a_missing_library_names_its_extra(hide: str, extra: str, bases, nikl, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, hide, None)  # `import NAME` fails from here on, as if it were not installed
    with pytest.raises(MissingDependencyError, match=rf"'{hide}': pip install 'koclassify\[{extra}\]'"):
        Classifier("llm", model=str(bases["gpt_neox"]), **QLORA).fit(read_examples(nikl).examples)


def test_merged_qlora_is_self_contained_and_scores_as_the_4bit_model(bases, nikl, tmp_path, monkeypatch) -> None:
    """merge_adapter on a 4-bit base: the adapter merged into the dequantised NF4 weights, saved in full precision.
    Stated tolerance: label log-probabilities within 0.05 of the 4-bit model's (its layers compute in bf16)."""
    from peft import PeftModel

    base = shutil.copytree(bases["gpt_neox"], tmp_path / "base")
    rows = read_examples(nikl).examples
    Classifier("llm", model=str(base), merge_adapter=True, **QLORA).fit(rows).save(tmp_path / "m")
    adapter = tmp_path / "m" / "backend" / "adapter"
    four_bit = PeftModel.from_pretrained(llm_train.load_causal_lm(base, qlora=True), str(adapter)).eval()
    shutil.rmtree(base)  # the merged directory must not need the base any more

    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "bitsandbytes", None)  # nor bitsandbytes: the merged model is a plain one
        merged = Classifier.load(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "backend" / "llm.json").read_text())["weights"] == "merged"
    config = json.loads((tmp_path / "m" / "backend" / "model" / "config.json").read_text())
    assert "quantization_config" not in config  # a plain model: loading it quantises nothing
    assert not any(isinstance(m, bnb.nn.Linear4bit) for m in merged.backend.model.modules())
    scores = merged.backend.predict_scores(rows)
    merged.backend.model = four_bit
    reference = merged.backend.predict_scores(rows)
    assert np.abs(scores["logprob"] - reference["logprob"]).max() < 0.05
    np.testing.assert_allclose(scores["vocab"], reference["vocab"], rtol=0.06)
