"""``kill -9`` and SIGTERM part-way through predict and train: the previous output stays whole, a reader never
finds the model path missing, and the next run removes what the killed one left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.io import old_path

from .conftest import run_cli

pytestmark = pytest.mark.slow  # each starts `koclassify` in a subprocess (seconds of imports on a shared box)

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _die_inside(code: str, cwd: Path) -> None:
    """Run ``code`` in a child that SIGKILLs itself where the code says ``die()``."""
    script = "import os, signal\ndef die():\n    os.kill(os.getpid(), signal.SIGKILL)\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=ENV, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"정말 좋아요 {i}"}) + "\n" for i in range(50)))
    return data


def test_predict_killed_while_writing(model_dir: Path, rows: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    _die_inside("""
        from koclassify.io import atomic_open
        with atomic_open("out.jsonl") as fh:
            fh.write("half a row")
            fh.flush()
            die()
    """, tmp_path)  # fmt: skip
    assert out.read_text() == "old\n", "the previous output was damaged"
    assert len(_leftovers(tmp_path)) == 1, "the kill left its temp file (what the next run must clean)"
    done = run_cli("predict", model_dir, rows, "--out", out)  # the next run, in-process
    assert done.code == 0, done
    assert len(out.read_text().splitlines()) == 50
    assert _leftovers(tmp_path) == [], "the next run removed the killed writer's temp file"


def test_predict_sigterm_cleans_up_at_once(model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "big.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"정말 좋아요 최고 {i}"}) + "\n" for i in range(20000)))
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    command = [sys.executable, "-m", "koclassify", "predict", str(model_dir), str(data), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)  # loading and predicting; the signal lands somewhere inside the run
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert out.read_text() == "old\n" or len(out.read_text().splitlines()) == 20000, "a half-written output"
    assert _leftovers(tmp_path) == [], "SIGTERM left temp files"


def test_train_killed_inside_the_save_and_between_the_renames(model_dir: Path, tmp_path: Path, train_file) -> None:
    out = tmp_path / "model"
    import shutil

    shutil.copytree(model_dir, out)
    # 1. killed while writing the new directory: the old model is untouched
    _die_inside("""
        from koclassify.io import atomic_directory
        with atomic_directory("model") as tmp:
            (tmp / "config.json").write_text("{")
            die()
    """, tmp_path)  # fmt: skip
    assert len(_leftovers(tmp_path)) == 1
    assert Classifier.load(out).predict(["정말 좋아요"]) == ["pos"]
    # 2. killed between the two renames: the path is missing, readers fall back to the parked old version
    _die_inside("""
        import os
        from koclassify.io import atomic_directory, old_path
        real = os.replace
        def replace(src, dst):
            real(src, dst)
            if str(dst).endswith("/previous"):  # the old version was just parked
                die()
        os.replace = replace
        with atomic_directory("model") as tmp:
            (tmp / "config.json").write_text("{")
    """, tmp_path)  # fmt: skip
    assert not out.exists() and old_path(out).is_dir() and old_path(out).name == "previous"
    assert Classifier.load(out).predict(["정말 좋아요"]) == ["pos"], "no moment without a loadable model"
    # 3. the next train restores, cleans and replaces
    done = run_cli("train", train_file, "--out", out, "--calibrate", "none")
    assert done.code == 0, done
    assert _leftovers(tmp_path) == []
    assert Classifier.load(out).predict(["정말 좋아요"]) == ["pos"]


def test_train_killed_at_any_moment(model_dir: Path, tmp_path: Path, train_file) -> None:
    """A real ``kill -9`` of ``koclassify train`` as soon as its temp directory appears (or when it ends)."""
    import shutil

    out = tmp_path / "model"
    shutil.copytree(model_dir, out)
    proc = subprocess.Popen([sys.executable, "-m", "koclassify", "train", str(train_file), "--out", str(out),
                             "--calibrate", "none"], cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and not _leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    proc.wait(timeout=30)
    assert Classifier.load(out).predict(["정말 좋아요"]) == ["pos"]
    done = run_cli("train", train_file, "--out", out, "--calibrate", "none")
    assert done.code == 0, done
    assert _leftovers(tmp_path) == []
