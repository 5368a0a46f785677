"""The try-it page in a real headless browser (Debian's chromium driven by Playwright) against a real server.

The server runs on 127.0.0.1 on a free port in a thread of this process and is shut down afterwards. The test
saves a screenshot; with ``KOCLASSIFY_UPDATE_SCREENSHOT=1`` it also refreshes ``docs/img/serve.png`` (the README's).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from koclassify import Classifier

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/_env.sh dev)")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
# a Korean font from the page's CSS list is installed when Hangul measures differently in it than in monospace
KOREAN_FONT_JS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const width = (font) => { ctx.font = font; return ctx.measureText('기쁨과 슬픔').width; };
  const fonts = getComputedStyle(document.body).fontFamily.split(',').map(f => f.trim()).slice(0, -1);
  const base = width('16px monospace');
  return fonts.find(f => width(`16px ${f}, monospace`) !== base) || null;
}"""
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "serve.png"

ROWS = [
    ("오늘 정말 행복하고 기뻐요", ["기쁨"]),
    ("선물 받아서 너무 좋아요", ["기쁨"]),
    ("친구가 떠나서 슬프고 외로워요", ["슬픔"]),
    ("비 오는 날은 우울하고 슬퍼요", ["슬픔"]),
    ("약속을 어겨서 정말 화가 나요", ["분노"]),
    ("새치기를 하다니 짜증나고 화나요", ["분노"]),
    ("합격했다니 놀랍고 기뻐요", ["기쁨", "놀람"]),
    ("갑자기 나타나서 깜짝 놀랐어요", ["놀람"]),
    ("헤어졌는데 화도 나고 슬퍼요", ["분노", "슬픔"]),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from koclassify.serve import create_app

    texts = [t for t, _ in ROWS] * 4
    labels = [lab for _, lab in ROWS] * 4
    clf = Classifier().fit(texts, labels)
    clf.set_thresholds({"기쁨": 0.35, "슬픔": 0.4, "분노": 0.45, "놀람": 0.3})
    model_dir = clf.save(tmp_path_factory.mktemp("page") / "emotion")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(model_dir), log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


def test_page_predicts_and_draws_bars(server: str, tmp_path: Path) -> None:
    import httpx

    sentence = "시험에 합격해서 정말 기쁘고 행복해요"
    expected = httpx.post(f"{server}/predict", json={"items": [{"text": sentence}]}).json()["predictions"][0]
    thresholds = httpx.get(f"{server}/info").json()["thresholds"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 760, "height": 560}, device_scale_factor=1)
            page.goto(server + "/")
            page.wait_for_function("document.getElementById('model-info').textContent.includes('linear')")
            page.fill("#text", sentence)
            page.click("#submit")
            page.wait_for_selector("#bars .bar", timeout=15_000)
            bars = page.eval_on_selector_all(
                "#bars .bar",
                """rows => rows.map(r => ({label: r.dataset.label, prob: Number(r.dataset.prob),
                    hit: r.classList.contains('hit'), width: r.querySelector('.fill').style.width,
                    threshold: Number(r.querySelector('.threshold').dataset.threshold),
                    shown: r.querySelector('.value').textContent}))""",
            )
            chips = page.eval_on_selector_all("#labels .label-chip", "cs => cs.map(c => c.textContent)")
            korean_font = page.evaluate(KOREAN_FONT_JS)
            shot = tmp_path / "serve.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert sorted(b["label"] for b in bars) == ["기쁨", "놀람", "분노", "슬픔"]
    for bar in bars:
        assert bar["prob"] == pytest.approx(expected["probs"][bar["label"]])
        assert bar["threshold"] == pytest.approx(thresholds[bar["label"]])
        assert bar["width"] == f"{bar['prob'] * 100:.1f}%" and bar["shown"] == f"{bar['prob'] * 100:.1f}%"
        assert bar["hit"] == (bar["label"] in expected["labels"])
    assert [b["prob"] for b in bars] == sorted((b["prob"] for b in bars), reverse=True)
    assert chips == [lab for lab in expected["labels"]] and "기쁨" in chips
    assert korean_font, "no Korean font of the page's list is installed: Hangul would render as boxes"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("KOCLASSIFY_UPDATE_SCREENSHOT"):
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMAGE)
