"""How to read a file: format and column layout. Stored in the model directory so later commands reuse it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

FORMATS = ("nikl", "csv", "tsv", "jsonl", "parquet")


@dataclass
class ReadOptions:
    """Layout options shared by every command and the config file. ``None`` means 'detect'."""

    format: str | None = None  # one of FORMATS; detected from extension and content when None
    text_col: str | None = None  # table: text column name (or 0-based index with no_header)
    label_col: str | None = None  # table: label column; a cell may hold several labels joined by label_sep
    label_sep: str | None = None  # separator inside a label cell, e.g. "," for "발라드, 댄스"
    label_cols: list[str] | None = None  # table, wide format: one 0/1 column per label
    multi_label: bool | None = None  # force the task type
    no_header: bool = False  # table without a header row (columns are 0, 1, 2 ...)
    label_names: str | list[str] | None = None  # file of label names, one a line (or the names); cells index it
    id_col: str | None = None  # table: id column (row number when absent)
    target_col: str | None = None  # table: a target form column (NIKL-style target-conditioned data)
    lenient: bool = False  # repair target offsets by searching the form, keep empty texts; counted in repairs

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; choose one of {FORMATS}")

    def merged(self, **overrides: Any) -> ReadOptions:
        """A copy where every non-None override replaces the stored value."""
        data = asdict(self)
        data.update({k: v for k, v in overrides.items() if v is not None and v is not False})
        return ReadOptions(**data)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}

    @classmethod
    def from_json(cls, obj: dict[str, Any] | None) -> ReadOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (obj or {}).items() if k in known})
