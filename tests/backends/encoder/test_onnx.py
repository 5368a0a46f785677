"""`koclassify export onnx`: the exported graph predicts what the torch model predicts, windows and all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify import Classifier
from koclassify.cli.commands import app
from koclassify.errors import KoclassifyError

from .conftest import FAST

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

runner = CliRunner()


@pytest.fixture(scope="module")
def saved(bert_dir: Path, task, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-label model with long texts (several windows each, max-aggregated), saved."""
    (texts, labels), _ = task
    rows = [" ".join([t] * 4) for t in texts]  # about 20 tokens: several 12-token windows
    multi = [[label, "long"] if i % 3 == 0 else [label] for i, label in enumerate(labels)]
    clf = Classifier(
        "encoder", model=str(bert_dir), epochs=2, max_length=12, stride=3, max_target_tokens=4, aggregate="max", **FAST
    ).fit(rows, multi)
    out = tmp_path_factory.mktemp("onnx") / "model"
    clf.save(out)
    return out


def test_export_then_load_predicts_with_onnxruntime_as_torch_does(saved: Path, task) -> None:
    _, (held, _) = task
    texts = held + [" ".join([t] * 5) for t in held]  # short and windowed rows
    torch_probs = Classifier.load(saved).predict_proba(texts)

    result = runner.invoke(app, ["export", "onnx", str(saved)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (saved / "backend" / "model.onnx").is_file() and "model.onnx" in result.output

    loaded = Classifier.load(saved)
    assert loaded.backend.onnx is not None, "runtime=auto picks ONNX Runtime on a CPU machine"
    np.testing.assert_allclose(loaded.predict_proba(texts), torch_probs, atol=1e-5)

    # a copy keeps its export, and runtime=torch ignores it (set through the API: a hand-edited config.json no
    # longer matches the directory's manifest)
    loaded.backend.options["runtime"] = "torch"
    loaded.save(saved.parent / "copy")
    assert (saved.parent / "copy" / "backend" / "model.onnx").is_file()
    assert json.loads((saved.parent / "copy" / "config.json").read_text())["backend_options"]["runtime"] == "torch"
    assert Classifier.load(saved.parent / "copy").backend.onnx is None


def test_int8_export_stays_close_to_torch(saved: Path, task, tmp_path: Path) -> None:
    from koclassify.model.export import export_onnx

    _, (held, _) = task
    reference = Classifier.load(saved)
    reference.backend.onnx = None
    expected = reference.predict_proba(held)
    result = export_onnx(saved, int8=True)
    assert result.int8 and result.max_prob_diff < 0.05
    got = Classifier.load(saved).predict_proba(held)
    assert np.abs(got - expected).max() < 0.05


def test_export_refuses_a_linear_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from koclassify.cli import main
    from koclassify.model.export import export_onnx

    Classifier().fit(["좋다", "싫다"] * 10, ["p", "n"] * 10).save(tmp_path / "m")
    with pytest.raises(KoclassifyError, match="encoder backend"):
        export_onnx(tmp_path / "m")
    monkeypatch.setattr("sys.argv", ["koclassify", "export", "onnx", str(tmp_path / "m")])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "error:" in err and "encoder backend" in err
