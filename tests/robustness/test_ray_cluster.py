"""A real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``: a head and a worker node, each its
own raylet): `predict --engine ray --address` runs against it, the worker node is killed part-way, and a re-run
finishes the job with every id exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from koclassify.data.read import read_examples
from koclassify.model.classifier import Classifier
from koclassify.samples import sample_path

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")
pytestmark = pytest.mark.slow  # two raylets and their workers: about a minute on 2 cores

MB = 1024**2


@pytest.fixture
def cluster():
    from ray.cluster_utils import Cluster

    nodes = Cluster(
        initialize_head=True,
        connect=False,
        head_node_args={"num_cpus": 1, "object_store_memory": 80 * MB, "include_dashboard": False},
    )
    worker = nodes.add_node(num_cpus=1, object_store_memory=80 * MB)
    nodes.wait_for_nodes()
    yield nodes, worker
    nodes.shutdown()


def predict(model: Path, src: Path, out: Path, address: str, workers: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "koclassify",
        "predict",
        str(model),
        str(src),
        "--engine",
        "ray",
        "--address",
        address,
        "--workers",
        str(workers),
        "--split-rows",
        "30",
        "--batch-size",
        "1",
        "--out",
        str(out),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_killed_worker_node_is_made_good_by_a_rerun(cluster, tmp_path) -> None:
    nodes, worker = cluster
    data = read_examples(sample_path("nikl_train.jsonl"))
    model = Classifier("linear").fit(data.examples, labels=data.label_names).save(tmp_path / "model")
    lines = sample_path("nikl_test.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [{"id": f"{r['id']}-{k}", "text": r["input"]["form"]} for k in range(5) for r in map(json.loads, lines)]
    src = tmp_path / "in.jsonl"  # one file, 10 splits of 30 rows
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"

    first = predict(model, src, out, nodes.address, workers=2)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and first.poll() is None and not list(out.glob("part-*")):
        time.sleep(0.1)
    done_before = len(list(out.glob("part-*")))
    nodes.remove_node(worker)  # the worker machine dies: its raylet, its actor, whatever it was writing
    try:
        first.wait(timeout=90)  # Ray Data retries the lost actor's split on the head, or the run fails or waits
    except subprocess.TimeoutExpired:
        first.kill()
        first.wait()

    recorded = len(json.loads((out / "manifest.json").read_text())["splits"])  # what the first run finished
    second = predict(model, src, out, nodes.address, workers=1)
    output, _ = second.communicate(timeout=240)
    assert second.returncode == 0, output
    assert done_before < 10  # the node was lost part-way
    said = " ".join(output.split())
    assert "300 rows from 1 file(s) in 10 split(s)" in said
    assert f"({10 - recorded} predicted now, {recorded} already done)" in said  # the rest, and only the rest
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["splits"]) == 10 and manifest["rows"] == len(rows)
    ids = [r["id"] for p in sorted(out.glob("part-*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert sorted(ids) == sorted(r["id"] for r in rows)  # each id exactly once
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written shard is visible
