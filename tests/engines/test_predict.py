"""``koclassify.predict``: one entry point for classifying files (the local engine here; Ray in test_distributed),
its options declared once and checked before a model is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import koclassify
from koclassify import Classifier
from koclassify.options import OptionError
from koclassify.samples import sample_path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = ["좋아요 최고", "정말 좋다", "별로예요", "싫어요 최악"] * 5
    labels = ["pos", "pos", "neg", "neg"] * 5
    return Classifier("linear").fit(texts, labels, calibrate=None).save(tmp_path_factory.mktemp("m") / "model")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_local_engine_from_a_directory_or_a_classifier_gives_the_same_rows(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    texts = ["좋아요", "싫어요"] * 3
    src.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    result = koclassify.predict(model_dir, src, tmp_path / "a.jsonl", chunk_rows=4, top_k=1)
    again = koclassify.predict(Classifier.load(model_dir), src, tmp_path / "b.jsonl", engine="local", top_k=1)
    assert result.rows == again.rows == 6 and result.kind == "probs"
    assert rows(tmp_path / "a.jsonl") == rows(tmp_path / "b.jsonl")
    assert [r["id"] for r in rows(tmp_path / "a.jsonl")] == [f"r{i}" for i in range(6)]
    assert all(len(r["top_k"]) == 1 for r in rows(tmp_path / "a.jsonl"))


@pytest.mark.parametrize(
    "options,named",
    [({"engine": "spark"}, "engine"), ({"chunk_rows": 0}, "chunk_rows"), ({"workers": 2}, "workers"),
     ({"split_rows": 10}, "engine"), ({"chunk_row": 5}, "chunk_rows"), ({"engine": "ray", "top_k": 2}, "top_k")],
)  # fmt: skip
def test_options_are_checked_before_the_model_or_the_data(options: dict, named: str, tmp_path: Path) -> None:
    """A bad option is one OptionError, although neither the model directory nor the input exists."""
    with pytest.raises(OptionError) as caught:
        koclassify.predict(tmp_path / "no-model", tmp_path / "no-input.jsonl", tmp_path / "o.jsonl", **options)
    assert named in str(caught.value) and "no-model" not in str(caught.value)


def test_lenient_sets_bad_rows_aside_beside_the_output(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "좋아요"}\n{"id": "b"}\n{"id": "c", "text": "싫어요"}\n', encoding="utf-8")
    result = koclassify.predict(model_dir, src, tmp_path / "o.jsonl", layout={"lenient": True})
    assert result.rows == 2 and result.errors == 1
    assert [(r["line"], r["field"]) for r in rows(tmp_path / "o.jsonl.errors.jsonl")] == [(2, "text")]


def test_several_inputs_are_rays_work(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="engine"):
        koclassify.predict(model_dir, [sample_path("nikl_test.jsonl")], tmp_path / "sub.jsonl")
