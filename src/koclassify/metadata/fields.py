"""Metadata columns: reading a field's values, normalising dates, putting fields into the text, split mode.

Priors, group-safe splits and text fields all need the same thing: the values of one column of a row, with
multi-valued cells (``"빅토, 제이린"``) split outside brackets (``"S (강타, 신혜성, 이지훈)"`` stays one artist),
``-``/empty meaning 'unknown', and dates in any of the formats real data mixes (``2012.02.10``, ``20120210``,
``2008-12``, ``2009``) reduced to a comparable key. A field *spec* is ``name`` or ``name:part`` with part
``year``, ``decade`` or ``month`` for date columns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from koclassify.data.convert import expand_per_label
from koclassify.data.example import Example
from koclassify.data.formats.table import split_multi
from koclassify.errors import DataError
from koclassify.options import MULTI_VALUE_MODES  # declared once, with the other options

DATE_PARTS = ("year", "decade", "month")
UNKNOWN = ("", "-")  # cells that mean 'no value', as for labels
# Korean tags for the lyrics columns; any other column is tagged with its own name.
FIELD_TAGS = {
    "artist": "가수",
    "album": "앨범",
    "song_name": "제목",
    "release_date": "발매일",
    "genre": "장르",
    "lyric_writer": "작사",
    "composer": "작곡",
    "arranger": "편곡",
}
_DATE = re.compile(r"^(\d{4})(?:[.\-/ ]?(\d{1,2}))?(?:[.\-/ ]?(\d{1,2}))?\.?$")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"release_date:year"`` -> ``("release_date", "year")``; a plain name has no part."""
    name, _, part = spec.strip().partition(":")
    if not name:
        raise ValueError(f"empty field name in {spec!r}")
    if part and part not in DATE_PARTS:
        raise ValueError(f"unknown field part {part!r} in {spec!r}; choose one of {DATE_PARTS}")
    return name, part or None


def normalize_date(value: str) -> str | None:
    """An ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) from the mixed formats of real data, or ``None``.

    Accepts ``2012.02.10``, ``2012-2-10``, ``20120210``, ``2008.04``, ``200804``, ``2009`` (trailing dot allowed);
    an impossible month or day makes it unparseable rather than silently wrong.
    """
    text = value.strip()
    digits = text.isdigit()
    if digits and len(text) in (6, 8):
        text = f"{text[:4]}.{text[4:6]}" + (f".{text[6:]}" if len(text) == 8 else "")
    match = _DATE.match(text)
    if match is None or (digits and len(value.strip()) not in (4, 6, 8)):
        return None
    year, month, day = match.groups()
    if month is None:
        return year if day is None else None
    if not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{year}-{int(month):02d}"
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_part(iso: str, part: str) -> str | None:
    """``year`` (``2012``), ``decade`` (``2010s``) or ``month`` (``2012-02``; ``None`` when only a year is known)."""
    if part == "year":
        return iso[:4]
    if part == "decade":
        return f"{iso[:3]}0s"
    return iso[:7] if len(iso) >= 7 else None


def field_values(example: Example, spec: str, sep: str = ",") -> list[str] | None:
    """The values of ``spec`` in one row: ``[]`` when empty/unknown, ``None`` when a date part is unparseable.

    Lists (JSON Lines) are taken as they are; strings are split on ``sep`` outside brackets.
    """
    name, part = parse_spec(spec)
    raw = example.fields.get(name)
    if raw is None:
        return []
    items = [str(v) for v in raw] if isinstance(raw, (list, tuple)) else split_multi(str(raw), sep)
    values = [v.strip() for v in items if v.strip() not in UNKNOWN]
    if part is None:
        return list(dict.fromkeys(values))
    out = []
    for value in values:
        iso = normalize_date(value)
        key = date_part(iso, part) if iso else None
        if key is None:
            return None
        out.append(key)
    return list(dict.fromkeys(out))


def check_fields(examples: Sequence[Example], specs: Sequence[str], source: str) -> None:
    """Fail early, naming the columns there are, when a requested field is in no row at all (a typo)."""
    present = {k for ex in examples for k in ex.fields}
    for spec in specs:
        name, _ = parse_spec(spec)
        if examples and name not in present:
            raise DataError(f"{source}: no column {name!r}; the extra columns are {sorted(present)}", field=name)


# ------------------------------------------------------------------------------------------ text fields
def text_field_tags(text_fields: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """``["artist", "album"]`` or ``{"artist": "가수"}`` -> spec -> tag, with Korean tags for the lyrics columns.

    A list item may carry its tag as ``"artist=가수"``.
    """
    if isinstance(text_fields, Mapping):
        items = list(text_fields.items())
    else:
        items = [(s.partition("=")[0], s.partition("=")[2]) for s in text_fields]
    tags: dict[str, str] = {}
    for spec, tag in items:
        spec = spec.strip()
        name, _ = parse_spec(spec)
        tags[spec] = (tag or "").strip() or FIELD_TAGS.get(name, name)
    return tags


def with_text_fields(examples: Sequence[Example], tags: Mapping[str, str], sep: str = ",") -> list[Example]:
    """Each text prefixed by ``[가수] 아이유 [앨범] Palette`` lines, so text-only backends see the metadata.

    Target offsets shift with the prefix; empty or unknown values are left out (not written as ``-``).
    """
    if not tags:
        return list(examples)
    out = []
    for ex in examples:
        parts = []
        for spec, tag in tags.items():
            values = field_values(ex, spec, sep)
            if values:
                parts.append(f"[{tag}] {', '.join(values)}")
        if not parts:
            out.append(ex)
            continue
        prefix = " ".join(parts) + "\n"
        target = ex.target
        if target is not None and target.begin is not None and target.end is not None:
            target = replace(target, begin=target.begin + len(prefix), end=target.end + len(prefix))
        out.append(replace(ex, text=prefix + ex.text, target=target))
    return out


def instruction_template(
    columns: Sequence[str],
    instruction: str = "다음 정보를 읽고 알맞은 분류를 답하시오.",
    answer: str = "### 응답:",
    tags: Mapping[str, str] | None = None,
) -> str:
    """An instruction / context / response prompt over ``columns`` for the ``llm`` backend's ``template=``.

    >>> print(instruction_template(["artist", "album"]))  # doctest: +NORMALIZE_WHITESPACE
    ### 지시: 다음 정보를 읽고 알맞은 분류를 답하시오.
    ### 맥락:
    [가수] {artist}
    [앨범] {album}
    {text}
    ### 응답:
    """
    tags = {**text_field_tags(list(columns)), **(tags or {})}
    lines = [f"[{tag}] {{{spec}}}" for spec, tag in tags.items()]
    if any(":" in spec for spec in tags):
        raise ValueError("the llm template takes plain column names; put date parts in with text_fields instead")
    return "\n".join([f"### 지시: {instruction}", "### 맥락:", *lines, "{text}", answer])


# ------------------------------------------------------------------------------------------ multi-valued labels
@dataclass
class StepReport:
    """What one data step did: rows in, rows out, and every removal with its reason (nothing silently dropped)."""

    step: str
    rows_in: int
    rows_out: int
    removed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        why = [f"removed {n} ({reason})" for reason, n in self.removed.items() if n]
        return "; ".join([f"{self.step}: {self.rows_in} rows -> {self.rows_out}", *why, *self.notes])

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "removed": self.removed,
            "notes": self.notes,
        }


def split_instances(examples: Sequence[Example], source: str = "data") -> tuple[list[Example], StepReport]:
    """The KoBERT lyrics recipe's oversampling: one single-label instance per value of a multi-valued label cell.

    Instances keep their row's id in ``fields["source_id"]`` (the group that splits must keep together).
    Rows without any label cannot be a multi-class instance: they are removed and counted.
    """
    labelled = [ex for ex in examples if ex.labels]
    expanded = expand_per_label(labelled)
    report = StepReport(f"{source}: split multi-valued labels", len(examples), len(expanded))
    report.removed["no label ('-' or empty cell)"] = sum(
        1 for ex in examples if ex.labels is not None and not ex.labels
    )
    report.removed["no gold column"] = sum(1 for ex in examples if ex.labels is None)
    return expanded, report


def check_multi_value(mode: str | None) -> str | None:
    if mode is not None and mode not in MULTI_VALUE_MODES:
        raise ValueError(f"multi_value must be one of {MULTI_VALUE_MODES}, got {mode!r}")
    return mode
