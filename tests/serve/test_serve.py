"""The HTTP service in-process (FastAPI's test client and httpx's ASGI transport: no socket)."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

import koclassify
from koclassify import Classifier
from koclassify.data.example import Example

fastapi = pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from koclassify.serve import create_app  # noqa: E402
from koclassify.serve.batching import MicroBatcher  # noqa: E402

TEXTS = ["좋아요 최고", "싫어요 최악", "좋다 멋지다", "싫다 별로"] * 5
LABELS = ["긍정", "부정"] * 10


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("svc") / "m"
    Classifier().fit(TEXTS, LABELS).save(directory)
    return directory


@pytest.fixture(scope="module")
def client(model_dir) -> TestClient:
    return TestClient(create_app(model_dir))


def test_health_ready_info_and_version(client: TestClient, model_dir) -> None:
    body = client.get("/health").json()
    assert body["labels"] == ["긍정", "부정"] and body["backend"] == "linear"
    assert client.get("/ready").json()["ready"] is True
    info = client.get("/info").json()
    assert info["decision"] == "argmax" and info["fields"] == [] and info["options"]["max_batch_rows"] == 256
    # reported: FastAPI(version=...) carried the backend name
    assert client.get("/openapi.json").json()["info"]["version"] == koclassify.__version__
    line = client.app.state.startup_line
    assert str(model_dir) in line and "backend linear" in line and "긍정, 부정" in line and "decision argmax" in line


def test_warm_up_predicts_once_before_traffic(model_dir, monkeypatch) -> None:
    calls = []
    original = Classifier.predict_proba
    monkeypatch.setattr(Classifier, "predict_proba", lambda self, X, **kw: calls.append(1) or original(self, X, **kw))
    app = create_app(model_dir, max_batch_rows=0)
    load_stamp = app.state.model.load_seconds  # recorded for /metrics (a value, not a speed target)
    assert len(calls) == 1 and load_stamp is not None and load_stamp > 0
    create_app(model_dir, warm=False)
    assert len(calls) == 1


def test_predict_texts_and_items(client: TestClient) -> None:
    body = client.post("/predict", json={"texts": ["정말 좋아요", "너무 싫어요"]}).json()
    assert [p["labels"] for p in body["predictions"]] == [["긍정"], ["부정"]]
    assert abs(sum(body["predictions"][0]["probs"].values()) - 1) < 1e-5
    item = {"id": "a", "text": "좋아요", "target": {"form": "좋아요", "begin": 0, "end": 3}}
    assert client.post("/predict", json={"items": [item]}).json()["predictions"][0]["id"] == "a"
    # a form alone is looked up in the text; offsets alone get their form
    for target in ({"form": "좋아"}, {"begin": 3, "end": 5}):
        assert client.post("/predict", json={"items": [{"text": "아주 좋아요", "target": target}]}).is_success


def test_fields_reach_the_models_prior(tmp_path) -> None:
    """Reported: items carried no fields, so a model trained with a prior was served without its metadata."""
    texts = ["노래 가사 들어요", "오늘 노래 좋다", "가사 들으며 걷다", "노래 들어요"] * 6
    rows = [Example(str(i), t, labels=(lab,), fields={"artist": art})
            for i, (t, lab, art) in enumerate(zip(texts, ["사랑", "이별"] * 12, ["가수A", "가수B"] * 12))]  # fmt: skip
    directory = tmp_path / "prior"
    Classifier(prior="artist", prior_mode="multiplier", prior_options={"multiplier": 50.0}).fit(rows).save(directory)
    client = TestClient(create_app(directory))
    assert client.get("/info").json()["fields"] == ["artist"]
    items = [{"text": "노래 들어요", "fields": {"artist": a}} for a in ("가수A", "가수B")]
    got = client.post("/predict", json={"items": items}).json()["predictions"]
    assert [p["labels"] for p in got] == [["사랑"], ["이별"]]


BAD_REQUESTS: list[tuple[str, dict]] = [
    ("no content type", {"content": b'{"texts": ["a"]}'}),
    ("form encoded", {"content": b"texts=a", "headers": {"content-type": "application/x-www-form-urlencoded"}}),
    ("text/plain", {"content": "좋아요".encode(), "headers": {"content-type": "text/plain"}}),
    ("empty body", {"content": b"", "headers": {"content-type": "application/json"}}),
    ("malformed json", {"content": b'{"texts": ["a",', "headers": {"content-type": "application/json"}}),
    ("not utf-8", {"content": b'{"texts": ["\xff\xfe"]}', "headers": {"content-type": "application/json"}}),
    ("deep nesting", {"content": b"[" * 100_000 + b"]" * 100_000, "headers": {"content-type": "application/json"}}),
    ("NaN", {"content": b'{"texts": NaN}', "headers": {"content-type": "application/json"}}),
    ("lone surrogate", {"content": b'{"texts": ["\\ud800"]}', "headers": {"content-type": "application/json"}}),
    ("huge number", {"content": b'{"texts": [1e999]}', "headers": {"content-type": "application/json"}}),
    ("a list", {"json": ["좋아요"]}),
    ("a string", {"json": "좋아요"}),
    ("null", {"json": None}),
    ("empty object", {"json": {}}),
    ("both", {"json": {"texts": ["a"], "items": [{"text": "a"}]}}),
    ("typo key", {"json": {"text": ["a"]}}),
    ("texts not a list", {"json": {"texts": "좋아요"}}),
    ("texts of numbers", {"json": {"texts": [1, 2]}}),
    ("empty text", {"json": {"texts": ["좋아요", ""]}}),
    ("blank text", {"json": {"texts": ["   \n"]}}),
    ("no texts", {"json": {"texts": []}}),
    ("item without text", {"json": {"items": [{"id": "1"}]}}),
    ("item text a number", {"json": {"items": [{"text": 5}]}}),
    ("item unknown key", {"json": {"items": [{"text": "a", "label": "x"}]}}),
    ("id an object", {"json": {"items": [{"text": "a", "id": {"x": 1}}]}}),
    ("target mismatch", {"json": {"items": [{"text": "좋아요", "target": {"form": "싫어", "begin": 0, "end": 2}}]}}),
    ("target outside", {"json": {"items": [{"text": "좋아요", "target": {"begin": 2, "end": 99}}]}}),
    ("target reversed", {"json": {"items": [{"text": "좋아요", "target": {"begin": 2, "end": 1}}]}}),
    ("target negative", {"json": {"items": [{"text": "좋아요", "target": {"begin": -1, "end": 1}}]}}),
    ("target half", {"json": {"items": [{"text": "좋아요", "target": {"begin": 1}}]}}),
    ("target absent form", {"json": {"items": [{"text": "좋아요", "target": {"form": "싫어"}}]}}),
    ("target a string", {"json": {"items": [{"text": "좋아요", "target": "좋아"}]}}),
    ("fields nested", {"json": {"items": [{"text": "a", "fields": {"artist": {"name": "x"}}}]}}),
    ("fields a list", {"json": {"items": [{"text": "a", "fields": ["artist"]}]}}),
    ("too many rows", {"json": {"texts": ["좋아요"] * 1025}}),
    ("oversize body", {"json": {"texts": ["좋아요" * 400_000]}}),
    (
        "oversize chunked",
        {
            "content": iter([b'{"texts": ["' + b"a" * 1_500_000, b"a" * 1_500_000 + b'"]}']),
            "headers": {"content-type": "application/json"},
        },
    ),  # fmt: skip
    (
        "bad content-length",
        {"content": b"{}", "headers": {"content-type": "application/json", "content-length": "abc"}},
    ),  # fmt: skip
]


@pytest.mark.parametrize("name,kwargs", BAD_REQUESTS, ids=[n for n, _ in BAD_REQUESTS])
def test_bad_requests_get_a_readable_4xx(client: TestClient, name: str, kwargs: dict) -> None:
    response = client.post("/predict", **kwargs)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and 0 < len(detail) < 300 and "{'type'" not in detail, detail


@pytest.mark.parametrize("text", ["a\u0000b", "😀 🙂", "!" * 5000, "가" * 100_000, "\t\n좋아요\r"])
def test_odd_but_valid_texts_are_predicted(client: TestClient, text: str) -> None:
    response = client.post("/predict", json={"items": [{"text": text, "fields": {"x": ["a", "b"], "y": 3}}]})
    assert response.status_code == 200 and len(response.json()["predictions"]) == 1


def test_bad_request_messages(client: TestClient) -> None:
    def detail(**kwargs) -> tuple[int, str]:
        response = client.post("/predict", **kwargs)
        return response.status_code, response.json()["detail"]

    assert detail(content=b'{"texts": ["a"]}') == (415, detail(content=b"{}")[1])
    assert "content-type: application/json" in detail(content=b"{}")[1]
    status, msg = detail(content=b'{"texts": ["a",', headers={"content-type": "application/json"})
    assert status == 422 and msg.startswith("the body is not valid JSON")
    assert detail(json={"texts": ["좋아요", ""]})[1].startswith("texts[1]:")
    assert "items[0].text" in detail(json={"items": [{"text": 5}]})[1]
    assert "target form '싫어'" in detail(json={"items": [{"text": "좋아요", "target": {"form": "싫어"}}]})[1]
    assert detail(json={"text": ["a"]})[1] == "text: unknown field (send 'texts' or 'items')"
    assert detail(json={"texts": ["a"] * 1025})[0] == 413


def test_micro_batching_shares_model_calls(model_dir) -> None:
    """16 concurrent requests, one model call: the batch closes when its 16 rows are in."""
    app = create_app(model_dir, max_batch_rows=16, max_wait_ms=5000)
    calls = _count_backend_calls(app)
    texts = [f"{w} {i}" for i, w in enumerate(["정말 좋아요", "너무 싫어요"] * 8)]
    answers = asyncio.run(_concurrent(app, [{"texts": [t]} for t in texts]))
    assert len(calls) == 1 and calls[0] == 16
    expected = app.state.model.predict([Example(str(i), t) for i, t in enumerate(texts)])
    assert [a["predictions"][0]["probs"] for a in answers] == [e["probs"] for e in expected]
    metrics = app.state.metrics
    assert metrics.value("koclassify_batch_rows_sum") == 16 and metrics.value("koclassify_batch_requests_sum") == 16

    off = create_app(model_dir, max_batch_rows=0)
    calls = _count_backend_calls(off)
    asyncio.run(_concurrent(off, [{"texts": [t]} for t in texts]))
    assert len(calls) == 16


def test_batcher_splits_results_and_isolates_failures() -> None:
    seen: list[list[int]] = []

    def predict(rows: list[int]) -> list[int]:
        seen.append(list(rows))
        if -1 in rows:
            raise ValueError("bad row")
        return [r * 10 for r in rows]

    batcher: MicroBatcher[int, int] = MicroBatcher(predict, max_rows=4, max_wait_ms=200)
    batcher.start()
    futures = [batcher.submit(rows) for rows in ([1, 2], [3], [4, 5], [6, 7, 8, 9, 10])]
    assert [f.result(5) for f in futures] == [[10, 20], [30], [40, 50], [60, 70, 80, 90, 100]]
    assert seen[:3] == [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]  # never over 4 rows, unless one request is larger
    bad, good = batcher.submit([-1]), batcher.submit([2])
    with pytest.raises(ValueError, match="bad row"):
        bad.result(5)
    assert good.exception(5) is not None or good.result(5) == [20]  # shared the failing call, or came after it
    assert batcher.submit([3]).result(5) == [30]  # the worker lives on
    batcher.stop()
    assert not batcher.running


def test_metrics_in_prometheus_format(model_dir) -> None:
    client = TestClient(create_app(model_dir))
    client.post("/predict", json={"texts": ["좋아요", "싫어요"]})
    client.post("/predict", json={})
    text = client.get("/metrics").text
    for needle in (
        'koclassify_requests_total{method="POST",path="/predict",status="200"} 1.0',
        'koclassify_requests_total{method="POST",path="/predict",status="422"} 1.0',
        'koclassify_request_seconds_bucket{le="0.5",path="/predict"}',
        "koclassify_batch_rows_count 1.0",
        "koclassify_rows_predicted_total 2.0",
        "koclassify_model_load_seconds ",
        "koclassify_ready 1.0",
    ):
        assert needle in text, needle


def test_openapi_has_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    request = spec["components"]["schemas"]["PredictRequest"]
    assert request["examples"][0]["texts"]
    predict = spec["paths"]["/predict"]["post"]["responses"]
    assert {"200", "413", "415", "422", "503"} <= set(predict)
    assert "example" in json.dumps(spec["paths"]["/health"]) and "example" in json.dumps(spec["paths"]["/metrics"])


def test_page_and_its_assets_are_local(client: TestClient) -> None:
    html = client.get("/").text
    assert 'src="static/page.js"' in html and "://" not in html
    for asset in ("/static/page.js", "/static/page.css"):
        body = client.get(asset).text
        assert body and "://" not in body  # nothing fetched from a CDN


def _count_backend_calls(app) -> list[int]:
    calls: list[int] = []
    backend = app.state.model.clf.backend
    original = backend.predict_proba

    def counted(examples, *args, **kwargs) -> np.ndarray:
        calls.append(len(examples))
        return original(examples, *args, **kwargs)

    backend.predict_proba = counted
    return calls


async def _concurrent(app, bodies: list[dict]) -> list[dict]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(*(client.post("/predict", json=b) for b in bodies))
    assert all(r.status_code == 200 for r in responses)
    return [r.json() for r in responses]
