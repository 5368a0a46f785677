"""An encoder plus an LLM (the NIKL 2023 winners' kind of ensemble), tiny and random, on the bundled NIKL sample."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify import Classifier, Ensemble
from koclassify.cli.commands import app
from koclassify.data.read import read_examples
from koclassify.samples import sample_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the tiny model builders

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from tiny_encoder import build_encoder  # noqa: E402
from tiny_models import build_model  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices gain nothing from threads on a shared 2-core box
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
def test_encoder_plus_llm_ensemble_through_the_api_and_the_cli(tmp_path: Path) -> None:
    train = read_examples(sample_path("nikl_train.jsonl"))
    names = train.label_names
    dev_lines = sample_path("nikl_dev.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:24]
    dev_file = tmp_path / "dev.jsonl"
    dev_file.write_text("".join(dev_lines), encoding="utf-8")
    dev = read_examples(dev_file).examples

    encoder = Classifier("encoder", model=str(build_encoder(tmp_path / "bert", initializer_range=0.2)), epochs=1,
                         lr=1e-3, batch_size=16, max_length=64).fit(train.examples[:48], labels=names)  # fmt: skip
    llm = Classifier("llm", model=str(build_model(tmp_path / "neox")), epochs=1, batch_size=4,
                     max_length=96).fit(train.examples[:12], labels=names)  # fmt: skip
    ens = Ensemble([encoder, llm], weights="tuned")
    ens.calibrate(dev)
    assert ens.fit_.score >= max(ens.fit_.member_scores) - 1e-12  # the weight grid includes each member alone
    p_enc, p_llm = encoder.predict_proba(dev), llm.predict_proba(dev)
    w = ens.weights_
    np.testing.assert_allclose(ens.predict_proba(dev), w[0] * p_enc + w[1] * p_llm, rtol=1e-6, atol=1e-9)

    ens.save(tmp_path / "E")
    loaded = Classifier.load(tmp_path / "E")
    assert loaded.backend.options["member_backends"] == ["encoder", "llm"]
    np.testing.assert_allclose(loaded.predict_proba(dev), ens.predict_proba(dev), rtol=1e-6, atol=1e-9)
    assert loaded.predict(dev) == ens.predict(dev)

    # the same through the command line, from the members' own directories
    encoder.save(tmp_path / "ENC")
    llm.save(tmp_path / "LLM")
    runner = CliRunner()
    args = ["ensemble", str(tmp_path / "ENC"), str(tmp_path / "LLM"), "--dev", str(dev_file), "--weights", "tuned"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "E2")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "E2" / "config.json").read_text(encoding="utf-8"))
    assert config["backend_options"]["weights"] == pytest.approx(list(ens.weights_))
    result = runner.invoke(app, ["predict", str(tmp_path / "E2"), str(dev_file), "--probs", "--out",
                                 str(tmp_path / "p.jsonl")], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    probs = np.array([[r["probs"][n] for n in names] for r in rows])
    np.testing.assert_allclose(probs, ens.predict_proba(dev), rtol=1e-5, atol=1e-6)
