"""Crafted HTTP requests: every one gets an answer (2xx or 4xx), never a server error."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

REQUESTS: list[bytes] = [
    b'{"texts": []}', b'{"texts": [""]}', b'{"texts": ["   "]}', b'{"texts": [1]}', b'{"texts": null, "items": null}',
    b'{"texts": ["a"], "items": [{"text": "b"}]}', b'{"texts": "abc"}', b"[1, 2]", b'"x"', b"{", b"\xff\xfe", b"",
    b'{"texts": ["\\ud800"]}', b'{"texts": ["ok \\udfff ok"]}', b'{"items": [{"id": "\\ud800", "text": "ok"}]}',
    b'{"texts": [' + b"1" * 5000 + b"]}", b'{"texts": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
    b'{"texts": ["\\u0000\\u0001"]}', b'{"texts": ["' + "좋아요".encode() * 20_000 + b'"]}',
    b'{"texts": [' + b",".join([b'"a"'] * 1025) + b"]}",
    b'{"items": [{"text": "\xec\xa2\x8b\xec\x95\x84\xec\x9a\x94", "target": {"begin": -5, "end": 2}}]}',
    b'{"items": [{"text": "abc", "target": {"form": "x", "begin": 100, "end": 200}}]}',
    b'{"items": [{"text": "abc", "target": {"begin": 1000000000000000000000000000000, "end": 2}}]}',
    b'{"items": [{"text": "abc", "target": {"form": "b"}}]}', b'{"items": [{"text": "abc", "target": {"form": ""}}]}',
    b'{"items": [{"text": "abc", "target": {"form": "zz"}}]}', b'{"items": [{"text": "abc", "target": "b"}]}',
    b'{"items": [{"text": ""}]}', b'{"items": [{"id": 5, "text": "a"}]}', b'{"items": [{"id": "1", "text": "a"},'
    b' {"id": "1", "text": "b"}]}', b'{"items": [{"text": "a", "target": {"begin": 2, "end": 1, "form": "a"}}]}',
    b'{"items": [null]}', b'{"items": {}}', b'{"texts": [2e308]}', b'{"texts": [NaN]}',
]  # fmt: skip


@pytest.fixture(scope="module")
def client(model_dir: Path) -> TestClient:
    from koclassify.serve import create_app

    return TestClient(create_app(model_dir), raise_server_exceptions=False)


@pytest.mark.parametrize("body", REQUESTS, ids=[str(i) for i in range(len(REQUESTS))])
def test_crafted_request_gets_an_answer(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 200:
        assert "predictions" in response.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"items": [{"id": "1", "text": "a"}, {"id": "1", "text": "b"}]}', "duplicate id"),
        (b'{"items": [{"text": "a", "fields": {"year": NaN}}]}', "fields"),
        (b'{"items": [{"text": "a", "fields": {"year": Infinity}}]}', "fields"),
        (b'{"items": [{"text": "a", "fields": {"year": 2e308}}]}', "fields"),
    ],
    ids=["duplicate ids", "NaN field", "Infinity field", "2e308 field"],
)
def test_ambiguous_requests_are_422(client: TestClient, body: bytes, fragment: str) -> None:
    """Duplicate ids in one request (whose answer would be ambiguous) and non-finite field values are refused."""
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text[:300]
    assert fragment in response.text


def test_idle_and_slow_connections_are_closed(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that sends nothing, or never finishes its headers, is closed by the server (slowloris); a
    body that stops coming is a 408."""
    import socket
    import threading

    import uvicorn

    from koclassify.serve import app as serve_app
    from koclassify.serve import create_app, server_options

    monkeypatch.setattr(serve_app, "BODY_TIMEOUT", 1.0)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(model_dir), host="127.0.0.1", port=port, log_level="error",
                            **server_options(idle_timeout=1.0))  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(600):
            if server.started:
                break
            threading.Event().wait(0.05)
        for opening in (b"", b"GET /health HTTP/1.1\r\nHost: x\r\n"):  # nothing; headers never finished
            with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
                conn.sendall(opening)
                assert conn.recv(1024) == b"", "the server kept an idle connection open"
        body_start = (b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                      b"content-length: 100\r\n\r\n{\"texts\"")  # fmt: skip
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(body_start)  # the rest of the body never comes
            assert conn.recv(1024).startswith(b"HTTP/1.1 408"), "a trickled body held the connection"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
