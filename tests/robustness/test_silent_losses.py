"""Reproductions of the paths that changed or lost data while exiting 0 (issue 14): each now keeps the data or
says what it decided."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from koclassify import Classifier

from .conftest import run_cli


def test_label_names_are_stored_in_the_model_not_their_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "labels.txt").write_text("pos\nneg\n", encoding="utf-8")
    rows = [("정말 좋아요", 0), ("최고예요", 0), ("너무 좋다", 0), ("별로예요", 1), ("최악이에요", 1), ("실망", 1)] * 3
    (src / "t.csv").write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in rows), encoding="utf-8")
    monkeypatch.chdir(src)
    assert run_cli("train", "t.csv", "--label-names", "labels.txt", "--out", "../m", "--calibrate", "none").code == 0
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["data_options"]["label_names"] == ["pos", "neg"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "labels.txt").write_text("neg\npos\n", encoding="utf-8")  # another labels.txt must not be read
    (elsewhere / "t.csv").write_text((src / "t.csv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    outcome = run_cli("evaluate", "../m", "t.csv", "--json")
    assert outcome.code == 0, outcome.message
    metrics = json.loads(outcome.message.strip().splitlines()[-1])
    assert metrics["accuracy"] == 1.0


def test_an_id_column_is_kept_and_a_repeat_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spaces.csv").write_text("id,label,text\nrow one,a,x\nrow two,b,y\n", encoding="utf-8")
    assert run_cli("convert", "spaces.csv", "out.jsonl").code == 0
    assert [json.loads(line)["id"] for line in Path("out.jsonl").read_text().splitlines()] == ["row one", "row two"]
    Path("dup.csv").write_text("id,label,text\n7,a,x\n7,b,y\n", encoding="utf-8")
    outcome = run_cli("convert", "dup.csv", "out2.jsonl")
    assert outcome.code == 2 and "duplicate id '7'" in outcome.message and not Path("out2.jsonl").exists()


@pytest.mark.parametrize(
    ("top", "decided", "labelled"),
    [(1.0000001, "unit", 1), (1.0, "unit", 1), (99.5, "percent", 1), (0.4, "unit", 0)],
)
def test_scale_auto_reads_the_whole_range_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, top: float,
                                                      decided: str, labelled: int) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    low = 0.3 if top < 2 else 30.0
    Path("p.jsonl").write_text(json.dumps({"a": top, "b": low}) + "\n" + json.dumps({"a": low, "b": low}) + "\n")
    Path("t.json").write_text(json.dumps({"a": 0.5, "b": 0.5}))
    Path("d.jsonl").write_text('{"id": "1", "text": "x"}\n{"id": "2", "text": "y"}\n')
    outcome = run_cli("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", "d.jsonl", "--out", "o.jsonl")
    assert outcome.code == 0, outcome.message
    assert f"read as {decided}" in outcome.message
    rows = [json.loads(line) for line in Path("o.jsonl").read_text().splitlines()]
    assert sum(bool(r["labels"]) for r in rows) == labelled


def test_a_lone_carriage_return_in_an_id_round_trips(model_dir: Path, tmp_path: Path) -> None:
    clf = Classifier.load(model_dir)
    from koclassify.data import read_examples
    from koclassify.data.writers import write_predictions

    src = tmp_path / "d.jsonl"
    src.write_text(json.dumps({"id": "a\rb", "text": "좋아요"}) + "\n" + json.dumps({"id": "c", "text": "별로"}) + "\n")
    dataset = read_examples(src, need_labels=False)
    probs = clf.predict_proba(dataset.examples)
    write_predictions(dataset, clf.decide(probs), probs, list(clf.labels_.names), tmp_path / "o.csv")
    import csv

    with open(tmp_path / "o.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["a\rb", "c"], "a lone CR split the row"


def test_surrogates_through_the_api_and_http(model_dir: Path) -> None:
    from koclassify.errors import DataError

    clf = Classifier.load(model_dir)
    with pytest.raises(DataError, match="lone surrogate"):
        clf.predict(["좋아요\ud800"])
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from koclassify.serve import create_app

    client = TestClient(create_app(model_dir))
    json_type = {"content-type": "application/json"}
    response = client.post("/predict", content=b'{"texts": ["ok \\ud800"]}', headers=json_type)
    assert response.status_code == 422
    response = client.post("/predict", content=b'{"items": [{"id": "\\udfff", "text": "ok"}]}', headers=json_type)
    assert response.status_code == 422
