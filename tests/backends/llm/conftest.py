"""Fixtures for the llm backend tests: tiny random causal LMs and a small separable task, all built locally."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for tiny_models

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from tiny_models import build_model  # noqa: E402

NOUNS = ["학교", "영화", "커피", "여행", "선물", "공연", "음악", "회사", "친구", "날씨", "동창회", "졸업식"]
HELD_OUT = ["카페", "식당", "게임", "드라마"]


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and on a shared 2-core box extra threads only spin."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def neox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GPT-NeoX (the polyglot-ko architecture) whose tokenizer has no pad token, like polyglot-ko."""
    return build_model(tmp_path_factory.mktemp("neox"), "gpt_neox")


@pytest.fixture(scope="session")
def llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama whose tokenizer prepends a BOS token."""
    return build_model(tmp_path_factory.mktemp("llama"), "llama", bos_token=True)


def separable(nouns: list[str]) -> tuple[list[str], list[str]]:
    """'X 정말 좋다' is joy, 'X 정말 싫다' is disgust: learnable from one word, whatever the noun."""
    texts, labels = [], []
    for noun in nouns:
        texts += [f"{noun} 정말 좋다", f"{noun} 정말 싫다"]
        labels += ["joy", "disgust"]
    return texts, labels


@pytest.fixture(scope="session")
def task() -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    return separable(NOUNS), separable(HELD_OUT)
