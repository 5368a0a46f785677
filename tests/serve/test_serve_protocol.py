"""The service's HTTP protocols over a real socket: httptools when installed (less CPU per request, issue 22), h11
otherwise; both answer requests on a kept-alive connection and close idle or half-sent ones (slowloris)."""

from __future__ import annotations

import json
import socket
import threading

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


@pytest.mark.parametrize("http", [H11, HTTPTOOLS], ids=["h11", "httptools"])
def test_keep_alive_answers_and_idle_connections_closed(model_dir, http: str) -> None:
    if http == HTTPTOOLS:
        pytest.importorskip("httptools")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(model_dir)  # an app serves one server: its shutdown stops the batcher
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **server_options(1.0, http=http))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(600):
            if server.started:
                break
            threading.Event().wait(0.05)
        body = json.dumps({"texts": ["좋아요 최고"]}, ensure_ascii=False).encode()
        request = (f"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                   f"content-length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            for _ in range(3):  # one connection, several requests
                conn.sendall(request)
                status, answer = _answer(conn)
                assert status == 200 and answer["predictions"][0]["labels"] == ["긍정"]
            assert conn.recv(1024) == b"", "an idle kept-alive connection stayed open"
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            assert conn.recv(1024) == b"", "a connection with half-sent headers stayed open"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
