"""Helpers for the data tests: every test writes its own small files in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EMOTIONS = ["joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"]


def nikl_record(row_id: str, form: str, target: Any, true: tuple[str, ...] | None) -> dict[str, Any]:
    """One NIKL object; ``target`` is (form, begin, end), None for no target key value, or "null" for all-null."""
    if target == "null":
        target = {"form": None, "begin": None, "end": None}
    elif target is not None:
        target = dict(zip(("form", "begin", "end"), target, strict=True))
    output: Any = "" if true is None else {e: str(e in true) for e in EMOTIONS}
    return {"id": row_id, "input": {"form": form, "target": target}, "output": output}


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, text | list of JSON objects | bytes) -> path under tmp_path."""

    def _write(name: str, content: str | bytes | list[dict[str, Any]]) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, list):
            path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in content), encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def nikl() -> Callable[..., dict[str, Any]]:
    """The :func:`nikl_record` builder, as a fixture so test modules need no import path tricks."""
    return nikl_record
