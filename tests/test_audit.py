"""`koclassify audit`: likely label errors (cleanlab over out-of-fold probabilities) and conflicting duplicates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclassify import Classifier, Example
from koclassify.audit import DUPLICATE, LABEL_ISSUE, audit, conflicting_duplicates, normalise, require_cleanlab
from koclassify.cli.commands import app
from koclassify.errors import MissingDependencyError
from koclassify.samples import sample_path

POS = ["정말 재미있어요", "최고의 영화였어요", "배우 연기가 좋았어요", "또 보고 싶어요", "감동적이고 재미있어요",
       "다시 봐도 좋아요", "음악이 아름다워요", "배우들이 멋져요"]  # fmt: skip
NEG = ["너무 지루했어요", "최악의 영화였어요", "연기가 별로였어요", "시간 아까워요", "지루하고 재미없어요",
       "돈이 아까워요", "다시는 안 봐요", "줄거리가 엉망이에요"]  # fmt: skip


def reviews() -> list[Example]:
    """64 rows; two are mislabelled: r5 (a clearly positive text marked 부정) and r40 (negative marked 긍정)."""
    rows = []
    for i, text in enumerate((POS + NEG) * 4):
        label = "긍정" if text in POS else "부정"
        rows.append(Example(id=f"r{i}", text=f"{text} {'ㅎ' * (i // 16)}".strip(), labels=(label,)))
    rows[5] = rows[5].with_labels(("부정",))
    rows[40] = rows[40].with_labels(("긍정",))
    return rows


def test_flipped_labels_rank_first_with_a_suggestion_and_a_reason() -> None:
    result = audit(Classifier(min_df=1), reviews(), folds=4)
    assert not result.multi_label and result.rows == 64
    top = [f.ids[0] for f in result.label_issues[:2]]
    assert set(top) == {"r5", "r40"}, [(f.ids, f.score) for f in result.label_issues[:5]]
    first = result.label_issues[0]
    assert first.kind == LABEL_ISSUE and first.rank == 1 and 0 <= first.score < 0.5
    expected = "긍정" if first.ids[0] == "r5" else "부정"
    assert first.suggested == [expected]
    assert f"given {first.given[0][0]!r} has p=" in first.reason and "4-fold out-of-fold" in first.reason


def test_conflicting_duplicates_exact_and_near() -> None:
    rows = [
        Example(id="a", text="배송이 빨라요", labels=("긍정",)),
        Example(id="b", text="배송이 빨라요", labels=("부정",)),
        Example(id="c", text="배송이 빨라요", labels=("긍정",)),
        Example(id="d", text="포장이  엉망이네요!!", labels=("부정",)),
        Example(id="e", text="포장이 엉망이네요", labels=("긍정",)),
        Example(id="f", text="포장이 엉망이네요", labels=("긍정",)),  # e, f agree exactly; d differs only by spacing
        Example(id="g", text="그냥 그래요", labels=("중립",)),
        Example(id="h", text="그냥 그래요", labels=("중립",)),  # agreeing duplicates are not findings
    ]
    found = conflicting_duplicates(rows)
    assert [(f.match, f.ids) for f in found] == [("exact", ["a", "b", "c"]), ("near", ["d", "e", "f"])]
    assert found[0].kind == DUPLICATE and found[0].suggested == ["긍정"] and "x2" in found[0].reason
    assert normalise("포장이  엉망이네요!!") == normalise("포장이 엉망이네요")


def test_same_text_with_another_target_is_not_a_conflict() -> None:
    from koclassify.data.example import Span

    rows = [
        Example(id="a", text="A는 좋고 B는 싫다", labels=("joy",), target=Span("A", 0, 1)),
        Example(id="b", text="A는 좋고 B는 싫다", labels=("disgust",), target=Span("B", 5, 6)),
    ]
    assert conflicting_duplicates(rows) == []


def test_multi_label_audit_on_the_bundled_sample() -> None:
    from koclassify.data.read import read_examples

    rows = read_examples(sample_path("nikl_train.jsonl")).examples
    wrong = rows[0].labels
    rows[0] = rows[0].with_labels(("fear", "anger", "sadness", "disgust"))  # far from its text's emotion
    result = audit(Classifier(), rows, folds=3)
    assert result.multi_label and result.label_issues
    ranked = [f.ids[0] for f in result.label_issues]
    assert rows[0].id in ranked[: len(ranked) // 2], "the corrupted row is among the more severe findings"
    finding = result.label_issues[ranked.index(rows[0].id)]
    assert "given" in finding.reason and set(finding.suggested) != set(finding.given[0]) and wrong is not None


def test_cli_writes_jsonl_and_the_page(tmp_path: Path) -> None:
    data = tmp_path / "reviews.jsonl"
    data.write_text("".join(json.dumps({"id": ex.id, "text": ex.text, "label": ex.labels[0]}, ensure_ascii=False)
                            + "\n" for ex in reviews()), encoding="utf-8")  # fmt: skip
    out = tmp_path / "findings.jsonl"
    result = CliRunner().invoke(app, ["audit", str(data), "--out", str(out), "--folds", "4", "-O", "min_df=1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {rows[0]["ids"][0], rows[1]["ids"][0]} == {"r5", "r40"} and rows[0]["kind"] == "label_issue"
    html = (tmp_path / "findings.html").read_text(encoding="utf-8")
    assert "Likely label errors" in html and "r40" in html and "<style>" in html
    assert "likely label errors of 64 rows" in result.output


def test_cli_reads_stdin_and_writes_stdout(tmp_path: Path) -> None:
    text = "".join(json.dumps({"id": ex.id, "text": ex.text, "label": ex.labels[0]}, ensure_ascii=False) + "\n"
                   for ex in reviews())  # fmt: skip
    result = CliRunner().invoke(app, ["audit", "-", "--out", "-", "--folds", "4", "-O", "min_df=1"], input=text)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert rows and all(r["kind"] in ("label_issue", "conflicting_duplicate") for r in rows)


def test_missing_cleanlab_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cleanlab", None)
    monkeypatch.setitem(sys.modules, "cleanlab.filter", None)
    with pytest.raises(MissingDependencyError, match=r"koclassify\[audit\]"):
        require_cleanlab()
