"""The CLI talks as it works (issue 21): stage lines on a pipe, --quiet, one `warning:` line per warning, serve's
loading line and its exit on SIGTERM, `options ensemble`, and train's wording about what the dev scores mean."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from koclassify.samples import sample_path

STAGE = re.compile(r"^\[\s*\d+\.\d+s\] ")


def koclassify(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real entry point with stdout and stderr as pipes (as in `train ... > log 2>&1`)."""
    return subprocess.run([sys.executable, "-m", "koclassify", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)  # fmt: skip


def small_nikl(tmp_path: Path, rows: int = 40, *, spoil_first: bool = False) -> Path:
    lines = sample_path("nikl_train.jsonl").read_text(encoding="utf-8").splitlines()[:rows]
    records = [json.loads(line) for line in lines]
    if spoil_first:  # a target span that does not hold its form: --lenient repairs it (and warns)
        records[0]["input"]["target"].update(begin=0, end=1)
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def multi_class_csv(tmp_path: Path) -> Path:
    path = tmp_path / "mc.csv"
    rows = ["text,label"] + [f"좋아요 최고 {i},긍정" for i in range(10)] + [f"싫어요 최악 {i},부정" for i in range(10)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def stage_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if STAGE.match(line)]


def test_a_pipe_gets_one_stamped_line_per_stage_and_one_line_per_warning(tmp_path: Path) -> None:
    data = small_nikl(tmp_path, spoil_first=True)
    done = koclassify("train", data, "--out", tmp_path / "m", "--calibrate", "none", "--lenient")
    assert done.returncode == 0, done.stderr
    stages = stage_lines(done.stderr)
    texts = [STAGE.sub("", line) for line in stages]
    assert texts[0] == "loading the linear backend ..." and texts[1].startswith("loading the linear backend: done")
    assert texts[2] == f"reading {data} ..." and texts[3].startswith(f"reading {data}: done in ")
    assert texts[4] == "training linear on 40 rows ..." and texts[5].startswith("training linear on 40 rows: done")
    assert texts[6].startswith("saving to ") and texts[7].startswith("saving to ") and len(texts) == 8
    stamps = [float(STAGE.match(line).group(0).strip("[] s")) for line in stages]  # type: ignore[union-attr]
    assert stamps == sorted(stamps)  # the stamps count up from the start: their order, not a speed
    assert "\x1b[" not in done.stderr and "⠋" not in done.stderr  # no spinner or colour codes in a log file
    assert "saved" in done.stderr
    warned = [line for line in done.stderr.splitlines() if "repaired" in line]
    assert warned == [f"warning: {data}: --lenient repaired or kept 1 imperfect row(s) (target offsets, empty texts)"]
    assert "UserWarning" not in done.stderr and ".py:" not in done.stderr and "warnings.warn" not in done.stderr


def test_quiet_keeps_warnings_and_errors_only(tmp_path: Path) -> None:
    data = small_nikl(tmp_path, spoil_first=True)
    quiet = koclassify("--quiet", "train", data, "--out", tmp_path / "q", "--calibrate", "none", "--lenient")
    assert quiet.returncode == 0 and (tmp_path / "q" / "config.json").is_file(), quiet.stderr
    assert quiet.stdout == "" and quiet.stderr.startswith("warning: ") and quiet.stderr.count("\n") == 1
    both = koclassify("-q", "-v", "train", data, "--out", tmp_path / "b")
    assert both.returncode == 2 and "choose one of --quiet and --verbose" in both.stderr
    bad = koclassify("-q", "train", tmp_path / "missing.jsonl", "--out", tmp_path / "x")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")  # errors are never silenced


def test_quiet_and_verbose_count_anywhere_on_the_line(tmp_path: Path) -> None:
    """``koclassify train ... --quiet`` is ``koclassify --quiet train ...`` (only ``--`` ends where they count)."""
    from koclassify.cli.app import hoist_global_flags

    data = small_nikl(tmp_path)
    late = koclassify("train", data, "--out", tmp_path / "q", "--calibrate", "none", "--quiet")
    assert late.returncode == 0 and late.stdout == "" and late.stderr == "", late.stderr
    both = koclassify("train", data, "-v", "--out", tmp_path / "b", "-q")
    assert both.returncode == 2 and "choose one of --quiet and --verbose" in both.stderr
    assert hoist_global_flags(["predict", "m", "-q", "--", "-v"]) == ["-q", "predict", "m", "--", "-v"]


def test_argmax_models_are_not_said_to_be_calibrated(tmp_path: Path) -> None:
    done = koclassify("train", multi_class_csv(tmp_path), "--out", tmp_path / "m")
    assert done.returncode == 0, done.stderr
    assert "training linear on 20 rows ..." in done.stderr and "calibrating" not in done.stderr


def test_dev_scores_say_they_are_on_tuning_and_training_rows(tmp_path: Path) -> None:
    data = small_nikl(tmp_path, spoil_first=True)
    done = koclassify("--verbose", "train", data, "--dev", data, "--out", tmp_path / "m", "--lenient")
    assert done.returncode == 0, done.stderr
    assert "(UserWarning at " in done.stderr  # --verbose says where a warning comes from
    title = next(line for line in done.stdout.splitlines() if line.startswith("dev: "))
    assert "thresholds tuned on these rows" in title and "100% of them are training rows" in title


def test_evaluate_shows_its_stages_and_keeps_stdout_for_json(tmp_path: Path) -> None:
    from koclassify import Classifier

    data = multi_class_csv(tmp_path)
    model = Classifier(min_df=1).fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(tmp_path / "m")
    done = koclassify("evaluate", model, data, "--json")
    assert done.returncode == 0, done.stderr
    texts = [STAGE.sub("", line) for line in stage_lines(done.stderr)]
    assert [t.split(":")[0].removesuffix(" ...") for t in texts] == [
        f"loading {model}", f"loading {model}", f"reading {data}", f"reading {data}", "scoring 20 rows",
        "scoring 20 rows"]  # fmt: skip
    assert json.loads(done.stdout)["accuracy"] == 1.0


def test_options_ensemble_is_refused_in_one_line() -> None:
    done = koclassify("options", "ensemble")
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "koclassify ensemble MODEL_A MODEL_B" in done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_says_loading_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    from koclassify import Classifier

    model = Classifier(min_df=1).fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(tmp_path / "m")
    log = tmp_path / "serve.log"
    args = [sys.executable, "-m", "koclassify", "serve", str(model), "--host", "127.0.0.1", "--port",
            str(_free_port())]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Uvicorn running" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        assert text.index(f"loading {model} ...") < text.index("koclassify: serving") < text.index("Uvicorn running")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)  # uvicorn's own default waits for every open connection; ours gives them 1 s
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
