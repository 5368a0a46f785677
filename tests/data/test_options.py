"""ReadOptions is an Options record like every other (issue 21): typed, checked when built, strict about keys."""

from __future__ import annotations

import pytest

from koclassify.data.options import ReadOptions
from koclassify.options import OptionError, Options


def test_the_layout_is_checked_like_every_other_option() -> None:
    assert isinstance(ReadOptions(), Options)
    with pytest.raises(OptionError, match=r'no_header="yes" \(data layout\): allowed: true/false'):
        ReadOptions(no_header="yes")  # type: ignore[arg-type]  # was kept as a truthy string
    with pytest.raises(OptionError, match="unknown option 'text_coll' for the data layout; did you mean 'text_col'"):
        ReadOptions.parse({"text_coll": "lyrics"})
    with pytest.raises(OptionError, match="unknown format 'xml'"):
        ReadOptions(format="xml")


def test_merging_and_storing_keep_what_was_set() -> None:
    base = ReadOptions(text_col="lyrics", label_cols=["a", "b"])
    merged = base.merged(format="csv", label_col=None, lenient=False)
    assert merged == ReadOptions(format="csv", text_col="lyrics", label_cols=["a", "b"])
    assert ReadOptions.from_json({**merged.to_json(), "from_a_later_version": 1}) == merged
    assert "label_sep" in dict((row[0], row) for row in ReadOptions.describe())
