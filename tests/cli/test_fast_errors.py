"""A bad option, an unknown key or a missing file fails before any heavy library is imported (issue 21).

Timing an error on a shared machine proves little; what makes it slow is importing scikit-learn, SciPy, torch and
the like before the check. Each case runs the CLI in a fresh interpreter and prints, at exit (after the error
line), which heavy top-level packages are in ``sys.modules``: none may be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sklearn", "scipy", "kiwipiepy", "torch", "transformers", "ray", "fastapi", "uvicorn", "matplotlib",
         "pyarrow", "pandas")  # fmt: skip

PROBE = f"""
import atexit, json, sys
HEAVY = {HEAVY!r}
atexit.register(lambda: print("HEAVY=" + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set(HEAVY))),
                              file=sys.__stderr__))
sys.argv = ["koclassify", *sys.argv[1:]]
from koclassify.cli import main
main()
"""


def probe(*args: str | Path) -> tuple[int, str, list[str]]:
    """(exit code, output without the probe line, heavy modules loaded) of ``koclassify ARGS`` in a new process."""
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, timeout=120)
    lines = (result.stdout + result.stderr).splitlines()
    heavy = [json.loads(line.removeprefix("HEAVY=")) for line in lines if line.startswith("HEAVY=")]
    assert heavy, result.stdout + result.stderr
    return result.returncode, "\n".join(line for line in lines if not line.startswith("HEAVY=")), heavy[-1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from koclassify import Classifier

    path = tmp_path_factory.mktemp("fast") / "m"
    Classifier(min_df=1).fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(path)
    return path


def test_help_version_and_options_import_nothing_heavy() -> None:
    for args in (
        ["--help"],
        ["-h"],
        ["--version"],
        ["options"],
        ["options", "train"],
        ["train", "-h"],
        ["predict", "-h"],
    ):
        code, output, heavy = probe(*args)
        assert code == 0, (args, output)
        assert heavy == [], (args, heavy)


def test_bad_options_fail_before_heavy_imports(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "좋아요", "label": "긍정"}\n', encoding="utf-8")
    cases = [
        (["-O", "min_dff=3"], "did you mean 'min_df'?"),
        (["-O", "nb=2"], "nb"),
        (["--features", "tfidf,morf"], "morf"),
        (["--decision", "bogus"], "decision"),
        (["--backend", "encoder", "--model", "m", "-O", "max_lenght=64"], "max_length"),
        (["--backend", "lineer"], "did you mean 'linear'?"),
    ]
    for flags, message in cases:
        code, output, heavy = probe("train", data, "--out", tmp_path / "m", *flags)
        assert code == 2 and output.startswith("error: ") and message in output, (flags, output)
        assert heavy == [], (flags, heavy)
    code, output, heavy = probe("train", data, "--out", tmp_path / "m", "--config", tmp_path / "typo.json")
    assert code == 2 and "cannot read config" in output and heavy == [], (output, heavy)


def test_missing_files_fail_before_heavy_imports(tmp_path: Path, model_dir: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    cases = [
        ["train", missing, "--out", tmp_path / "m"],
        ["train", model_dir / "config.json", "--dev", missing, "--out", tmp_path / "m"],
        ["predict", model_dir, missing, "--out", tmp_path / "p.jsonl"],
        ["evaluate", model_dir, missing],
        ["report", model_dir, missing, "--out", tmp_path / "r"],
        ["calibrate", model_dir, missing],
        ["split", missing, "--out", tmp_path / "s"],
        ["convert", missing, tmp_path / "c.jsonl"],
        ["serve", tmp_path / "no-model"],
        ["predict", tmp_path / "no-model", missing, "--out", tmp_path / "p.jsonl"],
    ]
    for args in cases:
        code, output, heavy = probe(*args)
        assert code == 2 and output.startswith("error: "), (args, output)
        assert "missing" in output or "no-model" in output, (args, output)
        assert heavy == [], (args, heavy)
