"""`predict --engine ray` and `koclassify.distributed.predict` on a local Ray with 2 CPUs (started once here).

Outputs must equal single-process `predict` row for row (linear, a tiny encoder, a tiny llm); a run that dies
part-way is finished by a re-run with every id exactly once; a corrupt shard is named with its line and field.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify.api import Classifier
from koclassify.cli.commands import app
from koclassify.data.options import ReadOptions
from koclassify.data.parquet import write_examples_parquet
from koclassify.data.read import read_examples
from koclassify.data.writers import write_examples_table
from koclassify.distributed import shard_options
from koclassify.errors import KoclassifyError
from koclassify.samples import sample_path
from koclassify.streaming import predict_file

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")
pytestmark = pytest.mark.slow  # Ray's start and its worker processes: ~1 minute for the module on 2 cores

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/, for the tiny model builders
runner = CliRunner()
TEST_LINES = sample_path("nikl_test.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2, logging_level="warning")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def linear_model(tmp_path_factory) -> Path:
    data = read_examples(sample_path("nikl_train.jsonl"))
    clf = Classifier("linear").fit(data.examples, labels=data.label_names)
    clf.data_options = data.options.to_json()
    return clf.save(tmp_path_factory.mktemp("linear") / "model")


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def nikl_shards(directory: Path, sizes=(20, 20, 20)) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths, start = [], 0
    for i, size in enumerate(sizes):
        path = directory / f"s{i}.jsonl"
        path.write_text("\n".join(TEST_LINES[start : start + size]) + "\n", encoding="utf-8")
        paths.append(path)
        start += size
    return paths


def read_outputs(out_dir: Path) -> list[dict]:
    """Every row of every output shard (no hidden temp files), in shard-name order."""
    return [row for p in sorted(out_dir.glob("part-*.parquet")) for row in pq.read_table(p).to_pylist()]


def single_process(model: Path, src: Path, tmp: Path) -> list[dict]:
    out = tmp / f"single-{src.stem}.parquet"
    clf = Classifier.load(model)
    predict_file(clf, src, out, shard_options(clf.data_options, src, ReadOptions()))  # as `koclassify predict`
    return pq.read_table(out).to_pylist()


def assert_same_rows(got: list[dict], expected: list[dict]) -> None:
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    assert [r["labels"] for r in got] == [r["labels"] for r in expected]
    np.testing.assert_allclose([list(r["probs"].values()) for r in got],
                               [list(r["probs"].values()) for r in expected], rtol=0, atol=1e-6)  # fmt: skip


def test_ray_engine_equals_single_process_over_shards_of_every_format(local_ray, linear_model, tmp_path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    data = read_examples(sample_path("nikl_test.jsonl"), need_labels=False)
    (shards / "a.jsonl").write_text("\n".join(TEST_LINES[:20]) + "\n", encoding="utf-8")
    write_examples_table(data.examples[20:40], shards / "b.csv")
    write_examples_parquet(data.examples[40:], shards / "c.parquet")
    out = tmp_path / "out"
    result = invoke("predict", linear_model, shards, "--engine", "ray", "--workers", 2, "--batch-size", 7, "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["rows"] == 60 and len(manifest["shards"]) == 3
    for src in sorted(shards.iterdir()):
        entry = manifest["shards"][str(src.resolve())]
        assert_same_rows(pq.read_table(out / entry["output"]).to_pylist(), single_process(linear_model, src, tmp_path))


def test_a_corrupt_shard_is_named_and_a_rerun_finishes_only_the_missing_shards(
    local_ray, linear_model, tmp_path
) -> None:
    paths = nikl_shards(tmp_path / "shards")
    good = paths[1].read_text(encoding="utf-8")
    lines = good.splitlines()
    lines[4] = lines[4].replace('"form": "', '"form": 5, "x": "', 1)  # line 5: the text is not a string
    paths[1].write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--workers", 2, "--out", out)
    assert isinstance(result.exception, KoclassifyError)
    assert f"{paths[1].resolve()}:5, field 'input.form': text must be a string" in str(result.exception)
    assert "1 of 3 shards failed" in str(result.exception)
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"] and len(manifest["shards"]) == 2
    done = {p: p.stat().st_mtime_ns for p in out.glob("part-*")}
    assert len(done) == 2

    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--out", out, "--lenient")
    assert result.exit_code == 0, result.output  # lenient: the bad row goes to the errors file with its reason
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["rows"] == 59
    entry = manifest["shards"][str(paths[1].resolve())]
    reason = json.loads((out / entry["errors_file"]).read_text())
    assert (reason["line"], reason["field"]) == (5, "input.form") and "must be a string" in reason["error"]
    assert {p: p.stat().st_mtime_ns for p in done} == done  # the finished shards were not redone

    paths[1].write_text(good, encoding="utf-8")  # fixed input: that shard (only) is predicted again
    (out / f".{entry['output']}.x1y2.tmp").write_bytes(b"half a file, as left by kill -9")
    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--out", out)
    assert result.exit_code == 0, result.output
    assert "1 predicted now, 2 already done" in " ".join(result.output.split())
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the dead run's temp file is cleaned up
    ids = [r["id"] for r in read_outputs(out)]
    assert sorted(ids) == sorted(json.loads(line)["id"] for line in TEST_LINES) and len(set(ids)) == 60


def test_a_run_killed_part_way_is_finished_by_a_rerun(local_ray, linear_model, tmp_path) -> None:
    """A real `kill -9` of the driver while shards are being written; the re-run completes the rest."""
    nikl_shards(tmp_path / "shards", sizes=(6,) * 10)
    out = tmp_path / "out"
    address = ray.get_runtime_context().gcs_address
    cmd = [sys.executable, "-m", "koclassify", "predict", str(linear_model), str(tmp_path / "shards"),
           "--engine", "ray", "--address", address, "--batch-size", "1", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(out.glob("part-*"))) >= 2:
                break
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    time.sleep(3)  # Ray ends the dead driver's workers on its own; let them go before the re-run
    first = {p.name for p in out.glob("part-*")}
    assert len(first) >= 2
    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == 10
    ids = [r["id"] for r in read_outputs(out)]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written shard is left


def test_bad_inputs_and_outputs_fail_before_any_work(linear_model, tmp_path) -> None:
    shards = nikl_shards(tmp_path / "shards", sizes=(5,))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something.txt").write_text("x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"model": "/elsewhere", "kind": "parquet", "shards": {}}))
    cases = [
        (("--engine", "spark", "--out", tmp_path / "o"), "--engine must be local or ray"),
        (("--engine", "ray", "--out", tmp_path / "full"), "not empty and has no manifest.json"),
        (("--engine", "ray", "--out", other), "holds parquet predictions of /elsewhere"),
        (("--engine", "ray", "--workers", 0, "--out", tmp_path / "o"), "--workers and --batch-size must be"),
        (("--engine", "ray", "--to", "tsv", "--out", tmp_path / "o"), 'invalid option --to="tsv": allowed:'),
    ]
    for args, message in cases:
        result = invoke("predict", linear_model, shards[0], *args)
        assert isinstance(result.exception, KoclassifyError) and message in str(result.exception), args
    result = invoke("predict", linear_model, tmp_path / "nothing*.jsonl", "--engine", "ray", "--out", tmp_path / "o")
    assert "no files match this pattern" in str(result.exception)


# ------------------------------------------------------------------------------------------ transformer backends
def separable() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for noun in ["학교", "영화", "커피", "여행", "선물", "공연"]:
        texts += [f"{noun} 정말 좋다", f"{noun} 정말 싫다"]
        labels += ["joy", "disgust"]
    return texts, labels


def test_python_api_equals_single_process_for_a_tiny_encoder(local_ray, tmp_path) -> None:
    pytest.importorskip("transformers")
    from tiny_encoder import build_encoder  # noqa: I001  (tests/ is on the path, not a package)

    from koclassify import distributed

    texts, labels = separable()
    bert = build_encoder(tmp_path / "bert", texts=texts * 3, initializer_range=0.2)
    clf = Classifier("encoder", model=str(bert), epochs=1, lr=1e-2, batch_size=8, warmup=0.0).fit(texts, labels)
    model = clf.save(tmp_path / "model")
    rows = [{"id": f"r{i}", "text": t} for i, t in enumerate(texts)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    expected = Classifier.load(model).predict_proba(texts)
    got = sorted(distributed.predict(src, model, batch_size=5).take_all(), key=lambda r: int(r["id"][1:]))
    assert [r["id"] for r in got] == [r["id"] for r in rows]
    np.testing.assert_allclose(np.stack([r["probs"] for r in got]), expected, atol=1e-5)
    names = list(clf.labels_.names)
    assert [list(r["labels"]) for r in got] == [[names[int(np.argmax(p))]] for p in expected]

    # a user's own ray.data.Dataset goes straight to the same actor class; its batches look like this
    batch = {"id": np.array(["x", "y"], dtype=object), "text": np.array(texts[:2], dtype=object),
             "target": np.array(["학교", None], dtype=object)}  # fmt: skip
    out = distributed.BatchPredictor(str(model))(batch)
    assert list(out["id"]) == ["x", "y"] and out["probs"].shape == (2, 2)
    np.testing.assert_allclose(out["probs"][1], expected[1], atol=1e-5)


def test_ray_engine_equals_single_process_for_a_tiny_llm(local_ray, tmp_path) -> None:
    pytest.importorskip("peft")
    from tiny_models import build_model

    texts, labels = separable()
    neox = build_model(tmp_path / "neox", "gpt_neox")
    clf = Classifier("llm", model=str(neox), epochs=1, lr=1e-2, batch_size=4).fit(texts, labels)
    model = clf.save(tmp_path / "model")
    shards = tmp_path / "shards"
    shards.mkdir()
    for k in range(2):
        (shards / f"p{k}.jsonl").write_text(
            "".join(json.dumps({"id": f"{k}-{i}", "text": t}, ensure_ascii=False) + "\n"
                    for i, t in enumerate(texts[k::2])), encoding="utf-8")  # fmt: skip
    out = tmp_path / "out"
    result = invoke("predict", model, shards / "*.jsonl", "--engine", "ray", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    for src in sorted(shards.iterdir()):
        got = pq.read_table(out / manifest["shards"][str(src.resolve())]["output"]).to_pylist()
        assert_same_rows(got, single_process(model, src, tmp_path))
