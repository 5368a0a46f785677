"""The hostile sweep (bench/sweep.py) stays runnable and honest: its classifier is checked on programs that do each
wrong thing on purpose, and one case per category of the committed cases runs through the same runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import sweep  # noqa: E402
from sweep_cases import CASES, Case  # noqa: E402

MARKED_TEMP = (
    "import json, os, pathlib; d = pathlib.Path('.out.jsonl.99999.abcd.tmp'); d.mkdir(); "
    "(d / '.koclassify').write_text(json.dumps({'written_by': 'koclassify', 'pid': 99999}))"
)
MISBEHAVIOURS = [  # (python code, what the case expects, the class the runner must give)
    ("import pathlib; pathlib.Path('PWNED').write_text('ran')", "error", "code execution"),
    ("import pathlib; pathlib.Path('notes.txt').write_text('gone')", "either", "data loss"),
    ("import shutil; shutil.rmtree('keep')", "either", "data loss"),
    ("import pathlib; pathlib.Path('gold.jsonl').write_text('x')", "either", "data loss"),
    ("import time; time.sleep(60)", "error", "hang"),
    ("raise ValueError('boom')", "error", "traceback"),
    ("import os; os.kill(os.getpid(), 9)", "error", "traceback"),
    ("import sys; print('error: ' + 'x' * 5000, file=sys.stderr); sys.exit(2)", "error", "messy error"),
    (MARKED_TEMP, "either", "leftover"),
    ("pass", "error", "silent wrong"),
    ("import sys; print('error: d.jsonl: line 3: bad', file=sys.stderr); sys.exit(2)", "ok", "refused"),
    ("import sys; print('error: d.jsonl: line 3: bad', file=sys.stderr); sys.exit(2)", "error", "clean error"),
    ("import pathlib; pathlib.Path('out.jsonl').write_text('{}\\n' * 12)", "ok", "worked"),
    ("import pathlib; pathlib.Path('out.jsonl').write_text('{}\\n' * 11)", "ok", "silent wrong"),
]


@pytest.mark.parametrize(("code", "expect", "klass"), MISBEHAVIOURS, ids=[m[2] + ": " + m[0][:40]
                                                                          for m in MISBEHAVIOURS])  # fmt: skip
def test_the_runner_names_each_kind_of_failure(tmp_path: Path, code: str, expect: str, klass: str) -> None:
    case = Case("misbehaving", "self", (code,), expect, outputs=("out.jsonl",), checks=(("rows", "out.jsonl", 12),),
                models={}, timeout=3, program=(sys.executable, "-c"))  # fmt: skip
    result = sweep.run_case(case, {}, tmp_path)
    assert result.klass == klass, result
    assert list(tmp_path.iterdir()) == [], "the case directory is removed"


# one case of each category, among the quick ones (linear models, no Ray, no Hugging Face)
SAMPLE = [
    "train bad utf-8",
    "convert round trip keeps a label with the separator",
    "predict model thresholds linked to a file beside",
    "calibrate model backend a path",
    "-O max_iter=1e300",
    "predict --out inside the model directory",
    "convert --out a FIFO",
    "look-alike temp names survive predict",
]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return sweep.build_fixtures(tmp_path_factory.mktemp("sweep-fixtures"), {"linear"})


@pytest.mark.slow  # a fresh koclassify process per case (~2 s each)
@pytest.mark.parametrize("name", SAMPLE)
def test_a_sample_of_the_sweep_has_no_defect(fixtures: dict[str, Path], tmp_path: Path, name: str) -> None:
    (case,) = [c for c in CASES if c.name == name]
    result = sweep.run_case(case, fixtures, tmp_path)
    assert result.klass in ("clean error", "worked"), f"{result.klass}: {result.detail}"
    assert result.klass == ("worked" if case.expect == "ok" else "clean error"), result


def test_the_cases_are_many_distinct_and_cover_every_command() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names are unique (--case NAME picks one)"
    commands = {c.command_name for c in CASES}
    assert {"train", "calibrate", "predict", "evaluate", "merge", "convert", "split", "report", "ensemble",
            "export", "audit", "serve", "options"} <= commands  # fmt: skip
    assert {c.category for c in CASES} == {"data", "model", "hf", "option", "output"}
    assert all(c.expect in ("error", "ok", "either", "serves") for c in CASES)
