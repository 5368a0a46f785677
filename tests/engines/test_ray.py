"""`predict --engine ray` and `koclassify.engines.ray.predict` on a local Ray with 2 CPUs (started once here).

Outputs must equal single-process `predict` row for row (linear, a tiny encoder, a tiny llm); a run that dies
part-way is finished by a re-run with every id exactly once; a corrupt shard is named with its line and field.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from koclassify.cli.commands import app
from koclassify.data.formats.parquet import write_examples_parquet
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.data.writers import write_examples_table
from koclassify.engines.local import predict_file
from koclassify.engines.ray import shard_options
from koclassify.errors import KoclassifyError
from koclassify.model.classifier import Classifier
from koclassify.samples import sample_path

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")
pytestmark = pytest.mark.slow  # Ray's start and its worker processes: ~1 minute for the module on 2 cores

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the tiny model builders
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


def outputs_of(manifest: dict, src: Path) -> list[str]:
    """The output shards of input file ``src``, in the order of its splits."""
    entries = [e for e in manifest["splits"].values() if e["input"] == str(src.resolve())]
    return [e["output"] for e in sorted(entries, key=lambda e: e["start"])]


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
    assert manifest["complete"] and manifest["rows"] == 60 and len(manifest["splits"]) == 3
    for src in sorted(shards.iterdir()):
        (output,) = outputs_of(manifest, src)
        assert_same_rows(pq.read_table(out / output).to_pylist(), single_process(linear_model, src, tmp_path))


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
    assert "1 of 3 splits failed" in str(result.exception)
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"] and len(manifest["splits"]) == 2
    done = {p: p.stat().st_mtime_ns for p in out.glob("part-*")}
    assert len(done) == 2

    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--out", out, "--lenient")
    assert result.exit_code == 0, result.output  # lenient: the bad row goes to the errors file with its reason
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["rows"] == 59
    (entry,) = [e for e in manifest["splits"].values() if e["input"] == str(paths[1].resolve())]
    reason = json.loads((out / entry["errors_file"]).read_text())
    assert (reason["line"], reason["field"]) == (5, "input.form") and "must be a string" in reason["error"]
    assert {p: p.stat().st_mtime_ns for p in done} == done  # the finished shards were not redone

    paths[1].write_text(good, encoding="utf-8")  # fixed input: that shard (only) is predicted again
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = out / f".{entry['output']}.{int(dead.stdout)}.x1y2.tmp"  # what the write gate leaves after kill -9
    stale.mkdir()
    marker = {"written_by": "koclassify", "kind": "file", "target": entry["output"], "pid": int(dead.stdout)}
    (stale / ".koclassify").write_text(json.dumps(marker), encoding="utf-8")
    (stale / entry["output"]).write_bytes(b"half a file, as left by kill -9")
    (out / ".part-mine.tmp").write_bytes(b"a user's file that looks like a temp file")
    result = invoke("predict", linear_model, tmp_path / "shards", "--engine", "ray", "--out", out)
    assert result.exit_code == 0, result.output
    assert "1 predicted now, 2 already done" in " ".join(result.output.split())
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert hidden == [".part-mine.tmp"]  # the dead run's temp file is cleaned up, the user's file is not
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
    assert manifest["complete"] and len(manifest["splits"]) == 10
    ids = [r["id"] for r in read_outputs(out)]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written shard is left


def test_the_public_predict_runs_either_engine_with_the_same_rows(local_ray, linear_model, tmp_path) -> None:
    """``koclassify.predict(..., engine=)``: one entry point; Ray's shards hold exactly the local engine's rows."""
    import koclassify

    src = nikl_shards(tmp_path / "shards", sizes=(12,))[0]
    local = koclassify.predict(linear_model, src, tmp_path / "local.parquet", chunk_rows=5)
    summary = koclassify.predict(linear_model, src, tmp_path / "ray", engine="ray", chunk_rows=5, split_rows=4)
    assert local.rows == summary.rows == 12 and summary.splits == 1  # a NIKL text file: one byte-range split
    assert_same_rows(read_outputs(tmp_path / "ray"), pq.read_table(tmp_path / "local.parquet").to_pylist())
    with pytest.raises(KoclassifyError, match="a Classifier in memory"):
        koclassify.predict(Classifier.load(linear_model), src, tmp_path / "r2", engine="ray")


def test_bad_inputs_and_outputs_fail_before_any_work(linear_model, tmp_path) -> None:
    shards = nikl_shards(tmp_path / "shards", sizes=(5,))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something.txt").write_text("x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps(manifest_of("/elsewhere")))
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    cases = [
        (("--engine", "spark", "--out", tmp_path / "o"), 'invalid option engine="spark" (prediction)'),
        (("--engine", "ray", "--out", tmp_path / "full"), "not empty and has no manifest.json"),
        (("--engine", "ray", "--out", other), "holds parquet predictions of /elsewhere"),
        (("--engine", "ray", "--workers", 0, "--out", tmp_path / "o"), "invalid option workers=0 (prediction)"),
        (("--engine", "ray", "--to", "tsv", "--out", tmp_path / "o"), 'invalid option --to="tsv": allowed:'),
        (("--engine", "ray", "--split-rows", 0, "--out", tmp_path / "o"), "invalid option split_rows=0"),
    ]
    for args, message in cases:
        result = invoke("predict", linear_model, shards[0], *args)
        assert isinstance(result.exception, KoclassifyError) and message in str(result.exception), args
    result = invoke("predict", linear_model, tmp_path / "nothing*.jsonl", "--engine", "ray", "--out", tmp_path / "o")
    assert "no files match this pattern" in str(result.exception)
    model = str(linear_model.resolve())
    split = {"input": "/x", "unit": "bytes", "start": 0, "stop": 1, "sha256": "0", "output": "part-x.parquet",
             "output_sha256": "0", "rows": 1, "errors": 0, "errors_file": None}  # fmt: skip
    broken = [
        ([], "a list, not an object"),
        ({**manifest_of(model), "splits": []}, "'splits' is not a dict"),
        ({**manifest_of(model), "splits": {"p": {**split, "rows": "many"}}}, "split 'p': 'rows' is 'many'"),
        ({**manifest_of(model), "splits": {"p": {**split, "output": "../../etc/x"}}}, "not a file of this directory"),
        ({"model": model, "kind": "parquet", "shards": {}}, "format None version None"),  # written by 0.x
    ]
    for content, message in broken:  # a manifest of the wrong shape: one clean line, nothing predicted
        (wrong / "manifest.json").write_text(json.dumps(content))
        result = invoke("predict", linear_model, shards[0], "--engine", "ray", "--out", wrong)
        assert isinstance(result.exception, KoclassifyError), content
        assert "not a koclassify manifest" in str(result.exception) and message in str(result.exception), content


def manifest_of(model: str) -> dict:
    return {"format": "koclassify-ray-predictions", "version": 2, "model": model, "model_sha256": "0",
            "kind": "parquet", "inputs": {}, "splits": {}}  # fmt: skip


# ------------------------------------------------------------------------------------------ splits of one file
def nikl_as_rows(lines: list[str]) -> list[dict]:
    return [{"id": r["id"], "text": r["input"]["form"]} for r in map(json.loads, lines)]


def test_ray_workers_predict_chunks_of_the_single_process_size(linear_model, tmp_path, monkeypatch) -> None:
    """Issue 22: one chunk-size default (data.stream.CHUNK_ROWS) for `predict` and for every Ray worker; a worker
    predicting 1,000-row chunks was 1.3x slower per core than one process predicting 10,000."""
    import inspect

    from koclassify.data.stream import CHUNK_ROWS
    from koclassify.engines import local as streaming
    from koclassify.engines import ray as distributed

    assert CHUNK_ROWS == 10_000
    for function, name in ((distributed.predict_to_directory, "batch_size"), (distributed.predict, "batch_size"),
                           (streaming.predict_file, "chunk_rows")):  # fmt: skip
        assert inspect.signature(function).parameters[name].default == CHUNK_ROWS, function
    seen: dict = {}

    def record(*args, **kwargs):
        seen.update(kwargs)
        raise KoclassifyError("recorded")

    monkeypatch.setattr(distributed, "predict_to_directory", record)
    (src,) = nikl_shards(tmp_path / "in", sizes=(5,))
    invoke("predict", linear_model, src, "--engine", "ray", "--out", tmp_path / "o")
    assert seen["batch_size"] == CHUNK_ROWS
    invoke("predict", linear_model, src, "--engine", "ray", "--chunk-rows", 7, "--out", tmp_path / "o")
    assert seen["batch_size"] == 7


def test_one_big_file_is_cut_into_splits_that_feed_every_worker(local_ray, linear_model, tmp_path) -> None:
    rows = nikl_as_rows(TEST_LINES)
    big = tmp_path / "in" / "big.jsonl"  # CRLF line ends, blank lines, no newline at the end
    big.parent.mkdir()
    big.write_bytes(("\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:30]) + "\r\n\r\n"
                     + "\n".join(json.dumps(r, ensure_ascii=False) for r in rows[30:])).encode())  # fmt: skip
    table = tmp_path / "in" / "quoted.csv"  # quoted cells over several lines, no id column: row-number ids
    table.write_text("text\n" + "".join(f'"{r["text"]}\n{r["text"]}"\n' for r in rows[:25]), encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("predict", linear_model, tmp_path / "in", "--engine", "ray", "--workers", 2, "--split-rows", 7,
                    "--batch-size", 3, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "85 rows from 2 file(s) in 13 split(s) (13 predicted now, 0 already done)" in " ".join(result.output.split())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["rows"] == 85
    assert manifest["inputs"][str(big.resolve())]["splits"] == 9
    for src in (big, table):
        got = [row for name in outputs_of(manifest, src) for row in pq.read_table(out / name).to_pylist()]
        assert_same_rows(got, single_process(linear_model, src, tmp_path))  # same ids, order and probabilities
    for entry in manifest["splits"].values():
        assert entry["rows"] == pq.read_metadata(out / entry["output"]).num_rows
        assert entry["output_sha256"] == hashlib.sha256((out / entry["output"]).read_bytes()).hexdigest()


def test_a_rerun_redoes_what_changed_model_input_or_output(local_ray, linear_model, tmp_path) -> None:
    """Issue 20 section 4: the model retrained at the same path, an output shard truncated, an input edited with
    the same size and modification time: each is predicted again, and only it."""
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in nikl_as_rows(TEST_LINES)), "utf-8")
    model = tmp_path / "model"
    shutil.copytree(linear_model, model)
    out = tmp_path / "out"

    def run() -> str:
        result = invoke("predict", model, src, "--engine", "ray", "--split-rows", 20, "--out", out)
        assert result.exit_code == 0, result.output
        expected = [json.loads(line)["id"] for line in src.read_text("utf-8").splitlines()]
        assert sorted(r["id"] for r in read_outputs(out)) == sorted(expected)
        return " ".join(result.output.split())

    assert "(3 predicted now, 0 already done)" in run()
    assert "(0 predicted now, 3 already done)" in run()

    data = read_examples(sample_path("nikl_train.jsonl"))
    Classifier("linear").fit(data.examples[:150], labels=data.label_names).save(model)  # same path, new model
    said = run()
    assert "changed since the last run" in said and "(3 predicted now, 0 already done)" in said

    manifest = json.loads((out / "manifest.json").read_text())
    first = sorted(manifest["splits"].values(), key=lambda e: e["start"])
    shard = out / first[1]["output"]
    shard.write_bytes(shard.read_bytes()[:100])  # truncated (a full disk, a bad copy)
    assert "(1 predicted now, 2 already done)" in run()

    st = src.stat()
    first_id = nikl_as_rows(TEST_LINES)[0]["id"]
    src.write_text(src.read_text("utf-8").replace(first_id, first_id[:-1] + "Z", 1), "utf-8")  # one byte changed
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert src.stat().st_size == st.st_size and src.stat().st_mtime_ns == st.st_mtime_ns
    assert "(1 predicted now, 2 already done)" in run()  # only the first split's bytes changed


def test_an_id_in_two_splits_is_an_error_naming_both(local_ray, linear_model, tmp_path) -> None:
    rows = nikl_as_rows(TEST_LINES[:12])
    rows[10]["id"] = rows[2]["id"]  # line 3 and line 11 of one file: two splits of 5 rows
    src = tmp_path / "dup.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "out"
    result = invoke("predict", linear_model, src, "--engine", "ray", "--split-rows", 5, "--out", out)
    assert isinstance(result.exception, KoclassifyError), result.output
    message = str(result.exception)
    assert message.startswith(f"{src.resolve()}:11, field 'id': duplicate id {rows[2]['id']!r}, also in ")
    assert f"{src.resolve()} (bytes 0-" in message and "split 1 of 3) line 3" in message
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "two" / "a.jsonl", tmp_path / "two" / "b.jsonl"  # the same id in a second file
    first.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:10]), "utf-8")
    second.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", "utf-8")
    result = invoke("predict", linear_model, tmp_path / "two", "--engine", "ray", "--out", tmp_path / "out2")
    assert result.exit_code != 0
    expected = f"{second.resolve()}:1, field 'id': duplicate id {rows[0]['id']!r}, also in {first.resolve()} line 1"
    assert expected in str(result.exception)


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

    from koclassify.engines import ray as distributed

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
        (output,) = outputs_of(manifest, src)
        assert_same_rows(pq.read_table(out / output).to_pylist(), single_process(model, src, tmp_path))


def test_workers_share_their_kiwi_analyses_through_one_actor(local_ray, monkeypatch) -> None:
    """Issue 22: each of 2 workers analysed every unseen piece again (136 s of CPU where one process spends 90 s);
    now a piece one worker sent to Kiwi is looked up by the others, and a lost actor only ends the sharing."""
    from koclassify.backends.linear import morphs
    from koclassify.engines.ray import AnalysesClient, start_shared_analyses

    assert start_shared_analyses(1) is None  # one worker has nobody to share with
    handle = start_shared_analyses(2)
    pieces = ["타이타닉", "재밌었다", "ㅋㅋ"]
    saved = dict(morphs._cache)
    morphs.share_analyses(AnalysesClient(handle))
    try:
        morphs._cache.clear()
        first = morphs.analyses(pieces)  # Kiwi reads them here and hands them to the actor
        assert ray.get(handle.get.remote(pieces)) == first
        morphs._cache.clear()  # another worker: an empty cache, and no Kiwi at all

        def no_kiwi():
            raise AssertionError("sent to Kiwi although another worker analysed it")

        monkeypatch.setattr(morphs, "_kiwi", no_kiwi)
        assert morphs.analyses(pieces) == first
        monkeypatch.undo()
        ray.kill(handle)
        morphs._cache.clear()
        assert morphs.analyses(pieces) == first  # the actor is gone: Kiwi again, no error
    finally:
        morphs.share_analyses(None)
        morphs._cache.update(saved)


def test_a_run_ends_its_shared_analyses_actor(local_ray, linear_model, tmp_path, monkeypatch) -> None:
    """The analyses actor belongs to one run: in a long-lived Ray (a notebook, a service) it must not outlive it."""
    from koclassify.engines import ray as distributed

    started = []
    real = distributed.start_shared_analyses

    def recorded(workers: int):
        started.append(real(workers))
        return started[-1]

    monkeypatch.setattr(distributed, "start_shared_analyses", recorded)
    srcs = nikl_shards(tmp_path / "in", sizes=(10, 10))
    distributed.predict_to_directory(linear_model, tmp_path / "in", tmp_path / "out", workers=2)
    assert len(started) == 1 and started[0] is not None  # two splits, two workers: one actor
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(started[0].get.remote(["영화"]), timeout=30)
    assert len(read_outputs(tmp_path / "out")) == sum(len(p.read_text().splitlines()) for p in srcs)
