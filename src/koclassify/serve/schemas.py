"""Request and response bodies of the HTTP service (pydantic), with the examples the OpenAPI page shows.

Unknown keys are refused (``"text"`` for ``"texts"`` gets a clear error instead of an empty answer), empty or
blank texts are refused, and a target span is checked against its text and completed (a form alone gets its
offsets, offsets alone get their form), so backends only ever see consistent spans.
"""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]  # NaN or 2e308 in a field is a 422, not a NaN prior
FieldValue = str | int | FiniteFloat | list[str] | None


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("text is empty (only whitespace)")
    return text


Text = Annotated[str, Field(min_length=1, description="the text to classify"), AfterValidator(_not_blank)]


class Target(BaseModel):
    """A target inside the text (``text[begin:end] == form``): a form alone is looked up in the text."""

    model_config = ConfigDict(extra="forbid")
    form: str | None = Field(default=None, min_length=1, examples=["신형 세탁기"])
    begin: int | None = Field(default=None, ge=0, examples=[0])
    end: int | None = Field(default=None, ge=0, examples=[6])


class Item(BaseModel):
    """One text with an optional id, target span and metadata fields (for a model's prior or text fields)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=256)
    text: Text
    target: Target | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict, examples=[{"artist": "아이유"}])

    @model_validator(mode="after")
    def _span(self) -> "Item":
        t = self.target
        if t is None:
            return self
        if (t.begin is None) != (t.end is None):
            raise ValueError("target: give both begin and end, or neither")
        if t.begin is not None and t.end is not None:
            if not t.begin <= t.end <= len(self.text):
                raise ValueError(f"target: begin={t.begin}, end={t.end} outside the text (length {len(self.text)})")
            span = self.text[t.begin : t.end]
            if t.form is None:
                self.target = Target(form=span, begin=t.begin, end=t.end)
            elif span != t.form:
                raise ValueError(f"target form {t.form!r} != text[{t.begin}:{t.end}] ({span!r})")
        elif t.form is not None:
            begin = self.text.find(t.form)
            if begin < 0:
                raise ValueError(f"target form {t.form!r} does not occur in the text")
            self.target = Target(form=t.form, begin=begin, end=begin + len(t.form))
        return self


class PredictRequest(BaseModel):
    """Exactly one of ``texts`` (plain strings) or ``items`` (with ids, targets and fields)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"texts": ["배송이 빨라서 좋아요", "다시는 안 사요"]},
                {
                    "items": [
                        {"id": "1", "text": "신형 세탁기 정말 좋다", "target": {"form": "신형 세탁기"}},
                        {"id": "2", "text": "밤편지를 들으며", "fields": {"artist": "아이유"}},
                    ]
                },
            ]
        },
    )
    texts: list[Text] | None = Field(default=None, description="plain texts")
    items: list[Item] | None = Field(default=None, description="texts with ids, target spans and fields")

    @model_validator(mode="after")
    def _one_of(self) -> "PredictRequest":
        if (self.texts is None) == (self.items is None):
            raise ValueError("send exactly one of 'texts' or 'items'")
        if not (self.texts or self.items):
            raise ValueError("no texts: send at least one")
        seen: set[str] = set()
        for item in self.items or []:
            if item.id is not None:
                if item.id in seen:
                    raise ValueError(f"duplicate id {item.id[:60]!r} in items: the answers would be ambiguous")
                seen.add(item.id)
        return self

    @property
    def size(self) -> int:
        return len(self.texts if self.texts is not None else self.items or [])


class Prediction(BaseModel):
    id: str
    labels: list[str]
    probs: dict[str, float]


class PredictResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"predictions": [{"id": "0", "labels": ["긍정"], "probs": {"긍정": 0.93, "부정": 0.07}}]}]
        }
    )
    predictions: list[Prediction]


class ErrorResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "items[0].text: text is empty"}]})
    detail: str


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint may answer."""
    meaning = {
        413: "too many rows, or a body over the size limit",
        415: "the body is not sent as application/json",
        422: "malformed JSON, wrong types, empty texts, inconsistent targets",
        503: "the model is not loaded (starting or shutting down)",
    }
    return {code: {"model": ErrorResponse, "description": meaning[code]} for code in codes}
