"""The FastAPI application: ``/predict`` (micro-batched), ``/health``, ``/ready``, ``/info``, ``/metrics``, ``/``.

Every input is answered with a 2xx or a readable 4xx: the body is checked for its content type and size before
FastAPI parses it (:class:`BodyGuard`), validation errors become one line naming the field (``items[0].text:
...``), and a :class:`KoclassifyError` from the model is a 422. A 500 means a bug.
(No ``from __future__ import annotations``: FastAPI must see the request models as real classes.)
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, ClassVar

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from koclassify.data.example import Example, Span
from koclassify.errors import KoclassifyError
from koclassify.options import Options, opt
from koclassify.serve.batching import MicroBatcher
from koclassify.serve.metrics import ServeMetrics
from koclassify.serve.model import ServedModel
from koclassify.serve.schemas import PredictRequest, PredictResponse, error_responses
from koclassify.version import __version__

log = logging.getLogger("uvicorn.error")  # uvicorn's own logger: start-up lines appear with its own

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class ServeOptions(Options):
    """Service settings (each one a ``koclassify serve`` option), declared and checked like every other option."""

    owner: ClassVar[str] = "service"

    max_batch_rows: int = opt(256, min=0, help="rows per model call when micro-batching; 0 turns it off")
    max_wait_ms: float = opt(5.0, min=0, help="how long the first request of a batch waits for others")
    max_request_rows: int = opt(1024, min=1, help="rows one request may send")
    max_body_bytes: int = opt(2_000_000, min=1, help="bytes one request body may have")
    warm: bool = opt(True, help="one prediction before taking traffic")
    trust_remote_code: bool = opt(False, help="the person's decision at start-up, never the model directory's")


def create_app(model_dir: Any, options: ServeOptions | None = None) -> FastAPI:
    """Load and warm the model, then build the app (the model is ready before the first request)."""
    opts = options or ServeOptions()
    metrics = ServeMetrics()
    model = ServedModel(model_dir, warm=opts.warm, trust_remote_code=opts.trust_remote_code)
    metrics.load_seconds.set(model.load_seconds)
    batcher = None
    if opts.max_batch_rows > 0:
        batcher = MicroBatcher(
            model.predict, max_rows=opts.max_batch_rows, max_wait_ms=opts.max_wait_ms, on_batch=metrics.observe_batch
        )
        batcher.start()
    state = {"ready": True}
    metrics.ready.set(1)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        state["ready"] = False
        metrics.ready.set(0)
        if batcher is not None:
            await run_in_threadpool(batcher.stop)

    app = FastAPI(
        title="koclassify",
        version=__version__,
        summary=f"{model.clf.backend.name} model {model.model_dir.name!r}: labels {', '.join(model.labels.names)}",
        lifespan=lifespan,
    )
    app.state.model = model
    app.state.metrics = metrics
    app.state.batcher = batcher
    app.state.options = opts
    app.state.startup_line = model.startup_line() + (
        f"; micro-batching up to {opts.max_batch_rows} rows, {opts.max_wait_ms:g} ms" if batcher else "; no batching"
    )
    log.info(app.state.startup_line)
    app.add_middleware(BodyGuard, metrics=metrics, max_body_bytes=opts.max_body_bytes)
    _add_error_handlers(app)
    static = resources.files("koclassify.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    async def model_rows(examples: list[Example]) -> list[dict[str, Any]]:
        if batcher is not None:
            return await asyncio.wrap_future(batcher.submit(examples))
        return await run_in_threadpool(model.predict, examples)

    @app.post(
        "/predict",
        response_model=None,
        responses={200: {"model": PredictResponse}, **error_responses(413, 415, 422, 503)},
        summary="labels and probabilities for texts",
    )
    async def predict(req: PredictRequest) -> JSONResponse:
        if not state["ready"]:
            raise HTTPException(503, "the model is not ready")
        if req.size > opts.max_request_rows:
            raise HTTPException(413, f"{req.size} rows: at most {opts.max_request_rows} per request")
        examples = _examples(req)
        rows = await model_rows(examples)
        return JSONResponse({"predictions": [{"id": ex.id, **row} for ex, row in zip(examples, rows)]})

    @app.get("/health", summary="the process is alive", responses=_example(HEALTH_EXAMPLE))
    def health() -> dict[str, Any]:
        return {"status": "ok", "backend": model.clf.backend.name, "labels": list(model.labels.names),
                "multi_label": model.labels.multi_label}  # fmt: skip

    @app.get("/ready", summary="the model is loaded and takes requests",
             responses={**_example({"ready": True, "load_seconds": 1.3}), **error_responses(503)})  # fmt: skip
    def ready() -> JSONResponse:
        if not state["ready"]:
            return JSONResponse({"ready": False, "detail": "the model is not ready"}, status_code=503)
        return JSONResponse({"ready": True, "load_seconds": round(model.load_seconds, 3)})

    @app.get("/info", summary="labels, thresholds, decision rule, fields, limits", responses=_example(INFO_EXAMPLE))
    def info() -> dict[str, Any]:
        return {**model.info(), "options": asdict(opts)}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response,
             responses=_example("koclassify_rows_predicted_total 42.0\n", "text/plain"))  # fmt: skip
    def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    index = (static / "index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, summary="a page to try the model", include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(index)

    return app


HEALTH_EXAMPLE = {"status": "ok", "backend": "linear", "labels": ["긍정", "부정"], "multi_label": False}
INFO_EXAMPLE = {"backend": "linear", "labels": ["긍정", "부정"], "decision": "argmax", "fields": ["artist"]}


def _example(example: Any, media: str = "application/json") -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media: {"example": example}}}}


def _examples(req: PredictRequest) -> list[Example]:
    if req.texts is not None:
        return [Example(str(i), text) for i, text in enumerate(req.texts)]
    out = []
    for i, item in enumerate(req.items or []):
        t = item.target
        span = Span(t.form, t.begin, t.end) if t is not None else None
        out.append(Example(item.id if item.id is not None else str(i), item.text, target=span, fields=item.fields))
    return out


# ----------------------------------------------------------------------------- errors
def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """Pydantic's error list as one line a person can read: ``items[0].text: text is empty; ...``."""
    parts: dict[str, str] = {}
    for err in errors:
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        if loc[:1] == ("body",):
            loc = loc[1:]
        if kind == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "")
            at = f" (at character {loc[0]})" if loc else ""
            return f"the body is not valid JSON: {reason}{at}"
        if kind == "missing" and not loc:
            return 'the body is empty: send {"texts": ["..."]} or {"items": [{"text": "..."}]}'
        msg = str(err.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        if kind == "extra_forbidden":
            msg = "unknown field" + (" (send 'texts' or 'items')" if len(loc) == 1 else "")
        elif kind in ("dict_type", "model_type", "model_attributes_type") and not loc:
            msg = 'the body must be a JSON object: {"texts": [...]} or {"items": [...]}'
        where = _where(loc)
        if where.startswith("items[") and ".fields." in where and where.count(".") > 2:
            where = where.rsplit(".", 1)[0]  # a union's member name is noise: 'fields.artist.str' -> 'fields.artist'
            msg = "a field value must be a string, a number, a list of strings or null"
        parts.setdefault(where, f"{where}: {msg}" if where else msg)
        if len(parts) == 5:
            break
    return "; ".join(parts.values()) or "invalid request"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_errors(list(exc.errors()))}, status_code=422)

    @app.exception_handler(KoclassifyError)
    async def bad_input(request: Request, exc: KoclassifyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("koclassify: unexpected error on %s", request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)


# ----------------------------------------------------------------------- body guard
def _media_type(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return None


BODY_TIMEOUT = 30.0  # seconds between two pieces of a request body: a body trickled slower is a 408


class BodyGuard:
    """ASGI middleware: counts every request for the metrics, and checks a POST body before FastAPI parses it.

    A body must be JSON (``content-type: application/json``, else 415) and at most ``max_body_bytes`` (else 413,
    checked on the declared length and again on the bytes actually read, so a chunked body cannot slip past),
    and each piece of it must arrive within :data:`BODY_TIMEOUT` seconds (else 408), so a slow body cannot hold a
    connection and its memory for ever.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], metrics: ServeMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if scope["method"] == "POST":
                problem = self._header_problem(scope)
                try:
                    body = None if problem else await self._read(receive)
                except asyncio.TimeoutError:  # (the builtin TimeoutError only from Python 3.11)
                    body, problem = b"", (408, f"the body did not arrive: nothing for {BODY_TIMEOUT:g} s")
                if body is None and problem is None:
                    problem = (413, f"the body is over {self.max_body_bytes} bytes")
                if problem is not None:
                    response = JSONResponse({"detail": problem[1]}, status_code=problem[0])
                    await response(scope, receive, send_status)
                    return
                receive = _replay(body or b"", receive)
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe_request(scope["path"], scope["method"], status, time.perf_counter() - start)

    def _header_problem(self, scope: Scope) -> tuple[int, str] | None:
        media = _media_type(scope)
        if media is None or not (media == "application/json" or media.endswith("+json")):
            got = f"got {media!r}" if media else "no content-type header"
            return 415, f"send the body as JSON with the header 'content-type: application/json' ({got})"
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return 400, "the content-length header is not a number"
                if length > self.max_body_bytes:
                    return 413, f"the body is {length} bytes: at most {self.max_body_bytes}"
        return None

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` when it grows past the limit."""
        chunks, size = [], 0
        while True:
            message = await asyncio.wait_for(receive(), BODY_TIMEOUT)
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
