"""Shared fixtures of the robustness suite: a tiny trained linear model (and tiny Hugging Face ones), an alarm for
loads that would hang, and a CLI runner that behaves like ``koclassify`` itself (user errors exit 2 with one
line; anything else is a traceback and fails the test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.errors import KoclassifyError

TRAIN_ROWS = [("정말 좋아요", "pos"), ("최고예요 만족", "pos"), ("너무 좋다", "pos"),
              ("별로예요", "neg"), ("최악이에요", "neg"), ("실망했어요", "neg")] * 3  # fmt: skip


@dataclass
class Outcome:
    code: int
    message: str
    traceback: str | None  # set when the command died of an exception that is not a KoclassifyError


def run_cli(*args: object) -> Outcome:
    """Run a command in-process as ``koclassify.cli.main`` would: a KoclassifyError is exit 2 and its message."""
    from koclassify.cli.commands import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return Outcome(result.exit_code, result.output, None)
    if isinstance(exc, KoclassifyError):
        return Outcome(2, str(exc), None)
    import traceback

    return Outcome(1, result.output, "".join(traceback.format_exception(exc)))


@pytest.fixture(scope="session")
def train_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "train.csv"
    path.write_text("id,label,text\n" + "".join(f"{i},{lab},{t}\n" for i, (t, lab) in enumerate(TRAIN_ROWS)))
    return path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, train_file: Path) -> Path:
    """A linear model on six phrases (a second to train); tests copy it before changing anything."""
    out = tmp_path_factory.mktemp("model") / "model"
    outcome = run_cli("train", train_file, "--out", out, "--calibrate", "none")
    assert outcome.code == 0 and outcome.traceback is None, outcome
    return out


# tiny Hugging Face models saved by koclassify (issue 20: trust and manifest reproductions), built once a session
HF_TEXTS = ["학교 정말 좋다", "학교 정말 싫다", "영화 정말 좋다", "영화 정말 싫다"] * 2


def _tests_on_path() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for tiny_models / tiny_encoder


def _tiny_llm(root: Path, **options: object) -> Path:
    """A tiny GPT-NeoX base in ``root/base``, trained on :data:`HF_TEXTS` with ``options`` and saved in ``root/m``."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    _tests_on_path()
    from koclassify import Classifier
    from tiny_models import build_model

    base = build_model(root / "base", "gpt_neox")
    clf = Classifier("llm", model=str(base), epochs=1, batch_size=8, **options)
    return clf.fit(HF_TEXTS, ["joy", "disgust"] * 4).save(root / "m")


@pytest.fixture(scope="session")
def llm_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fully fine-tuned tiny causal LM (its weights in backend/model/, as merged ones are)."""
    return _tiny_llm(tmp_path_factory.mktemp("llm_full"), lora=False)


@pytest.fixture(scope="session")
def llm_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny causal LM with a LoRA adapter (r 4) in backend/adapter/."""
    return _tiny_llm(tmp_path_factory.mktemp("llm_adapter"), lora_r=4, lora_alpha=8)


@pytest.fixture(scope="session")
def encoder_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    _tests_on_path()
    from koclassify import Classifier
    from tiny_encoder import build_encoder

    root = tmp_path_factory.mktemp("encoder")
    base = build_encoder(root / "base", texts=HF_TEXTS, initializer_range=0.2)
    clf = Classifier("encoder", model=str(base), epochs=1, batch_size=8, lr=1e-2)
    return clf.fit(HF_TEXTS, ["pos", "neg"] * 4).save(root / "m")


@pytest.fixture
def alarm() -> Iterator[None]:
    """A load that blocks (a FIFO, an endless file, a config of 100,000 layers) fails the test instead of hanging
    the suite."""
    import signal

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("loading the model directory hung")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
