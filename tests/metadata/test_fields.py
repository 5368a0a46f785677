"""Field values of real metadata: mixed date formats, multi-valued cells, unknown values, text prefixes."""

from __future__ import annotations

import pytest

from koclassify.data.example import Example, Span
from koclassify.metadata.fields import (
    field_values,
    instruction_template,
    normalize_date,
    parse_spec,
    split_instances,
    text_field_tags,
    with_text_fields,
)


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2012.02.10", "2012-02-10"),
        ("2012-2-1", "2012-02-01"),
        ("20120210", "2012-02-10"),
        ("2012/02/10.", "2012-02-10"),
        ("2008.04", "2008-04"),
        ("200804", "2008-04"),
        (" 2009 ", "2009"),
        ("2012.13.01", None),  # no month 13
        ("2011.02.30", None),  # no 30 February
        ("12345", None),
        ("미상", None),
        ("", None),
    ],
)
def test_normalize_date(raw: str, iso: str | None) -> None:
    assert normalize_date(raw) == iso


def row(**fields: object) -> Example:
    return Example("1", "가사", fields=dict(fields))


def test_field_values_split_outside_brackets_with_or_without_spaces() -> None:
    assert field_values(row(artist="빅토, 제이린"), "artist") == ["빅토", "제이린"]
    assert field_values(row(artist="빅토,제이린 ,빅토"), "artist") == ["빅토", "제이린"]
    assert field_values(row(artist="S (강타, 신혜성, 이지훈)"), "artist") == ["S (강타, 신혜성, 이지훈)"]
    assert field_values(row(artist=["A", " B "]), "artist") == ["A", "B"], "JSON lists are kept as lists"
    for unknown in ("-", "", " , "):
        assert field_values(row(artist=unknown), "artist") == []
    assert field_values(row(), "artist") == []


def test_date_parts() -> None:
    assert field_values(row(d="20120210"), "d:year") == ["2012"]
    assert field_values(row(d="2012.02.10"), "d:decade") == ["2010s"]
    assert field_values(row(d="2012.02.10"), "d:month") == ["2012-02"]
    assert field_values(row(d="2012"), "d:month") is None, "a bare year has no month"
    assert field_values(row(d="언젠가"), "d:year") is None
    with pytest.raises(ValueError, match="unknown field part"):
        parse_spec("d:week")


def test_text_fields_prefix_and_target_offsets_shift() -> None:
    tags = text_field_tags(["artist", "album=음반", "release_date:year"])
    assert tags == {"artist": "가수", "album": "음반", "release_date:year": "발매일"}
    ex = Example(
        "1",
        "너를 사랑해",
        target=Span("너", 0, 1),
        fields={"artist": "아이유", "album": "-", "release_date": "20120210"},
    )
    (out,) = with_text_fields([ex], tags)
    assert out.text == "[가수] 아이유 [발매일] 2012\n너를 사랑해"
    assert out.text[out.target.begin : out.target.end] == "너"
    assert with_text_fields([ex], {}) == [ex]


def test_instruction_template_lists_the_columns() -> None:
    template = instruction_template(["artist", "album"], instruction="장르를 고르시오.")
    assert template.splitlines() == [
        "### 지시: 장르를 고르시오.",
        "### 맥락:",
        "[가수] {artist}",
        "[앨범] {album}",
        "{text}",
        "### 응답:",
    ]
    with pytest.raises(ValueError, match="plain column names"):
        instruction_template(["release_date:year"])


def test_split_instances_counts_every_removed_row() -> None:
    rows = [
        Example("a", "t1", labels=("발라드", "국내드라마")),
        Example("b", "t2", labels=()),
        Example("c", "t3", labels=None),
        Example("d", "t4", labels=("댄스",)),
    ]
    out, report = split_instances(rows, "train.csv")
    assert [ex.id for ex in out] == ["a#발라드", "a#국내드라마", "d#댄스"]
    assert {ex.fields["source_id"] for ex in out} == {"a", "d"}
    assert report.rows_in == 4 and report.rows_out == 3
    assert report.removed == {"no label ('-' or empty cell)": 1, "no gold column": 1}
    assert sum(report.removed.values()) + 2 == report.rows_in, "every input row is accounted for"


def test_instruction_template_renders_with_the_llm_prompt_format() -> None:
    from koclassify.backends.llm.prompt import PromptFormat

    ex = Example("1", "너를 사랑해", fields={"artist": "S (강타, 신혜성)", "album": "Fantasy"})
    prompt = PromptFormat(template=instruction_template(["artist", "album"])).render(ex)
    assert prompt.splitlines() == [
        "### 지시: 다음 정보를 읽고 알맞은 분류를 답하시오.",
        "### 맥락:",
        "[가수] S (강타, 신혜성)",
        "[앨범] Fantasy",
        "너를 사랑해",
        "### 응답:",
    ]
