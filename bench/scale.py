"""Whole-corpus prediction: single-process streaming ``predict`` vs ``--engine ray`` with 1 and 2 workers.

A corpus of ``--rows`` rows (nsmc-reviews texts repeated, each row a unique id) is generated into a temp dir
(never committed) as ONE JSONL file, the usual big export: every run reads that same file, and Ray cuts it into
splits of ``--split-rows`` rows (the default 100,000) that feed every worker. Each Ray worker is pinned to one
thread (BLAS, OpenMP, Kiwi); the single process runs as a user runs it. The model is the ``linear`` default
trained on the first 50,000 nsmc training rows (or ``--model DIR``, reused).

Each command runs as its own subprocess (the ``koclassify`` CLI, as a user runs it); its whole process tree
(Ray's raylet, GCS and workers included) is polled every 0.2 s for resident memory. Reported per run: wall
seconds, rows/s end to end (rows / wall), start-up seconds (the same command on a 100-row corpus: process start,
model load, and for Ray the cluster and actor start), steady-state rows/s (rows / (wall - start-up): the rate
once running, which decides a long corpus), and peak RSS of the driver and of the largest other process.
The single process also runs on the first 20% of the corpus, to show its peak does not grow with the input, and
once pinned to one core (affinity and one-thread BLAS/OpenMP, so Kiwi too takes one thread): the rate one Ray
worker could reach at best, so the quiet run shows where the time goes (2 workers can reach at most twice it).

    python bench/scale.py [--rows 1000000] [--split-rows 100000] [--model DIR] [--data nsmc-reviews]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nsmc-reviews"  # ../shared/data
KOCLASSIFY = [sys.executable, "-m", "koclassify"]


def texts(data: Path) -> list[str]:
    out = []
    for name in ("train.tsv", "test.tsv"):
        with open(data / name, encoding="utf-8", newline="") as fh:
            out += [" ".join(row["document"].split()) for row in csv.DictReader(fh, delimiter="\t")]
    return [t for t in out if t]  # one line each: a bare \r inside a review is not a row break in our TSV


def write_corpus(path: Path, pool: list[str], rows: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:  # a benchmark input in /tmp, not a package output
        for i in range(rows):
            fh.write(json.dumps({"id": f"r{i}", "text": pool[i % len(pool)]}, ensure_ascii=False) + "\n")


def train(model: Path, data: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train50k.tsv"
        with open(data / "train.tsv", encoding="utf-8") as src, open(train_file, "w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i > 50_000:
                    break
                dst.write(line)
        subprocess.run([*KOCLASSIFY, "train", str(train_file), "--out", str(model), "--text-col", "document",
                        "--label-col", "label"], check=True)  # fmt: skip


ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def one_core() -> None:
    """In the child before exec: run on the first CPU this process may use (Kiwi sizes its pool by affinity)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure(cmd: list[str], pinned: bool = False) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of the driver and of the largest other process in its tree."""
    start = time.perf_counter()
    env = {**os.environ, **ONE_THREAD} if pinned else None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=one_core if pinned else None)  # fmt: skip
    root = psutil.Process(proc.pid)
    peaks: dict[int, float] = {}
    while proc.poll() is None:
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    peaks[p.pid] = max(peaks.get(p.pid, 0.0), p.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    others = [v for pid, v in peaks.items() if pid != proc.pid]
    return {"wall": wall, "driver": peaks.get(proc.pid, 0.0), "other": max(others, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--split-rows", type=int, default=100_000, help="rows per Ray split")
    parser.add_argument("--model", type=Path, default=Path(tempfile.gettempdir()) / "koclassify-bench-nsmc50k")
    parser.add_argument("--data", type=Path, default=DATA, help="the nsmc-reviews folder")
    args = parser.parse_args()
    if not (args.model / "config.json").is_file():
        train(args.model, args.data)
    pool = texts(args.data)
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="koclassify-scale-"))
    try:
        small_n = args.rows // 5
        write_corpus(tmp / "tiny.jsonl", pool, 100)
        write_corpus(tmp / "small.jsonl", pool, small_n)
        write_corpus(tmp / "corpus.jsonl", pool, args.rows)

        def local(data: str, out: str) -> list[str]:
            return [*KOCLASSIFY, "predict", str(args.model), str(tmp / data), "--out", str(tmp / out)]

        def ray(data: str, out: str, workers: int) -> list[str]:
            return [*KOCLASSIFY, "predict", str(args.model), str(tmp / data), "--out", str(tmp / out),
                    "--engine", "ray", "--workers", str(workers), "--split-rows", str(args.split_rows)]  # fmt: skip

        tiny = local("tiny.jsonl", "tiny-pred.jsonl")
        runs = [  # (name, start-up command, command, rows, pinned to one core)
            ("single process", tiny, local("corpus.jsonl", "pred.jsonl"), args.rows, False),
            (f"single process ({small_n:,} rows)", None, local("small.jsonl", "small-pred.jsonl"), small_n, False),
            ("ray, 1 worker", ray("tiny.jsonl", "tiny1", 1), ray("corpus.jsonl", "ray1", 1), args.rows, False),
            ("ray, 2 workers", ray("tiny.jsonl", "tiny2", 2), ray("corpus.jsonl", "ray2", 2), args.rows, False),
            ("single process pinned to one core", tiny, local("corpus.jsonl", "pinned.jsonl"), args.rows, True),
        ]
        results = []
        for name, startup_cmd, cmd, n, pinned in runs:
            startup = measure(startup_cmd, pinned)["wall"] if startup_cmd else results[0][3]
            got = measure(cmd, pinned)
            results.append((name, n, got, startup))
            print(f"{name}: {got['wall']:.1f} s, {n / got['wall']:,.0f} rows/s", file=sys.stderr, flush=True)
        manifests = [json.loads((tmp / d / "manifest.json").read_text()) for d in ("ray1", "ray2")]
        ray_rows = [m["rows"] for m in manifests]
        local_rows = []
        for name in ("pred.jsonl", "pinned.jsonl"):
            with open(tmp / name, "rb") as fh:
                local_rows.append(sum(1 for _ in fh))
        if ray_rows != [args.rows, args.rows] or local_rows != [args.rows, args.rows]:
            raise SystemExit(f"row counts differ: single process {local_rows}, ray {ray_rows}, corpus {args.rows}")
        splits = len(manifests[0]["splits"])
        print(f"\n{args.rows:,} rows in one JSONL file, {splits} Ray splits of <= {args.split_rows:,} rows, "
              f"model {args.model}, {os.cpu_count()} CPUs, load average before {load_before:.1f}, after "
              f"{os.getloadavg()[0]:.1f}\n")  # fmt: skip
        print("| run | rows | wall s | rows/s | start-up s | steady rows/s | peak RSS driver MiB | "
              "peak RSS largest other MiB |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        steady = []
        for name, n, got, startup in results:  # a start-up near the wall time (a loaded machine) gives no rate
            steady.append(n / (got["wall"] - startup) if got["wall"] - startup > 0.1 * got["wall"] else float("nan"))
            print(f"| {name} | {n:,} | {got['wall']:.1f} | {n / got['wall']:,.0f} | {startup:.1f} | "
                  f"{steady[-1]:,.0f} | {got['driver']:.0f} | {got['other']:.0f} |")  # fmt: skip
        base = args.rows / results[0][2]["wall"]
        print(f"\nray 2 workers / single process rows/s: {args.rows / results[3][2]['wall'] / base:.2f}x "
              f"(target >= 1.6x), steady state {steady[3] / steady[0]:.2f}x; ray 2 workers / 1 worker: "
              f"{results[2][2]['wall'] / results[3][2]['wall']:.2f}x; single process / pinned to one core: "
              f"{steady[0] / steady[4]:.2f}x, ray 2 workers / pinned single process: {steady[3] / steady[4]:.2f}x "
              f"(steady; 2.0x is two fully used cores); "
              f"single-process peak {results[0][2]['driver']:.0f} MiB at {args.rows:,} vs "
              f"{results[1][2]['driver']:.0f} MiB at {small_n:,} rows "
              f"({results[0][2]['driver'] / results[1][2]['driver']:.2f}x, target <= 1.2x)")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
