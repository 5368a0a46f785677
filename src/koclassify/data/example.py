"""The unit every reader produces and every backend consumes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Span:
    """A target inside the text: ``text[begin:end] == form``. ``None`` offsets mean 'the whole sentence'."""

    form: str | None
    begin: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"form": self.form, "begin": self.begin, "end": self.end}


@dataclass(frozen=True)
class Example:
    """One row: an id, its text, an optional target span, its gold labels and any other columns.

    ``labels`` is ``None`` when the row carries no gold (a test file); an empty tuple means
    'gold, and no label applies' (multi-label).
    """

    id: str
    text: str
    target: Span | None = None
    labels: tuple[str, ...] | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def target_form(self) -> str | None:
        return self.target.form if self.target is not None else None

    def with_labels(self, labels: tuple[str, ...] | None) -> Example:
        return replace(self, labels=labels)

    def with_text(self, text: str) -> Example:
        return replace(self, text=text)
