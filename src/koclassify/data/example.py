"""The unit every reader produces and every backend consumes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from koclassify.errors import DataError


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


TextsLike = str | Example | Sequence[str | Example]
LabelsLike = Sequence[str | Sequence[str]] | None


def as_examples(X: TextsLike, y: LabelsLike = None) -> list[Example]:
    """Accept one text, a list of texts, or :class:`Example` objects; attach ``y`` when given."""
    if isinstance(X, (str, Example)):
        X = [X]
        if y is not None and (isinstance(y, str) or not isinstance(y, Sequence) or len(y) != 1):
            one: Any = y
            y = [one]
    examples = [x if isinstance(x, Example) else Example(id=str(i), text=x) for i, x in enumerate(X)]
    for ex in examples:
        if not isinstance(ex.text, str):
            raise DataError(f"row id={ex.id!r}: text must be a string, got {type(ex.text).__name__}")
        if not ex.text.isascii():
            try:
                ex.text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise DataError(
                    f"row id={ex.id!r}: text holds {ex.text[exc.start : exc.end]!r}, a lone surrogate (not valid "
                    "Unicode)"
                ) from None
    if y is None:
        return examples
    if len(y) != len(examples):
        raise DataError(f"got {len(examples)} texts but {len(y)} labels")
    return [ex.with_labels((lab,) if isinstance(lab, str) else tuple(lab)) for ex, lab in zip(examples, y)]
