"""Small labelled Korean data sets that several test packages share (one definition each)."""

from __future__ import annotations

MULTI_LABEL_ROWS = [
    ("기쁘고 설레는 하루", ["기쁨", "기대"]),
    ("정말 기뻐요", ["기쁨"]),
    ("내일이 기대돼요", ["기대"]),
    ("너무 슬프고 화가 나요", ["슬픔", "분노"]),
    ("슬퍼서 울었어요", ["슬픔"]),
    ("화가 치밀어요", ["분노"]),
]


def multi_label_data(repeat: int) -> tuple[list[str], list[list[str]]]:
    """Six emotion sentences (two with two labels) repeated ``repeat`` times: enough rows for CV folds."""
    return [t for t, _ in MULTI_LABEL_ROWS] * repeat, [list(lab) for _, lab in MULTI_LABEL_ROWS] * repeat
