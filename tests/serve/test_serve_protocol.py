"""The service's HTTP protocols over a real socket: httptools when installed (less CPU per request, issue 22), h11
otherwise; both answer requests on a kept-alive connection and close idle or half-sent ones (slowloris)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from koclassify import Classifier

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from koclassify.serve import create_app  # noqa: E402
from koclassify.serve.server import H11, HTTPTOOLS, protocol, server_options  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    texts = ["좋아요 최고", "싫어요 최악", "좋다 멋지다", "싫다 별로"] * 5
    return Classifier().fit(texts, ["긍정", "부정"] * 10).save(tmp_path_factory.mktemp("proto") / "m")


def test_httptools_is_chosen_when_installed() -> None:
    pytest.importorskip("httptools")
    assert protocol() == HTTPTOOLS and server_options()["http"] == HTTPTOOLS
    assert server_options(http=H11)["http"] == H11


def _answer(conn: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return int(head.split()[1]), json.loads(body)


@contextlib.contextmanager
def serving(model_dir, http: str) -> Iterator[int]:
    """A fresh app (its shutdown stops its batcher) on a free port, uvicorn in a thread; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn: no race for the port
    options = server_options(1.0, http=http)
    server = uvicorn.Server(uvicorn.Config(create_app(model_dir), log_level="error", **options))
    runner = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    runner.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        runner.join(timeout=30)
        sock.close()


@pytest.mark.parametrize("http", [H11, HTTPTOOLS], ids=["h11", "httptools"])
def test_keep_alive_answers_and_idle_connections_closed(model_dir, http: str) -> None:
    if http == HTTPTOOLS:
        pytest.importorskip("httptools")
    body = json.dumps({"texts": ["좋아요 최고"]}, ensure_ascii=False).encode()
    request = (f"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
               f"content-length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
    with serving(model_dir, http) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            for _ in range(3):  # one connection, several requests
                conn.sendall(request)
                status, answer = _answer(conn)
                assert status == 200 and answer["predictions"][0]["labels"] == ["긍정"]
            assert conn.recv(1024) == b"", "an idle kept-alive connection stayed open"
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            assert conn.recv(1024) == b"", "a connection with half-sent headers stayed open"
