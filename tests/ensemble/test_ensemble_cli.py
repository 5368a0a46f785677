"""``koclassify ensemble``: over model directories and over probability files; the result used like any model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify import Classifier, Ensemble
from koclassify.cli import main
from koclassify.cli.commands import app
from koclassify.samples import sample_path

runner = CliRunner()
DEV, TEST = sample_path("nikl_dev.jsonl"), sample_path("nikl_test.jsonl")


def invoke(*args: object):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def fails(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, *args: object) -> str:
    """Run the real entry point: a user error is one line on stderr and exit 2, never a traceback."""
    monkeypatch.setattr("sys.argv", ["koclassify", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    return " ".join(err.split())


@pytest.fixture(scope="module")
def ens_dir(member_dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ens") / "E"
    result = invoke("ensemble", *member_dirs, "--dev", DEV, "--weights", "tuned", "--out", out)
    assert "ensemble (tuned)" in result.output and "micro-f1" in result.output
    return out


def test_ensemble_of_model_directories_is_a_model_directory(ens_dir: Path, member_dirs, members, nikl) -> None:
    config = json.loads((ens_dir / "config.json").read_text(encoding="utf-8"))
    assert config["backend"] == "ensemble" and config["backend_options"]["member_backends"] == ["linear", "linear"]
    assert config["calibration"]["source"] == str(DEV) and config["calibration"]["ensemble"]["weighting"] == "tuned"
    _, dev = nikl
    api = Ensemble(list(members), weights="tuned")
    api.calibrate(dev.examples)  # the CLI and the API agree
    loaded = Classifier.load(ens_dir)
    assert loaded.thresholds_dict() == api.thresholds_dict()
    np.testing.assert_allclose(loaded.predict_proba(dev.examples), api.predict_proba(dev.examples), atol=1e-12)


def test_predict_evaluate_and_report_use_an_ensemble_directory(ens_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    invoke("predict", ens_dir, TEST, "--out", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    source = [json.loads(line) for line in TEST.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [s["id"] for s in source]  # NIKL input: the submission format
    clf = Classifier.load(ens_dir)
    from koclassify.data.read import read_examples

    expected = clf.predict(read_examples(TEST, need_labels=False).examples)
    assert [tuple(k for k, v in r["output"].items() if v == "True") for r in rows] == [tuple(e) for e in expected]

    result = invoke("evaluate", ens_dir, DEV, "--json")
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert metrics["samples"] == 80 and 0 < metrics["micro_f1"] <= 1

    pytest.importorskip("matplotlib")
    invoke("report", ens_dir, DEV, "--out", tmp_path / "report")
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "ensemble" in page


def test_calibrate_re_tunes_an_ensembles_thresholds_only(ens_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "E"
    shutil.copytree(ens_dir, copy)
    weights = json.loads((copy / "config.json").read_text(encoding="utf-8"))["backend_options"]["weights"]

    def files() -> list[tuple[Path, int, int]]:  # the weights are the same files afterwards: not rewritten, not copied
        return sorted((p, p.stat().st_mtime_ns, p.stat().st_ino) for p in (copy / "backend").rglob("*") if p.is_file())

    members = files()
    invoke("calibrate", copy, DEV, "--objective", "macro-f1")
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    assert config["calibration"]["objective"] == "macro-f1" and config["backend_options"]["weights"] == weights
    assert files() == members


def test_serve_answers_from_an_ensemble(ens_dir: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from koclassify.serve import create_app

    client = TestClient(create_app(ens_dir))
    assert client.get("/health").json()["backend"] == "ensemble"
    body = client.post("/predict", json={"texts": ["정말 기쁘고 행복한 하루였다"]}).json()
    probs = Classifier.load(ens_dir).predict_proba(["정말 기쁘고 행복한 하루였다"])[0]
    assert list(body["predictions"][0]["probs"].values()) == pytest.approx(probs, abs=1e-6)


def test_bad_ensembles_are_one_line_errors(member_dirs, tmp_path: Path, capsys, monkeypatch) -> None:
    a, b = member_dirs
    other = tmp_path / "other"
    Classifier().fit(["좋아요", "싫어요"] * 4, ["긍정", "부정"] * 4).save(other)
    err = fails(capsys, monkeypatch, "ensemble", a, other, "--dev", DEV, "--out", tmp_path / "E")
    assert "member 2 has other labels than member 1" in err and "'긍정'" in err and "'joy'" in err
    err = fails(capsys, monkeypatch, "ensemble", a, b, "--dev", DEV, "--out", a)
    assert "would overwrite member" in err
    err = fails(capsys, monkeypatch, "ensemble", a, b, "--out", tmp_path / "E")
    assert "--dev DEV is needed" in err
    err = fails(capsys, monkeypatch, "ensemble", a, b, "--dev", DEV, "--weights", "best", "--out", tmp_path / "E")
    assert "--weights must be mean, tuned or numbers" in err
    err = fails(capsys, monkeypatch, "ensemble", a, b, "--dev", DEV, "--weights", "1,2,3", "--out", tmp_path / "E")
    assert "3 weights for 2 ensemble members" in err
    err = fails(capsys, monkeypatch, "ensemble", a, b, "--dev", DEV, "--grid", "0.3", "--out", tmp_path / "E")
    assert "grid=0.3" in err and "divides 1 evenly" in err  # the one check calibrate makes too
    err = fails(
        capsys, monkeypatch, "ensemble", a, b, "--dev", DEV, "--decision", "max_labels", "--out", tmp_path / "E"
    )
    assert "max_labels" in err and "--max-labels N" in err and "Traceback" not in err
    err = fails(capsys, monkeypatch, "ensemble", "--out", tmp_path / "E")
    assert "usage: koclassify ensemble" in err
    assert not (tmp_path / "E").exists()


def _probs_file(path: Path, probs: np.ndarray, names: list[str], order: list[str]) -> Path:
    rows = [{n: float(row[names.index(n)]) for n in order} for row in probs]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ensemble_over_probability_files_then_merge(members, tmp_path: Path, capsys, monkeypatch) -> None:
    """Probabilities made elsewhere: tune weights + thresholds on dev files, apply them to test files."""
    from koclassify.data.read import read_examples

    dev, test = read_examples(DEV).examples, read_examples(TEST, need_labels=False).examples
    a, b = members
    names = list(a.labels_.names)
    files = {}
    for key, clf in (("a", a), ("b", b)):
        order = names if key == "a" else list(reversed(names))  # the same labels in another order are aligned
        files[key + "_dev"] = _probs_file(tmp_path / f"{key}_dev.jsonl", clf.predict_proba(dev), names, order)
        files[key + "_test"] = _probs_file(tmp_path / f"{key}_test.jsonl", clf.predict_proba(test), names, order)
    spec_path = tmp_path / "ens.json"
    invoke("ensemble", "--probs", files["a_dev"], "--probs", files["b_dev"], "--gold", DEV, "--weights", "tuned",
           "--out", spec_path)  # fmt: skip
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    # probability files carry no decision rule or second stage: compare with the plain-threshold API ensemble
    api = Ensemble([a, b], weights="tuned", decision="threshold", stack="off")
    api.calibrate(dev)
    assert spec["labels"] == names and spec["weights"] == pytest.approx(list(api.weights_), abs=1e-6)
    assert spec["thresholds"] == api.thresholds_dict()

    submission = tmp_path / "sub.jsonl"
    invoke("merge", "--probs", files["a_test"], "--probs", files["b_test"], "--ensemble", spec_path,
           "--data", TEST, "--out", submission)  # fmt: skip
    written = [json.loads(line) for line in submission.read_text(encoding="utf-8").splitlines()]
    combined = api.weights_[0] * a.predict_proba(test) + api.weights_[1] * b.predict_proba(test)
    thresholds = np.array([spec["thresholds"][n] for n in names])
    for row, p in zip(written, combined):
        assert {k for k, v in row["output"].items() if v == "True"} == {
            n for n, pj, t in zip(names, p, thresholds) if pj >= t - 1e-9
        }

    bad = _probs_file(tmp_path / "bad.jsonl", a.predict_proba(dev)[:, :7], names[:7], names[:7])
    err = fails(capsys, monkeypatch, "ensemble", "--probs", files["a_dev"], "--probs", bad, "--gold", DEV,
                "--out", tmp_path / "x.json")  # fmt: skip
    assert "bad.jsonl has other labels than" in err and "missing ['sadness']" in err
    err = fails(capsys, monkeypatch, "merge", "--probs", files["a_test"], "--ensemble", spec_path, "--data", TEST,
                "--out", tmp_path / "s.jsonl")  # fmt: skip
    assert "2 weights for 1 ensemble members" in err
    err = fails(capsys, monkeypatch, "merge", "--probs", files["a_test"], "--data", TEST, "--out", tmp_path / "s.jsonl")
    assert "exactly one of --thresholds" in err
    err = fails(capsys, monkeypatch, "ensemble", "--probs", files["a_dev"], "--out", tmp_path / "x.json")
    assert "--probs needs --gold" in err
