"""The HTTP service under concurrent load: micro-batching on vs off, for a ``linear`` model and a tiny ``encoder``.

Everything runs on loopback: the script trains the two models (nsmc-reviews training rows; a randomly initialised
tiny BERT built in-process, nothing downloaded), starts ``koclassify serve`` as a subprocess for each (model,
batching) pair, and drives it from this process with a minimal asyncio HTTP/1.1 keep-alive client (one text per
request, distinct real reviews from the nsmc test split). Each phase is bounded in time and in requests and the
script stops its servers by itself.

- **on**: ``--max-batch-rows 256 --max-wait-ms 5`` (the defaults); **off**: ``--max-batch-rows 0`` (one model call
  per request, FastAPI's thread pool: how the service worked before micro-batching).
- For each concurrency (1, 16, 64): requests/s, p50/p99 latency, 5xx count over ``--duration`` seconds.
- RSS: the server's resident memory after start-up and warm-up, and after ``--rss-requests`` more requests at
  concurrency 16 (micro-batching on).

The client shares the CPU with the server; on a 2-core machine it takes a fair share of it, so absolute figures
are a lower bound on what the server alone would do, and the on/off ratio is the comparison that matters.

    python bench/serve.py                                    # the issue's run: 20 s per phase, 50,000 requests
    python bench/serve.py --duration 5 --rss-requests 5000   # a quick look
    python bench/serve.py --models encoder --encoder-shape small --duration 10 --rss-requests 0
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
DATA = ROOT.parent.parent / "shared" / "data" / "nsmc-reviews"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/nsmc-reviews")


def read_nsmc(name: str, limit: int) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["document"].strip():
                texts.append(row["document"])
                labels.append("긍정" if row["label"] == "1" else "부정")
            if len(texts) >= limit:
                break
    return texts, labels


def train_models(workdir: Path, train_rows: int, which: list[str], shape: str = "tiny") -> dict[str, Path]:
    from koclassify import Classifier

    texts, labels = read_nsmc("train.tsv", train_rows)
    out = {}
    if "linear" in which:
        out["linear"] = Classifier().fit(texts, labels).save(workdir / "linear")
    if "encoder" in which:
        from tiny_encoder import build_encoder

        bert = build_encoder(workdir / "bert", shape, texts=texts[:2000], initializer_range=0.2)
        clf = Classifier("encoder", model=str(bert), epochs=1, batch_size=32, lr=1e-3, warmup=0.0)
        out["encoder"] = clf.fit(texts[:1000], labels[:1000]).save(workdir / "encoder")
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``koclassify serve`` in a subprocess; stopped by :meth:`stop` (SIGTERM, then SIGKILL)."""

    def __init__(self, model: Path, batching: bool, log: Path, start_timeout: float = 300) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "koclassify", "serve", str(model), "--port", str(self.port)]
        args += ["--max-batch-rows", "256" if batching else "0"]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + start_timeout
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /ready HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                return sock.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


async def _worker(port: int, bodies, stop_at: float, budget: list[int], lat: list[float], status: Counter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            body = next(bodies)
            head = (
                f"POST /predict HTTP/1.1\r\nHost: bench\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n"
            ).encode()
            start = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            code = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            lat.append(time.perf_counter() - start)
            status[code] += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        status[-1] += 1  # a dropped connection counts as a failure
    finally:
        writer.close()


def load(port: int, bodies, concurrency: int, seconds: float, max_requests: int) -> dict[str, float]:
    """``concurrency`` keep-alive connections, each sending its next request when the last is answered."""
    lat: list[float] = []
    status: Counter = Counter()
    budget = [max_requests]

    async def run() -> float:
        start = time.perf_counter()
        stop_at = start + seconds
        await asyncio.gather(*(_worker(port, bodies, stop_at, budget, lat, status) for _ in range(concurrency)))
        return time.perf_counter() - start

    wall = asyncio.run(run())
    ms = np.array(lat) * 1000 if lat else np.zeros(1)
    return {
        "requests": len(lat),
        "seconds": round(wall, 2),
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "errors_5xx": sum(n for code, n in status.items() if code >= 500 or code < 0),
        "non_200": sum(n for code, n in status.items() if code != 200),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["linear", "encoder"], choices=["linear", "encoder"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 16, 64])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrency phase")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per concurrency phase")
    parser.add_argument("--rss-requests", type=int, default=50_000, help="requests between the two RSS readings")
    parser.add_argument("--rss-seconds", type=float, default=600.0, help="time cap of the RSS phase")
    parser.add_argument("--train-rows", type=int, default=5000, help="nsmc training rows for the linear model")
    parser.add_argument("--encoder-shape", default="tiny", choices=["tiny", "small"], help="tests/tiny_encoder.py")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    queries, _ = read_nsmc("test.tsv", 20_000)
    bodies = itertools.cycle([json.dumps({"texts": [t]}, ensure_ascii=False).encode() for t in queries])
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        start = time.perf_counter()
        models = train_models(Path(tmp), args.train_rows, args.models, args.encoder_shape)
        print(f"models trained in {time.perf_counter() - start:.0f} s", flush=True)
        for name, model in models.items():
            for batching in (True, False):
                mode = "on" if batching else "off"
                server = Server(model, batching, Path(tmp) / f"{name}-{mode}.log")
                try:
                    rss_start = server.rss_mb()
                    for c in args.concurrency:
                        row = {"model": name, "batching": mode, "concurrency": c}
                        row.update(load(server.port, bodies, c, args.duration, args.max_requests))
                        results.append(row)
                        print(json.dumps(row), flush=True)
                    if batching and args.rss_requests:
                        before = server.rss_mb()
                        row = {"model": name, "batching": mode, "concurrency": 16, "phase": "rss"}
                        row.update(load(server.port, bodies, 16, args.rss_seconds, args.rss_requests))
                        row.update(rss_start_mb=round(rss_start, 1), rss_before_mb=round(before, 1),
                                   rss_after_mb=round(server.rss_mb(), 1))  # fmt: skip
                        results.append(row)
                        print(json.dumps(row), flush=True)
                finally:
                    server.stop()
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def print_table(results: list[dict]) -> None:
    print("\n| model | micro-batching | concurrency | requests | req/s | p50 ms | p99 ms | 5xx |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r.get("phase") != "rss":
            print(f"| {r['model']} | {r['batching']} | {r['concurrency']} | {r['requests']} | {r['rps']} | "
                  f"{r['p50_ms']} | {r['p99_ms']} | {r['errors_5xx']} |")  # fmt: skip
    speedups = {}
    for r in results:
        if r.get("phase") != "rss" and r["batching"] == "on":
            off = [o for o in results if o.get("phase") != "rss" and o["batching"] == "off"
                   and o["model"] == r["model"] and o["concurrency"] == r["concurrency"]]  # fmt: skip
            if off and off[0]["rps"]:
                speedups[(r["model"], r["concurrency"])] = r["rps"] / off[0]["rps"]
    print("\nreq/s on / off: " + ", ".join(f"{m} c={c}: {s:.2f}x" for (m, c), s in speedups.items()))
    for r in results:  # issue 22's two targets, from the rows above
        if r.get("phase") != "rss" and r["model"] == "linear" and r["batching"] == "on" and r["concurrency"] == 16:
            print(f"linear, micro-batching on, concurrency 16: p99 {r['p99_ms']} ms (target < 50 ms, quiet machine)")
    before = {"linear": 5.52, "encoder": 6.55}  # quiet machine, 2026-11-29 (docs/benchmarks.md)
    for (model, c), gain in speedups.items():
        if c == 64:
            print(f"{model}, concurrency 64, micro-batching on / off: {gain:.2f}x req/s (to keep: {before[model]}x "
                  f"on a quiet machine before issue 22)")  # fmt: skip
    print("\n| model | requests | seconds | RSS after start-up MB | before MB | after MB | change | 5xx |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r.get("phase") == "rss":
            change = (r["rss_after_mb"] - r["rss_before_mb"]) / r["rss_before_mb"] * 100
            print(f"| {r['model']} | {r['requests']} | {r['seconds']} | {r['rss_start_mb']} | {r['rss_before_mb']} | "
                  f"{r['rss_after_mb']} | {change:+.1f}% | {r['errors_5xx']} |")  # fmt: skip


if __name__ == "__main__":
    main()
