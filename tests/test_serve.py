"""The HTTP service, through FastAPI's in-process test client (no socket)."""

from __future__ import annotations

import pytest

from koclassify import Classifier

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from koclassify.serve import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    clf = Classifier().fit(["좋아요 최고", "싫어요 최악", "좋다 멋지다", "싫다 별로"] * 5, ["긍정", "부정"] * 10)
    model_dir = tmp_path_factory.mktemp("svc") / "m"
    clf.save(model_dir)
    return TestClient(create_app(model_dir))


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["labels"] == ["긍정", "부정"] and body["backend"] == "linear"


def test_predict_texts_and_items(client: TestClient) -> None:
    body = client.post("/predict", json={"texts": ["정말 좋아요", "너무 싫어요"]}).json()
    assert [p["labels"] for p in body["predictions"]] == [["긍정"], ["부정"]]
    assert abs(sum(body["predictions"][0]["probs"].values()) - 1) < 1e-5
    body = client.post(
        "/predict", json={"items": [{"id": "a", "text": "좋아요", "target": {"form": "좋아요", "begin": 0, "end": 3}}]}
    ).json()
    assert body["predictions"][0]["id"] == "a"


def test_bad_requests(client: TestClient) -> None:
    assert client.post("/predict", json={}).status_code == 422
    bad = {"items": [{"text": "좋아요", "target": {"form": "싫어", "begin": 0, "end": 2}}]}
    response = client.post("/predict", json=bad)
    assert response.status_code == 422 and "target form" in response.text
