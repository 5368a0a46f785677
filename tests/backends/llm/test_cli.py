"""`koclassify train --backend llm` then `predict --probs`, end to end on slices of the bundled samples."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from koclassify import Classifier
from koclassify.cli.commands import app
from koclassify.data.read import read_examples
from koclassify.samples import sample_path

runner = CliRunner()
NIKL_LABELS = ["joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"]


def invoke(*args: object) -> None:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def read_probs(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    names = list(rows[0]["probs"])
    return [r["id"] for r in rows], np.array([[r["probs"][n] for n in names] for r in rows]), names


def test_train_then_predict_probs_on_nikl(neox_dir: Path, tmp_path: Path) -> None:
    sample = tmp_path / "nikl.jsonl"
    sample.write_text("".join(sample_path("nikl_train.jsonl").open(encoding="utf-8").readlines()[:12]), "utf-8")
    model_dir, out = tmp_path / "D", tmp_path / "P.jsonl"
    invoke("train", sample, "--backend", "llm", "--model", neox_dir, "--epochs", "1", "--calibrate", "none",
           "--out", model_dir, "-O", "batch_size=4")  # fmt: skip
    assert (model_dir / "backend" / "adapter" / "adapter_config.json").is_file()
    meta = json.loads((model_dir / "backend" / "llm.json").read_text(encoding="utf-8"))
    assert meta["verbalizer"]["joy"] == "기쁨" and meta["weights"] == "adapter"
    invoke("predict", model_dir, sample, "--probs", "--out", out)

    ids, probs, names = read_probs(out)
    examples = read_examples(sample).examples
    assert names == NIKL_LABELS and ids == [ex.id for ex in examples]
    assert ((probs > 0) & (probs < 1)).all() and (probs.sum(axis=1) < 1).all()  # vocabulary probabilities
    np.testing.assert_allclose(probs, Classifier.load(model_dir).predict_proba(examples), rtol=1e-6)


def test_multi_class_genre_with_a_template_over_every_column(neox_dir: Path, tmp_path: Path) -> None:
    """Lyrics genre (multi-class), a prompt over all metadata columns, genre names scored as multi-token words."""
    with sample_path("lyrics_train.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if "," not in r["genre"]]
    rows = [r for r in rows if r["genre"] in ("발라드", "댄스", "랩/힙합")][:9]
    sample = tmp_path / "lyrics.csv"
    with sample.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    template = '"{song_name} - {artist} ({album}, {release_date})\\n가사: {text}\\n장르:"'
    model_dir, out = tmp_path / "G", tmp_path / "G.jsonl"
    options = ["-O", f"template={template}", "-O", "multi_token=sum", "-O", "max_length=64"]
    invoke("train", sample, "--backend", "llm", "--model", neox_dir, "--epochs", "1", "--multi-class",
           "--out", model_dir, *options)  # fmt: skip
    clf = Classifier.load(model_dir)
    assert clf.backend.format.template.endswith("\n가사: {text}\n장르:")
    assert any(len(ids) > 1 for ids in clf.backend.label_tokens.ids)  # e.g. '랩/힙합' is several tokens here
    invoke("predict", model_dir, sample, "--probs", "--out", out)
    _, probs, names = read_probs(out)
    assert sorted(names) == sorted({r["genre"] for r in rows})
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)  # multi-class: renormalised over the genres
