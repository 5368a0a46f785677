"""The Ray Serve deployment with 2 replicas on a local Ray (skipped without ``ray[serve]``)."""

from __future__ import annotations

import socket
import time

import pytest

from koclassify import Classifier

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")
pytest.importorskip("ray.serve")


@pytest.mark.slow
def test_ray_serve_two_replicas(tmp_path, monkeypatch) -> None:
    import httpx
    import ray
    from ray import serve

    from koclassify.serve import ray_deployment

    model = Classifier().fit(["좋아요 최고", "싫어요 최악"] * 5, ["긍정", "부정"] * 5).save(tmp_path / "m")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(ray_deployment(model, num_replicas=2, num_cpus=0.5), name="koclassify", route_prefix="/")
        status = serve.status().applications["koclassify"].deployments["koclassify"]
        assert status.replica_states.get("RUNNING") == 2, status
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        got = httpx.post(f"{url}/predict", json={"texts": ["정말 좋아요", "너무 싫어요"]}).json()
        assert [p["labels"] for p in got["predictions"]] == [["긍정"], ["부정"]]
        bad = httpx.post(f"{url}/predict", content=b"{", headers={"content-type": "application/json"})
        assert bad.status_code == 422 and bad.json()["detail"].startswith("the body is not valid JSON")
    finally:
        serve.shutdown()
        ray.shutdown()


def test_ray_deployment_checks_the_model_dir(tmp_path) -> None:
    from koclassify.errors import ModelError
    from koclassify.serve.ray_serve import deployment

    with pytest.raises(ModelError, match="not a koclassify model directory"):
        deployment(tmp_path / "nope")
