"""`koclassify serve` as a user runs it: a bad model directory, and a real server with --workers 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from koclassify import Classifier

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")


def test_serve_a_missing_model_is_one_line(tmp_path: Path) -> None:
    for workers in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "koclassify", "serve", str(tmp_path / "nope"), "--workers", workers],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 2, result.stdout + result.stderr
        output = " ".join((result.stdout + result.stderr).split())  # the console wraps long lines
        assert "not a koclassify model directory" in output and "Traceback" not in output


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path: Path) -> None:
    import httpx

    model = Classifier().fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(tmp_path / "m")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "koclassify", "serve", str(model), "--port", str(port), "--workers", "2",
            "--max-wait-ms", "1"]  # fmt: skip
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while log.read_text().count("koclassify: serving") < 2:  # each worker loads and warms its own model
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{url}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        got = httpx.post(f"{url}/predict", json={"texts": ["정말 좋아요"]}).json()
        assert got["predictions"][0]["labels"] == ["긍정"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
