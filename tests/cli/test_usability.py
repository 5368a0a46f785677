"""The CLI as people use it: output to pipes, JSON on stdout, usage lines, help texts, versions, hints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from koclassify import __version__
from koclassify.samples import sample_path


def koclassify(*args: object) -> subprocess.CompletedProcess:
    """The real console entry (a subprocess: stdout and stderr are pipes, as in `... > file` or `| jq`)."""
    return subprocess.run([sys.executable, "-m", "koclassify", *map(str, args)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_version_usage_and_whole_command_descriptions() -> None:
    assert koclassify("--version").stdout.strip() == f"koclassify {__version__}"
    usage = koclassify("predict", "--help").stdout
    assert (
        "Usage: python -m koclassify predict [OPTIONS] MODEL_DIR [DATA]" in usage and "{" not in usage.splitlines()[0]
    )
    listing = koclassify("--help").stdout
    flat = " ".join(listing.split())  # first paragraphs are not cut at 45 characters
    assert "Train a classifier, tune its thresholds, and save it as a model directory." in flat


def test_pipes_get_unwrapped_one_line_errors_and_extras_keep_brackets(tmp_path: Path) -> None:
    long_key = "x" * 90
    done = koclassify("train", tmp_path / "missing.jsonl", "--out", tmp_path / "m", "-O", f"{long_key}=1")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and long_key in done.stderr
    from koclassify.errors import MissingDependencyError

    assert "pip install 'koclassify[serve]'" in str(MissingDependencyError("fastapi", "serve"))
    script = (
        "import sys; from koclassify.cli import main; from koclassify.errors import MissingDependencyError\n"
        "import koclassify.cli.core as core\n"
        "def boom(*a, **k): raise MissingDependencyError('fastapi', 'serve')\n"
        "core.Classifier = None\n"
        "from koclassify.model.classifier import Classifier; Classifier.load = classmethod(lambda *a, **k: boom())\n"
        "sys.argv = ['koclassify', 'evaluate', 'm', 'd.jsonl']; main()\n"
    )
    (tmp_path / "d.jsonl").write_text('{"text": "좋아요", "label": "긍정"}\n', encoding="utf-8")  # checked first
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and "pip install 'koclassify[serve]'" in done.stderr, done.stderr


def test_missing_model_directory_says_so(tmp_path: Path) -> None:
    done = koclassify("evaluate", tmp_path / "nope", sample_path("nikl_dev.jsonl"))
    assert done.returncode == 2 and "does not exist" in done.stderr


@pytest.mark.slow
def test_evaluate_json_stdout_is_only_json(tmp_path: Path) -> None:
    model = tmp_path / "m"
    train = koclassify("train", sample_path("nikl_train.jsonl"), "--out", model, "--calibrate", "none")
    assert train.returncode == 0, train.stderr
    assert "✓" not in koclassify("predict", model, tmp_path / "missing.jsonl", "--out", tmp_path / "o.jsonl").stderr
    done = koclassify("evaluate", model, sample_path("nikl_dev.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)  # the whole of stdout
    assert {"micro_f1", "accuracy"} <= set(metrics) and "micro-F1" in done.stderr
