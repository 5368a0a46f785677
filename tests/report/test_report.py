"""`koclassify.report.write_report`: the files, the page, the figures behind them, and the bad inputs."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.errors import KoclassifyError, MissingDependencyError
from koclassify.report import FontWarning, content, fonts, write_report

from .conftest import EMOTIONS, GivenBackend, noisy_rows, row

ML_PLOTS = {"per_label.png", "thresholds.png", "errors.png", "cooccurrence.png", "distribution.png"}


class _Page(HTMLParser):
    """The image sources and the table rows (label -> cell texts) of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.row_class: dict[str, str | None] = {}
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "img":
            self.images.append(attr["src"] or "")
        if tag == "tr" and "data-label" in attr:
            self._label = attr["data-label"]
            self.rows[self._label or ""] = []
            self.row_class[self._label or ""] = attr.get("class")
        if tag == "td" and self._label is not None:
            self.rows[self._label].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None and self.rows[self._label]:
            self.rows[self._label][-1] += data


def parse(index: Path) -> _Page:
    page = _Page()
    page.feed(index.read_text(encoding="utf-8"))
    return page


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def embedded_font(html: str) -> Any:
    """The font the page inlines as a data URI."""
    from fontTools.ttLib import TTFont

    match = re.search(r"url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)", html)
    assert match, "the page embeds a Hangul font"
    return TTFont(io.BytesIO(base64.b64decode(match.group(1))))


def test_multi_label_report(multi_label_clf: Classifier, tmp_path: Path) -> None:
    # the report data lacks '공포' entirely; '분노' had no positive row in the calibration data
    import matplotlib

    data = noisy_rows(EMOTIONS, ["기쁨", "슬픔", "분노"], 50, seed=2)
    families = list(matplotlib.rcParams["font.family"])
    earlier = tmp_path / "rep"  # an earlier report is replaced whole
    earlier.mkdir()
    earlier_summary = {"title": "old", "task": "multi-label", "metrics": {}, "labels": []}  # before the marker
    (earlier / "report.json").write_text(json.dumps(earlier_summary))
    (earlier / "stale.png").write_bytes(b"old")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Hangul font was found: no font or glyph warning may escape
        index = write_report(multi_label_clf, data, earlier, title="감정 보고서")
    assert list(matplotlib.rcParams["font.family"]) == families, "the caller's matplotlib settings are untouched"
    assert index == tmp_path / "rep" / "index.html"
    out = index.parent
    assert {p.name for p in out.glob("*.png")} == ML_PLOTS, "the earlier report (stale.png) is gone"
    for png in out.glob("*.png"):
        width, height = png_size(png)
        assert width > 400 and height > 300 and png.stat().st_size > 10_000, png.name

    page = parse(index)
    assert set(page.images) == ML_PLOTS
    assert "감정 보고서" in index.read_text(encoding="utf-8")
    assert list(page.rows) == list(EMOTIONS), "every label has its row, in the model's order"
    thresholds = multi_label_clf.thresholds_dict()
    assert any(abs(t - 0.5) > 1e-9 for t in thresholds.values()), "calibration moved some threshold"
    for name, cells in page.rows.items():
        assert cells[6] == f"{thresholds[name]:.3f}", f"{name}: the page shows the model's threshold"

    assert page.rows["분노"][6] == "0.500" and page.rows["분노"][7] == content.NO_POSITIVE
    assert page.rows["기쁨"][7] == content.TUNED
    assert page.row_class["공포"] == "absent" and "never occurs" in page.rows["공포"][-1]
    assert page.rows["공포"][1] == "0" and page.rows["공포"][8] == "—"

    html = index.read_text(encoding="utf-8")
    hangul = {ord(c) for c in html if "\uac00" <= c <= "\ud7a3"}
    assert hangul <= set(embedded_font(html).getBestCmap()), "the page embeds every Hangul syllable it shows"

    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in summary["labels"]}
    assert by_name["분노"]["threshold_status"] == content.NO_POSITIVE
    assert any("공포" in note and "never occur" in note for note in summary["notes"])
    assert any("분노" in note and "default" in note for note in summary["notes"])
    gold_counts = {name: sum(name in ex.labels for ex in data) for name in EMOTIONS}
    assert {n: r["support"] for n, r in by_name.items()} == gold_counts


def test_figures_match_hand_counts() -> None:
    names = ("가", "나", "다")
    clf = Classifier(GivenBackend(), multi_label=True, decision="threshold").fit(
        [row(0, ["가"], [0, 0, 0]), row(1, ["나", "다"], [0, 0, 0])], labels=names
    )
    rows = [
        row(0, ["가"], [0.9, 0.6, 0.1]),  # 가 found, 나 wrong
        row(1, ["가", "나"], [0.2, 0.7, 0.1]),  # 가 missed, 나 found
        row(2, ["다"], [0.1, 0.1, 0.8]),  # 다 found
        row(3, ["나", "다"], [0.8, 0.1, 0.9]),  # 나 missed, 다 found, 가 wrong
    ]
    data = content.build(clf, rows, title="t")
    np.testing.assert_array_equal(data.cooccurrence(), [[2, 1, 0], [1, 2, 1], [0, 1, 2]])
    np.testing.assert_array_equal(
        data.errors(),
        [
            [1, 1, 0, 1],  # 가: found once (row 0), 나 wrongly with it (row 0), missed once (row 1)
            [1, 1, 0, 1],  # 나: found (row 1), 가 wrongly with it (row 3), missed (row 3)
            [1, 0, 2, 0],  # 다: found twice, 가 wrongly with it (row 3)
        ],
    )
    assert [r.threshold_status for r in data.labels] == [content.NOT_CALIBRATED] * 3
    assert data.labels[0].best_threshold <= 0.9 and data.labels[0].best_f1 == pytest.approx(0.8)


def test_multi_class_gets_a_confusion_matrix(tmp_path: Path) -> None:
    names = ("긍정", "부정", "중립")
    train = [row(i, [names[i % 3]], [0, 0, 0]) for i in range(6)]
    clf = Classifier(GivenBackend(), multi_label=False).fit(train, labels=names)
    rows = [
        row(0, ["긍정"], [0.7, 0.2, 0.1]),
        row(1, ["긍정"], [0.3, 0.6, 0.1]),
        row(2, ["부정"], [0.1, 0.8, 0.1]),
        row(3, ["중립"], [0.5, 0.1, 0.4]),
        row(4, ["중립"], [0.1, 0.2, 0.7]),
    ]
    np.testing.assert_array_equal(content.build(clf, rows, title="t").confusion(), [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    index = write_report(clf, rows, tmp_path / "mc", title="<script>x</script> 감성")
    assert {p.name for p in index.parent.glob("*.png")} == {
        "per_label.png",
        "thresholds.png",
        "confusion.png",
        "distribution.png",
    }
    page = parse(index)
    assert "confusion.png" in page.images and set(page.rows) == set(names)
    assert all(cells[7] == content.ARGMAX for cells in page.rows.values())
    html = index.read_text(encoding="utf-8")
    assert "argmax" in html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; 감성" in html


def test_without_a_hangul_font_it_warns_once_and_still_writes(
    multi_label_clf: Classifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "_bundled_nanum", lambda: None)
    monkeypatch.setattr(fonts, "_system_font", lambda: None)
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    fonts._find.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            index = write_report(multi_label_clf, noisy_rows(EMOTIONS, EMOTIONS, 30, seed=3), tmp_path / "r")
    finally:
        fonts._find.cache_clear()
    messages = [str(w.message) for w in caught]
    assert len([w for w in caught if issubclass(w.category, FontWarning)]) == 1, messages
    assert not [m for m in messages if m.startswith("Glyph")], "matplotlib's per-glyph warnings are collapsed"
    assert {p.name for p in index.parent.glob("*.png")} == ML_PLOTS
    html = index.read_text(encoding="utf-8")
    assert "no font with Hangul" in html and "@font-face" not in html


def test_a_font_setting_without_hangul_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    dejavu = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    monkeypatch.setenv(fonts.FONT_ENV, dejavu)
    fonts._find.cache_clear()
    try:
        with pytest.warns(UserWarning, match="not a readable font with Hangul"):
            choice = fonts.korean_font()
    finally:
        fonts._find.cache_clear()
    assert choice.found and choice.family != "DejaVu Sans"


def test_system_fonts_are_searched_by_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without koreanize-matplotlib, an installed NanumGothic / Noto CJK font (found by family name) is used."""
    from matplotlib import font_manager

    nanum = fonts._bundled_nanum()
    assert nanum is not None, "the report extra ships NanumGothic"
    dejavu = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    entries = [
        font_manager.FontEntry(fname=dejavu, name="DejaVu Sans"),
        font_manager.FontEntry(fname=dejavu, name="NanumGothic"),  # a misnamed file without Hangul is skipped
        font_manager.FontEntry(fname=str(nanum), name="Noto Sans CJK KR"),
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", entries)
    choice = fonts._system_font()
    assert choice is not None and choice.path == nanum and choice.source == "system font"


def test_out_dir_holding_other_files_is_refused(multi_label_clf: Classifier, tmp_path: Path) -> None:
    data = noisy_rows(EMOTIONS, EMOTIONS, 20, seed=4)
    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(KoclassifyError, match="not a koclassify report"):
        write_report(multi_label_clf, data, precious)
    assert (precious / "notes.txt").read_text() == "keep me"


def test_rows_without_gold_are_a_clear_error(multi_label_clf: Classifier, tmp_path: Path) -> None:
    unlabelled = [ex.with_labels(None) for ex in noisy_rows(EMOTIONS, EMOTIONS, 3, seed=5)]
    with pytest.raises(KoclassifyError, match="has no gold labels"):
        write_report(multi_label_clf, unlabelled, tmp_path / "r")
    with pytest.raises(KoclassifyError, match="no rows"):
        write_report(multi_label_clf, [], tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_missing_matplotlib_names_the_extra(
    multi_label_clf: Classifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    with pytest.raises(MissingDependencyError, match=r"koclassify\[report\]"):
        write_report(multi_label_clf, noisy_rows(EMOTIONS, EMOTIONS, 3, seed=6), tmp_path / "r")
