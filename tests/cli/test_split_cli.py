"""`koclassify split` writes group-safe parts in the input's own layout; `train --prior/--text-fields/--multi-value`
remembers its metadata choices so predict and evaluate apply them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app

runner = CliRunner()
HEADER = ["song_id", "song_name", "artist", "album", "release_date", "genre", "lyrics"]
STYLE = {
    "발라드": "이별 눈물 그리움 사랑 추억",
    "댄스": "춤 파티 비트 무대 흔들어",
    "랩/힙합": "마이크 라임 플로우 스웩 랩",
}


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def write_songs(path: Path, n: int = 60) -> Path:
    """Lyrics CSV with the real data's quirks: quoted multi-line lyrics, bracketed groups, mixed dates, `-`."""
    artists = ["아이유", "S (강타, 신혜성, 이지훈)", "빅토", "빅토, 제이린", "제이린", "엑스플로어"]
    dates = ["2012.02.10", "20120210", "2008-12", "2009", "2015.3.1"]
    genres = list(STYLE)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(n):
            artist = artists[i % len(artists)]
            genre = genres[i % 3] if i % 10 else f"{genres[i % 3]}, {genres[(i + 1) % 3]}"
            if i == 7:
                genre = "-"
            lyrics = f"{STYLE[genres[i % 3]]}\n노래 {i}\n{STYLE[genres[i % 3]].split()[i % 5]}"
            writer.writerow([1000 + i, f"곡 {i}", artist, f"앨범 {i % 4}", dates[i % 5], genre, lyrics])
    return path


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_split_writes_every_row_once_in_the_original_layout(tmp_path: Path) -> None:
    data = write_songs(tmp_path / "songs.csv")
    out = tmp_path / "parts"
    result = invoke("split", data, "--out", out, "--dev", 0.2, "--test", 0.2, "--group-by", "artist", "--stratify")
    assert result.exit_code == 0, result.output
    original = read_rows(data)
    parts = {
        name: read_rows(out / f"{name}.csv") for name in ("train", "dev", "test") if (out / f"{name}.csv").exists()
    }
    assert all(rows[0] == HEADER for rows in parts.values())
    together = sorted(row for rows in parts.values() for row in rows[1:])
    assert together == sorted(original[1:]), "same rows, cells untouched (multi-line lyrics included)"
    artists = {name: {r[2] for r in rows[1:]} for name, rows in parts.items()}
    # 빅토 / "빅토, 제이린" / 제이린 form one group; every artist string is on one side only
    names = list(artists)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not artists[a] & artists[b]
    summary = json.loads((out / "split.json").read_text())
    assert sum(p["rows"] for p in summary["parts"].values()) == 60
    assert summary["group_by"] == ["artist"] and summary["stratify"] is True


def test_split_refuses_to_overwrite(tmp_path: Path) -> None:
    data = write_songs(tmp_path / "train.csv")
    result = runner.invoke(app, ["split", str(data), "--out", str(tmp_path), "--overwrite"])
    assert result.exit_code != 0 and "is the input file" in str(result.exception)
    out = tmp_path / "parts"
    assert invoke("split", data, "--out", out).exit_code == 0
    again = runner.invoke(app, ["split", str(data), "--out", str(out)])
    assert again.exit_code != 0 and "--overwrite" in str(again.exception)
    assert invoke("split", data, "--out", out, "--overwrite").exit_code == 0


def test_split_rejects_an_unknown_group_field(tmp_path: Path) -> None:
    data = write_songs(tmp_path / "songs.csv")
    result = runner.invoke(app, ["split", str(data), "--out", str(tmp_path / "p"), "--group-by", "singer"])
    assert result.exit_code != 0 and "no column 'singer'" in str(result.exception)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("metadata")
    data = write_songs(tmp / "songs.csv", n=90)
    assert invoke("split", data, "--out", tmp, "--dev", 0.3, "--stratify").exit_code == 0
    model = tmp / "model"
    result = invoke(
        "train", tmp / "train.csv", "--dev", tmp / "dev.csv", "--out", model, "--features", "char",
        "--prior", "artist", "--prior-mode", "multiplier", "--text-fields", "artist,release_date:year",
        "--multi-value", "split",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    no_genre = sum(1 for row in read_rows(tmp / "train.csv")[1:] if row[5] == "-")
    assert "training data: split multi-valued labels" in said
    assert (f"removed {no_genre} (no label" in said) if no_genre else ("removed" not in said.split("dev data")[0])
    return model, tmp / "dev.csv"


def test_train_remembers_metadata_options(trained: tuple[Path, Path]) -> None:
    model, _ = trained
    config = json.loads((model / "config.json").read_text())
    assert config["metadata"] == {
        "text_fields": {"artist": "가수", "release_date:year": "발매일"},
        "fields_in_prompt": False,
        "multi_value": "split",
    }
    assert config["labels"]["multi_label"] is False
    prior = json.loads((model / "prior.json").read_text())
    assert prior["field"] == "artist" and prior["mode"] == "multiplier"
    assert "S (강타, 신혜성, 이지훈)" in prior["totals"], "a bracketed group stays one artist"


def test_predict_applies_prior_and_text_fields_from_the_model(trained: tuple[Path, Path], tmp_path: Path) -> None:
    from koclassify import Classifier
    from koclassify.data.read import read_examples

    model, dev = trained
    out = tmp_path / "pred.jsonl"
    assert invoke("predict", model, dev, "--probs", "--out", out).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    clf = Classifier.load(model)
    examples = read_examples(dev, need_labels=False).examples
    with_prior = clf.predict_proba(examples)
    assert clf.backend_view(examples)[0].text.startswith("[가수] ")
    assert "[발매일] 20" in clf.backend_view(examples)[0].text, "mixed date formats reduced to the year"
    np.testing.assert_allclose([list(r["probs"].values()) for r in rows], with_prior, rtol=1e-9)
    assert not np.allclose(clf.predict_proba(examples, use_prior=False), with_prior), "the prior changed them"


def test_split_reports_bad_fractions_without_a_traceback(tmp_path: Path) -> None:
    from koclassify.errors import KoclassifyError

    data = write_songs(tmp_path / "songs.csv")
    result = runner.invoke(app, ["split", str(data), "--out", str(tmp_path / "p"), "--dev", "0.7", "--test", "0.5"])
    assert isinstance(result.exception, KoclassifyError) and "fractions" in str(result.exception)
    assert not (tmp_path / "p").exists(), "nothing written"
