"""Two fitted ``linear`` members on the bundled NIKL sample, with different features, saved once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.data.read import Dataset, read_examples
from koclassify.samples import sample_path


@pytest.fixture(scope="session")
def nikl() -> tuple[Dataset, Dataset]:
    return read_examples(sample_path("nikl_train.jsonl")), read_examples(sample_path("nikl_dev.jsonl"))


@pytest.fixture(scope="session")
def members(nikl: tuple[Dataset, Dataset]) -> tuple[Classifier, Classifier]:
    """Character n-grams vs words + morphemes: the same task seen through different features."""
    train, _ = nikl
    a = Classifier(features="char").fit(train.examples, labels=train.label_names)
    b = Classifier(features="word,morph").fit(train.examples, labels=train.label_names)
    return a, b


@pytest.fixture(scope="session")
def member_dirs(members: tuple[Classifier, Classifier], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("members")
    return members[0].save(root / "A"), members[1].save(root / "B")
