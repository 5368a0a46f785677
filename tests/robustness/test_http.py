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
