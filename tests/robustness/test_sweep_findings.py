"""Defects the hostile sweep (bench/sweep.py) found, each reproduced here before its fix: a traceback, a hang or an
exit 0 where one clean line (exit 2) was due."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

GOLD = "".join(json.dumps({"id": f"g{i}", "text": t, "label": lab}, ensure_ascii=False) + "\n"
               for i, (t, lab) in enumerate([("정말 좋아요", "pos"), ("최악이에요", "neg")] * 6))  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "gold.jsonl").write_text(GOLD, encoding="utf-8")
    (tmp_path / "train.csv").write_text("id,label,text\n1,pos,좋아\n2,neg,싫어\n" * 1, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


SEEDS = {
    "-O seed=2**80": ("-O", f"seed={2**80}"),
    "--seed 2**70": ("--seed", str(2**70)),
    "--seed -1": ("--seed", "-1"),
}


@pytest.mark.parametrize("flags", SEEDS.values(), ids=list(SEEDS))
def test_a_seed_out_of_the_solvers_range_is_one_line_before_training(workdir: Path, flags: tuple[str, ...]) -> None:
    """Before: scikit-learn's InvalidParameterError traceback after loading Kiwi and building the features."""
    outcome = run_cli("train", "gold.jsonl", "--out", "new", "--calibrate", "none", *flags)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "seed" in outcome.message, outcome
    assert not (workdir / "new").exists()


def test_an_empty_label_separator_is_refused(workdir: Path) -> None:
    """Before: ``ValueError: empty separator`` traceback from the table reader."""
    outcome = run_cli("train", "train.csv", "--out", "new", "--calibrate", "none", "--label-sep", "")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "label_sep" in outcome.message.replace("-", "_"), outcome


def test_an_empty_field_separator_is_refused(workdir: Path) -> None:
    """Before: exit 0 without --group-by (the value was never looked at), a bare 'empty separator' with it."""
    outcome = run_cli("split", "gold.jsonl", "--out", "parts", "--field-sep", "")
    assert outcome.code == 2 and "--field-sep" in outcome.message, outcome
    assert not (workdir / "parts").exists()


@pytest.mark.parametrize("gpus", ["nan", "inf", "-1"])
def test_ray_gpus_per_worker_must_be_a_finite_number(workdir: Path, model_dir: Path, gpus: str) -> None:
    """Before: ``ValueError: cannot convert float NaN to integer`` from Ray (after starting it)."""
    outcome = run_cli("predict", model_dir, "gold.jsonl", "--engine", "ray", "--gpus-per-worker", gpus, "--out", "rd")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "--gpus-per-worker" in outcome.message, outcome
    assert not (workdir / "rd").exists()


def _serve(model_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "koclassify", "serve", str(model_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200"})  # fmt: skip


@pytest.mark.slow  # a fresh koclassify process each (fastapi imported, the model loaded)
def test_serve_refuses_an_address_it_cannot_listen_on_in_one_line(model_dir: Path) -> None:
    """Before: ``--port 70000`` hung (uvicorn never bound, never exited); ``--port -1`` and a host that does not
    resolve exited 3 after uvicorn's log lines."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = str(busy.getsockname()[1])
        for args in (("--port", "70000"), ("--port", "-1"), ("--host", "no such host.invalid"), ("--port", taken)):
            done = _serve(model_dir, *args)
            assert done.returncode == 2, (args, done.returncode, done.stderr[-1500:])
            assert "Traceback" not in done.stderr, done.stderr
            assert "--port" in done.stderr or "--host" in done.stderr, done.stderr


def test_an_output_inside_an_input_directory_is_refused(workdir: Path, model_dir: Path) -> None:
    """Before: ``predict m d --out m/preds.jsonl`` wrote into the model directory, exit 0, and the model no longer
    loaded (a file its manifest does not list)."""
    import shutil

    shutil.copytree(model_dir, workdir / "m")
    outcome = run_cli("predict", "m", "gold.jsonl", "--out", "m/preds.jsonl")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "inside the input directory" in outcome.message, outcome
    assert not (workdir / "m" / "preds.jsonl").exists()
    assert run_cli("evaluate", "m", "gold.jsonl").code == 0


def test_an_output_that_is_a_fifo_or_a_device_is_never_replaced(workdir: Path) -> None:
    """Before: ``convert d fifo.jsonl`` renamed a regular file over the person's FIFO (gone, exit 0); as root the
    same rename would replace a device node such as ``/dev/null``."""
    os.mkfifo(workdir / "fifo.jsonl")
    outcome = run_cli("convert", "gold.jsonl", "fifo.jsonl")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "not a regular file" in outcome.message, outcome
    assert (workdir / "fifo.jsonl").is_fifo()


def test_split_of_a_parquet_file_says_so(workdir: Path) -> None:
    """Before: ``split d.parquet`` re-read the Parquet bytes as text lines and failed with 'not UTF-8 (byte 0xe4)',
    advising iconv."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [json.loads(line) for line in GOLD.splitlines()]
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in ("id", "text", "label")}), workdir / "d.parquet")
    outcome = run_cli("split", "d.parquet", "--out", "parts", "--dev", "0.5")
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and "Parquet" in outcome.message and "convert" in outcome.message, outcome
    assert "UTF-8" not in outcome.message
    assert not (workdir / "parts").exists()


@pytest.mark.parametrize("value", [-1, 0])
def test_a_stored_max_labels_below_one_is_a_model_error(tmp_path: Path, model_dir: Path, value: int) -> None:
    """Before: a config whose ``decision.max_labels`` was -1 loaded and predicted (exit 0) when its rule was not
    ``max_labels``; every field's value is checked at load."""
    import shutil

    from koclassify import Classifier
    from koclassify.errors import ModelError
    from koclassify.manifest import write_manifest

    model = tmp_path / "m"
    shutil.copytree(model_dir, model)
    config = json.loads((model / "config.json").read_text())
    config["decision"]["max_labels"] = value
    (model / "config.json").write_text(json.dumps(config))
    write_manifest(model)  # as someone who edits the files can: the value check must hold on its own
    with pytest.raises(ModelError, match="max_labels"):
        Classifier.load(model)


@pytest.mark.parametrize("value", [99, "2", None])
def test_a_config_of_another_format_version_is_a_model_error(tmp_path: Path, model_dir: Path, value: object) -> None:
    """Before: ``config.json`` saying ``format_version: 99`` (a newer koclassify's layout) loaded and predicted; only
    the manifest's own version was compared."""
    import shutil

    from koclassify import Classifier
    from koclassify.errors import ModelError
    from koclassify.manifest import write_manifest

    model = tmp_path / "m"
    shutil.copytree(model_dir, model)
    config = json.loads((model / "config.json").read_text())
    config["format_version"] = value
    (model / "config.json").write_text(json.dumps(config))
    write_manifest(model)
    with pytest.raises(ModelError, match="format_version"):
        Classifier.load(model)


LONG_NAME = "n" * 300
UNWRITABLE = {"under a file": "notes.txt/out", "in /proc": "/proc/koclassify-test-out",
              "a 300-character name": LONG_NAME}  # fmt: skip
WRITERS = {
    "predict": ("predict", "m", "gold.jsonl", "--out", "{out}.jsonl"),
    "convert": ("convert", "gold.jsonl", "{out}.jsonl"),
    "split": ("split", "gold.jsonl", "--out", "{out}", "--dev", "0.5"),
    "report": ("report", "m", "gold.jsonl", "--out", "{out}"),
    "train": ("train", "gold.jsonl", "--out", "{out}", "--calibrate", "none"),
}


@pytest.mark.parametrize("command", WRITERS.values(), ids=list(WRITERS))
@pytest.mark.parametrize("out", UNWRITABLE.values(), ids=list(UNWRITABLE))
def test_an_output_path_that_cannot_be_made_is_one_line(workdir: Path, model_dir: Path, command: tuple[str, ...],
                                                        out: str) -> None:  # fmt: skip
    """Before: FileExistsError (a file where a parent directory is needed), FileNotFoundError (a temp directory in
    /proc) and OSError ENAMETOOLONG (from a ``stat`` before the write) tracebacks."""
    import shutil

    shutil.copytree(model_dir, workdir / "m")
    (workdir / "notes.txt").write_text("mine\n")
    outcome = run_cli(*[a.replace("{out}", out) for a in command])
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and len(outcome.message.strip().splitlines()) == 1, outcome
    assert (workdir / "notes.txt").read_text() == "mine\n"
