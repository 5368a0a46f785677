"""Classifier asks a backend what it can do (capability flags on the class), never what it is called (issue 21).

A backend registered under any name gets the same treatment as a built-in one with the same flags."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import _REGISTRY, Backend, get_backend_class, register_backend

SRC = Path(__file__).resolve().parents[2] / "src" / "koclassify"


class Rates(Backend):
    """The training label frequencies for every row, with a ``template`` option like a prompt-based backend."""

    name = "rates_cap_test"

    def fit(self, examples, y, labels, dev=None):  # type: ignore[no-untyped-def]
        self.labels, self.rates = labels, np.asarray(y, dtype=np.float64).mean(axis=0)
        return self

    def predict_proba(self, examples):  # type: ignore[no-untyped-def]
        return np.tile(self.rates, (len(examples), 1))

    def save(self, directory: Path) -> None:
        raise NotImplementedError("not saved in these tests")

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: Any) -> Backend:
        raise NotImplementedError("not loaded in these tests")


class CheapPrompted(Rates):
    name = "cheap_prompted_test"
    supports_cv_calibration = True
    prompt_fields = True


TEXTS = [f"문장 {i}" for i in range(20)]
LABELS = [("a",) if i % 2 else ("a", "b") for i in range(20)]


@pytest.fixture(autouse=True)
def registered() -> Any:
    register_backend(Rates.name, Rates)
    register_backend(CheapPrompted.name, CheapPrompted)
    yield
    for name in (Rates.name, CheapPrompted.name):
        _REGISTRY.pop(name, None)


def test_auto_calibration_cross_validates_only_a_backend_that_says_it_is_cheap() -> None:
    slow = Classifier(Rates.name).fit(TEXTS, LABELS, calibrate="auto")
    assert slow.calibration_ == {} and "thresholds stay at 0.5" in slow.notes_[0]
    cheap = Classifier(CheapPrompted.name).fit(TEXTS, LABELS, calibrate="auto")
    assert cheap.calibration_["source"] == "cv5" and not cheap.notes_


def test_text_fields_go_into_the_prompt_of_a_backend_that_takes_them() -> None:
    plain = Classifier(Rates.name, text_fields=["artist"])
    assert not plain.fields_in_prompt and "template" not in plain.backend.options
    prompted = Classifier(CheapPrompted.name, text_fields=["artist"])
    assert prompted.fields_in_prompt and "{artist}" in prompted.backend.options["template"]


def test_the_built_in_backends_declare_what_they_can_do() -> None:
    flags = {name: (cls.supports_cv_calibration, cls.prompt_fields, cls.runs_model_code)
             for name in ("linear", "ensemble") for cls in [get_backend_class(name)]}  # fmt: skip
    assert flags == {"linear": (True, False, False), "ensemble": (False, False, True)}
    llm = pytest.importorskip("koclassify.backends.llm.backend").LLMBackend
    assert (llm.supports_cv_calibration, llm.prompt_fields, llm.runs_model_code) == (False, True, True)


def test_no_module_outside_the_cli_compares_a_backend_name() -> None:
    """``backend == "llm"``, ``.name != "linear"``, ``name in ("llm", "ensemble")``: a capability flag instead."""
    names = {"linear", "encoder", "llm", "ensemble"}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue  # cli/core.py's progress label is being reworded with the CLI (issue 21, i21-cli)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            constants = [c for c in ast.walk(node) if isinstance(c, ast.Constant) and c.value in names]
            if constants:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
