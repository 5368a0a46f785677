"""The bundled samples: present, readable, shaped as documented, and reproducible by tools/make_samples.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from koclassify.data.read import read_examples
from koclassify.samples import SAMPLES, sample_path

from .conftest import EMOTIONS

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_samples.py"


def test_sample_path_and_unknown_names():
    assert sample_path("nikl_train.jsonl").is_file()
    with pytest.raises(FileNotFoundError, match="available: nikl_train.jsonl"):
        sample_path("kote.tsv")


def test_nikl_samples():
    train = read_examples(sample_path("nikl_train.jsonl"))
    dev = read_examples(sample_path("nikl_dev.jsonl"))
    test = read_examples(sample_path("nikl_test.jsonl"), need_labels=False)
    assert (len(train), len(dev), len(test)) == (300, 80, 60)
    assert train.label_names == tuple(EMOTIONS)
    assert {lab for ex in train.examples for lab in ex.labels} == set(EMOTIONS)
    assert {lab for ex in dev.examples for lab in ex.labels} == set(EMOTIONS)
    assert all(ex.labels is None for ex in test.examples)
    multi = sum(len(ex.labels) > 1 for ex in train.examples) / len(train)
    whole = sum(ex.target.form is None for ex in train.examples) / len(train)
    assert 0.12 < multi < 0.3 and 0.03 < whole < 0.15
    assert len({ex.target.form for ex in train.examples}) > 30


def test_lyrics_samples():
    train = read_examples(sample_path("lyrics_train.csv"))
    dev = read_examples(sample_path("lyrics_dev.csv"))
    assert (len(train), len(dev)) == (150, 50)
    assert train.options.multi_label and train.options.text_col == "lyrics" and train.options.label_col == "genre"
    rows = train.examples + dev.examples
    assert any(len(ex.labels) > 1 for ex in rows) and any(ex.labels == () for ex in rows)
    assert all("\n" in ex.text for ex in rows)
    assert any(ex.fields["artist"] == "하모니 (서준, 다인)" for ex in rows)
    assert len({len(ex.fields["release_date"]) for ex in rows}) >= 3


def test_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_samples", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path)])
    for name in SAMPLES:
        assert (tmp_path / name).read_bytes() == sample_path(name).read_bytes(), name
