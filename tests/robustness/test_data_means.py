"""Issue 20 section 5, data means what it says: each reproduction exits 0 with a changed meaning (or a traceback, or
a 500 KB line) on the code before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import TRAIN_ROWS, run_cli


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_a_label_holding_the_separator_survives_a_csv_round_trip(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rows = [{"id": "1", "text": "좋아요", "labels": ["good, bad"]}, {"id": "2", "text": "별로", "labels": ["ok"]},
            {"id": "3", "text": "음", "labels": ["ok", "good, bad"]}]  # fmt: skip
    _jsonl(tmp_path / "a.jsonl", rows)
    for args in (["convert", "a.jsonl", "a.csv"], ["convert", "a.csv", "b.jsonl"]):
        outcome = run_cli(*args)
        assert outcome.code == 0, outcome
    back = [json.loads(line)["labels"] for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert back == [r["labels"] for r in rows]


def test_one_empty_label_does_not_turn_the_task_multi_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [f"{i},{lab},{t}" for i, (t, lab) in enumerate(TRAIN_ROWS)] + ["99,,그냥 그래요"]
    Path("t.csv").write_text("id,label,text\n" + "\n".join(lines) + "\n", encoding="utf-8")
    outcome = run_cli("train", "t.csv", "--out", "m", "--calibrate", "none")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "'99'" in outcome.message and "no label" in outcome.message, outcome
    assert not Path("m").exists()
    null = [{"id": str(i), "text": t, "label": lab} for i, (t, lab) in enumerate(TRAIN_ROWS)]
    _jsonl(Path("t.jsonl"), [*null, {"id": "x", "text": "음", "labels": []}])
    outcome = run_cli("train", "t.jsonl", "--out", "m", "--calibrate", "none")
    assert outcome.code == 2 and "'x'" in outcome.message, outcome
    lenient = run_cli("train", "t.jsonl", "--out", "m", "--calibrate", "none", "--lenient")
    assert lenient.code == 0 and "set aside 1 row" in lenient.message and "multi-class" in lenient.message, lenient
    multi = run_cli("train", "t.jsonl", "--out", "m", "--calibrate", "none", "--multi-label")
    assert multi.code == 0 and "multi-label" in multi.message, multi  # said explicitly, the empty row is fine


@pytest.mark.parametrize(
    "args",
    [
        ["-O", "C=" + "9" * 100_000],
        ["-O", "x" * 100_000 + "=1"],
        ["--objective", "y" * 100_000],
    ],
    ids=["long value", "long key", "long objective"],
)
def test_error_lines_are_capped(tmp_path: Path, train_file: Path, args: list[str]) -> None:
    outcome = run_cli("train", train_file, "--out", tmp_path / "m", "--calibrate", "none", *args)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2
    assert len(outcome.message) < 2000, f"a {len(outcome.message)}-character error line"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--grid", "1e-300"], "grid="),
        (["--cv", "100000"], "cv="),
        (["-O", "max_iter=1e300"], "max_iter"),
    ],
    ids=["grid", "cv", "max_iter"],
)
def test_numeric_options_are_bounded(tmp_path: Path, train_file: Path, args: list[str], fragment: str) -> None:
    outcome = run_cli("train", train_file, "--out", tmp_path / "m", *args)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and fragment in outcome.message, outcome
    assert len(outcome.message.splitlines()) == 1


def test_label_names_with_jsonl_is_refused_before_the_model_is_replaced(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(model_dir, "m")
    before = Path("m/config.json").read_bytes()
    _jsonl(Path("t.jsonl"), [{"id": str(i), "text": t, "label": str(i % 2)} for i, (t, _) in enumerate(TRAIN_ROWS)])
    Path("names.txt").write_text("pos\nneg\n", encoding="utf-8")
    outcome = run_cli("train", "t.jsonl", "--label-names", "names.txt", "--out", "m", "--calibrate", "none")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "--label-names" in outcome.message, outcome
    assert Path("m/config.json").read_bytes() == before


def test_an_id_key_in_a_probabilities_file_is_not_a_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _jsonl(Path("p.jsonl"), [{"id": 1, "pos": 0.9, "neg": 0.1}, {"id": 2, "pos": 0.2, "neg": 0.8}])
    Path("t.json").write_text(json.dumps({"pos": 0.5, "neg": 0.5}))
    _jsonl(Path("d.jsonl"), [{"id": "1", "text": "x"}, {"id": "2", "text": "y"}])
    outcome = run_cli("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", "d.jsonl", "--out", "o.jsonl")
    assert outcome.code == 0, outcome
    rows = [json.loads(line) for line in Path("o.jsonl").read_text().splitlines()]
    assert [r["labels"] for r in rows] == [["pos"], ["neg"]]
    assert "unit" in outcome.message, "the id values (1, 2) were read as probabilities in percent"


@pytest.mark.parametrize("kind", ["binary", "int", "list", "struct"])
def test_a_parquet_text_column_must_hold_strings(tmp_path: Path, kind: str) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = {
        "binary": pa.array(["좋아요".encode(), "별로".encode()], type=pa.binary()),
        "int": pa.array([1, 2]),
        "list": pa.array([["a"], ["b"]]),
        "struct": pa.array([{"x": "a"}, {"x": "b"}]),
    }[kind]
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "text": texts, "label": ["pos", "neg"]}), path)
    outcome = run_cli("convert", path, tmp_path / "o.jsonl")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "'text'" in outcome.message and "not strings" in outcome.message, outcome


def test_a_row_with_100000_labels_is_one_clean_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [{"id": str(i), "text": t, "label": lab} for i, (t, lab) in enumerate(TRAIN_ROWS)]
    _jsonl(Path("t.jsonl"), [*rows, {"id": "big", "text": "음", "labels": [f"l{i}" for i in range(100_000)]}])
    outcome = run_cli("train", "t.jsonl", "--out", "m", "--calibrate", "none")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "distinct labels" in outcome.message, outcome


def test_huge_ensemble_weights_mean_what_they_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _jsonl(Path("g.jsonl"), [{"id": str(i), "text": t, "labels": [lab]} for i, (t, lab) in enumerate(TRAIN_ROWS[:4])])
    for name, shift in (("p1.jsonl", 0.0), ("p2.jsonl", 0.1)):
        _jsonl(Path(name), [{"pos": 0.8 - shift, "neg": 0.2 + shift}] * 4)
    outcome = run_cli("ensemble", "--probs", "p1.jsonl", "--probs", "p2.jsonl", "--gold", "g.jsonl",
                      "--weights", "1.7e308,1.7e308", "--out", "e.json")  # fmt: skip
    assert outcome.code == 0, outcome
    assert json.loads(Path("e.json").read_text())["weights"] == [0.5, 0.5]
