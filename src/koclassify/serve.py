"""An HTTP service over a model directory (FastAPI): ``POST /predict`` returns labels and probabilities.

The model is loaded once at start-up; the linear backend's morpheme cache then warms up with traffic.
(No ``from __future__ import annotations`` here: FastAPI must see the request models, defined in
``create_app``, as real classes.)
"""

import json
from pathlib import Path
from typing import Any

from koclassify.api import Classifier
from koclassify.data.example import Example, Span
from koclassify.errors import KoclassifyError, MissingDependencyError

MAX_BATCH = 1024


def create_app(model_dir: str | Path, *, trust_remote_code: bool = False) -> Any:
    try:
        from fastapi import FastAPI, HTTPException
        from pydantic import BaseModel, Field
    except ImportError:
        raise MissingDependencyError("fastapi", "serve") from None

    clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
    labels = clf.labels_
    assert labels is not None

    class Target(BaseModel):
        form: str | None = None
        begin: int | None = None
        end: int | None = None

    class Item(BaseModel):
        id: str | None = None
        text: str = Field(min_length=1)
        target: Target | None = None

    class Request(BaseModel):
        texts: list[str] | None = Field(default=None, description="plain texts")
        items: list[Item] | None = Field(default=None, description="texts with ids and optional target spans")

    app = FastAPI(title="koclassify", version=clf.backend.name)

    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    @app.exception_handler(RequestValidationError)
    def invalid(request: Any, exc: RequestValidationError) -> Any:
        """422 without echoing the input: a NaN or 2e308 in it cannot be written as JSON (it was a 500)."""
        errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": json.loads(json.dumps(errors, default=str))})

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "backend": clf.backend.name, "labels": list(labels.names),
                "multi_label": labels.multi_label}  # fmt: skip

    @app.post("/predict")
    def predict(req: Request) -> dict[str, Any]:
        if (req.texts is None) == (req.items is None):
            raise HTTPException(422, "send exactly one of 'texts' or 'items'")
        if req.texts is not None:
            examples = [Example(str(i), t) for i, t in enumerate(req.texts)]
        else:
            examples = []
            for i, item in enumerate(req.items or []):
                span = None
                if item.target is not None:
                    t = item.target
                    if t.form is not None and t.begin is not None and item.text[t.begin : t.end] != t.form:
                        raise HTTPException(422, f"items[{i}]: target form {t.form!r} != text[{t.begin}:{t.end}]")
                    span = Span(t.form, t.begin, t.end)
                examples.append(Example(item.id or str(i), item.text, target=span))
        if len(examples) > MAX_BATCH:
            raise HTTPException(413, f"at most {MAX_BATCH} texts per request")
        try:
            json.dumps([[ex.id, ex.text] for ex in examples], ensure_ascii=False).encode("utf-8")
            probs = clf.predict_proba(examples)
        except UnicodeEncodeError:
            raise HTTPException(422, "a text or id holds a lone surrogate (not valid Unicode)") from None
        except KoclassifyError as exc:
            raise HTTPException(422, str(exc)) from None
        decisions = clf.decide(probs)
        return {
            "predictions": [
                {
                    "id": ex.id,
                    "labels": list(labels.decode(row)),
                    "probs": {n: round(float(p), 6) for n, p in zip(labels.names, prow)},
                }  # fmt: skip
                for ex, row, prow in zip(examples, decisions, probs)
            ]
        }

    return app
