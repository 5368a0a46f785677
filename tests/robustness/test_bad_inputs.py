"""Every bad input in ``cases.CASES`` gives its clean error through the CLI: the exit code, a message naming the
problem, no traceback, and nothing it must not touch is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import CASES
from .conftest import run_cli


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("spec", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_gives_a_clean_error(spec: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       model_dir: Path, train_file: Path) -> None:  # fmt: skip
    _write(tmp_path, spec["files"])
    before = {name: (tmp_path / name).read_bytes() for name in spec.get("keep", [])}
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{model}", str(model_dir)).replace("{train}", str(train_file)) for a in spec["args"]]
    outcome = run_cli(*args)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == spec["code"], outcome.message
    assert spec["fragment"].lower() in " ".join(outcome.message.split()).lower(), outcome.message
    for name, content in before.items():
        assert (tmp_path / name).read_bytes() == content, f"{name} was changed or lost"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
