"""Unix habits: '-' for standard input / output, `predict --text`, `--top-k`, and bench's --data / KOCLASSIFY_DATA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.samples import sample_path

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def koclassify(*args: object, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The real command in a fresh process (stdin piped, stdout and stderr captured apart)."""
    return subprocess.run([sys.executable, "-m", "koclassify", *map(str, args)], input=stdin, capture_output=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})  # fmt: skip


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pipes") / "model"
    result = runner.invoke(app, ["train", str(sample_path("nikl_train.jsonl")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_stdin_to_stdout_gives_the_submission(model: Path) -> None:
    data = sample_path("nikl_test.jsonl").read_bytes()
    proc = koclassify("predict", model, "-", "--out", "-", stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    src = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    assert [r["id"] for r in rows] == [s["id"] for s in src], "every input id, in order, nothing else on stdout"
    assert all("output" in r for r in rows)
    assert "wrote <stdout>: 60 rows" in proc.stderr.decode()


def test_bad_stdin_is_one_clean_line(model: Path) -> None:
    proc = koclassify("predict", model, "-", "--out", "-", stdin="그냥 문장 하나\n".encode())
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "error: <stdin>: cannot tell the format" in err and "Traceback" not in err
    assert proc.stdout == b"", "a failed run prints no half output"


def test_text_prints_labels_and_probabilities(model: Path) -> None:
    result = runner.invoke(
        app, ["predict", str(model), "--text", "정말 기뻐요", "--text", "너무 무서워요", "--top-k", "3"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    heads = [i for i, line in enumerate(lines) if not line.startswith("  ")]
    assert [lines[i].split("\t")[0] for i in heads] == ["정말 기뻐요", "너무 무서워요"]
    probs = [float(line.split("\t")[1].split()[0]) for line in lines[1:4]]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True)
    chosen = lines[0].split("\t")[1].split(", ")
    assert all(line.endswith(" *") for line in lines[1:4] if line.split("\t")[0].strip() in chosen)


def test_top_k_in_jsonl_rows_from_stdin(model: Path) -> None:
    text = "\n".join(json.dumps({"id": str(i), "text": t}) for i, t in enumerate(["기뻐요", "슬퍼요"]))
    result = runner.invoke(app, ["predict", str(model), "-", "--out", "-", "--top-k", "2"], input=text + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in rows] == ["0", "1"]
    for r in rows:
        best = sorted(r["probs"].items(), key=lambda kv: -kv[1])[:2]
        assert [tuple(pair) for pair in r["top_k"]] == best


def test_top_k_refused_where_it_has_no_place(model: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["predict", str(model), str(sample_path("nikl_test.jsonl")), "--out",
                                 str(tmp_path / "p.csv"), "--top-k", "2"])  # fmt: skip
    assert result.exit_code != 0 and "--top-k" in str(result.exception or result.output)
    assert not (tmp_path / "p.csv").exists()


def test_convert_and_evaluate_read_stdin(model: Path) -> None:
    data = sample_path("nikl_dev.jsonl").read_text(encoding="utf-8")
    converted = runner.invoke(app, ["convert", "-", "-", "--to", "jsonl"], input=data)
    assert converted.exit_code == 0, converted.output
    rows = [json.loads(line) for line in converted.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 80 and all("labels" in r for r in rows)
    evaluated = runner.invoke(app, ["evaluate", str(model), "-", "--json"], input=data)
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert metrics["samples"] == 80


@pytest.mark.parametrize("how", ["flag", "env"])
def test_bench_data_folder_missing_is_one_clean_line(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "no-such-folder"
    args = [sys.executable, str(ROOT / "bench" / "calibration.py")]
    env = {**os.environ}
    if how == "flag":
        args += ["--data", str(missing)]
    else:
        env["KOCLASSIFY_DATA"] = str(missing)
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: data folder {missing} ({'--data' if how == 'flag' else '$KOCLASSIFY_DATA'}) does not exist; "
        "pass --data DIR or set KOCLASSIFY_DATA"
    ]
