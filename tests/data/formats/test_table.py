"""CSV/TSV tables: column detection, multi-valued cells, headerless KOTE layout, wide 0/1 columns."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koclassify.data.example import Span
from koclassify.data.formats.table import split_multi
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.errors import DataError


def table(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


LYRICS = table(
    [
        ["song_id", "song_name", "artist", "album", "release_date", "genre", "lyrics"],
        ["11", "빗속에서", "윤슬, 이안", "달빛 정원 OST", "2019.03.02", "발라드, 국내드라마", "비가 와\n\n너를 불러"],
        ["12", "Shine", "하모니 (서준, 다인)", "Single", "2020-07-01", "댄스", "불빛 아래\n춤을 춰"],
        ["13", "무제", "바람과 기타", "1집", "2011", "-", "바람 부는 언덕"],
        ["14", "고향", "바람과 기타", "1집", "20110302", "", "강물은 흐르고"],
    ]
)


def test_lyrics_layout_multiline_multivalued_and_fields(write):
    dataset = read_examples(write("lyrics.csv", LYRICS))
    ex = dataset.examples
    assert [e.id for e in ex] == ["11", "12", "13", "14"]
    assert ex[0].text == "비가 와\n\n너를 불러"
    assert ex[0].labels == ("발라드", "국내드라마")
    assert ex[1].labels == ("댄스",)
    assert ex[2].labels == () and ex[3].labels == ()
    assert ex[1].fields["artist"] == "하모니 (서준, 다인)"
    assert ex[3].fields["release_date"] == "20110302"
    assert dataset.fields == ["song_name", "artist", "album", "release_date"]
    opts = dataset.options
    assert (opts.format, opts.text_col, opts.label_col, opts.id_col) == ("csv", "lyrics", "genre", "song_id")
    assert (opts.label_sep, opts.multi_label) == (",", True)


def test_resolved_options_read_the_same_examples_again(write):
    path = write("lyrics.csv", LYRICS)
    first = read_examples(path)
    again = read_examples(path, first.options)
    assert again.examples == first.examples


def test_hate_speech_layout_is_multiclass_with_row_ids(write):
    text = table(
        [
            ["comments", "contain_gender_bias", "bias", "hate"],
            ["좋았다", "False", "none", "none"],
            ["나쁜놈", "False", "none", "offensive"],
        ],
        "\t",
    )
    dataset = read_examples(write("dev.tsv", text))
    assert [(e.id, e.text, e.labels) for e in dataset.examples] == [
        ("0", "좋았다", ("none",)),
        ("1", "나쁜놈", ("offensive",)),
    ]
    assert dataset.examples[0].fields == {"contain_gender_bias": "False", "bias": "none"}
    assert dataset.options.multi_label is None and dataset.options.label_sep is None


def test_missing_label_column_lists_the_columns(write):
    path = write("x.csv", "review_text,stars\n좋다,5\n")
    with pytest.raises(DataError, match=r"x.csv: cannot tell which column holds the text.*\['review_text', 'stars'\]"):
        read_examples(path)
    with pytest.raises(DataError, match=r"cannot tell which column holds the labels.*\['review_text', 'stars'\]"):
        read_examples(path, ReadOptions(text_col="review_text"))
    with pytest.raises(DataError, match=r"no label column 'score'; columns are \['review_text', 'stars'\]"):
        read_examples(path, ReadOptions(text_col="review_text", label_col="score"))
    dataset = read_examples(path, ReadOptions(text_col="review_text", label_col="stars"))
    assert dataset.examples[0].labels == ("5",)


def test_prediction_input_without_label_column(write):
    path = write("test.csv", "id,text\na,좋다\nb,싫다\n")
    dataset = read_examples(path, ReadOptions(label_col="label"), need_labels=False)
    assert [(e.id, e.labels) for e in dataset.examples] == [("a", None), ("b", None)]


def test_kote_layout_with_label_names(write):
    names = write("labels.txt", "불평/불만\n환영/호의\n감동/감탄\n슬픔\n")
    text = table(
        [["5954", "음료가 몇푼이나 한다고..", "0,3"], ["2", "응원합니다.", "1"], ["7", '"진짜" 최고', "2,1,2"]], "\t"
    )
    path = write("val.tsv", text)
    dataset = read_examples(path, ReadOptions(no_header=True, label_names=str(names)))
    assert [(e.id, e.text, e.labels) for e in dataset.examples] == [
        ("5954", "음료가 몇푼이나 한다고..", ("불평/불만", "슬픔")),
        ("2", "응원합니다.", ("환영/호의",)),
        ("7", '"진짜" 최고', ("감동/감탄", "환영/호의")),
    ]
    assert dataset.label_names == ("불평/불만", "환영/호의", "감동/감탄", "슬픔")
    opts = dataset.options
    assert (opts.text_col, opts.label_col, opts.id_col, opts.multi_label) == ("1", "2", "0", True)
    explicit = read_examples(path, ReadOptions(no_header=True, label_names=str(names), text_col="1", label_col="2"))
    assert explicit.examples == dataset.examples


def test_label_index_out_of_range(write):
    names = write("labels.txt", "a\nb\n")
    path = write("val.tsv", "1\t문장\t0,1\n2\t문장 둘\t5\n")
    with pytest.raises(DataError, match=r"val.tsv:2, field '2': label index 5 is out of range"):
        read_examples(path, ReadOptions(no_header=True, label_names=str(names), text_col="1", label_col="2"))


def test_headerless_without_label_names_needs_columns(write):
    path = write("x.tsv", "좋은 영화였다\t1\n별로였다\t0\n")
    with pytest.raises(DataError, match=r"cannot tell which column holds the labels.*\['0', '1'\]"):
        read_examples(path, ReadOptions(no_header=True))
    dataset = read_examples(path, ReadOptions(no_header=True, label_col="1"))
    assert [(e.text, e.labels) for e in dataset.examples] == [("좋은 영화였다", ("1",)), ("별로였다", ("0",))]


def test_wide_label_columns(write):
    path = write("wide.csv", "text,기쁨,슬픔,note\n좋다,1,0,a\n슬프다,0,true,b\n그냥,0,0,c\n")
    dataset = read_examples(path, ReadOptions(label_cols=["기쁨", "슬픔"]))
    assert [e.labels for e in dataset.examples] == [("기쁨",), ("슬픔",), ()]
    assert dataset.label_names == ("기쁨", "슬픔")
    assert dataset.options.multi_label is True
    bad = write("bad.csv", "text,기쁨\n좋다,maybe\n")
    with pytest.raises(DataError, match=r"bad.csv:2, field '기쁨': expected 0/1"):
        read_examples(bad, ReadOptions(label_cols=["기쁨"]))


def test_forced_multiclass_rejects_multi_valued_cells(write):
    path = write("g.csv", 'text,genre\n가사,"발라드, 댄스"\n')
    whole = read_examples(path, ReadOptions(multi_label=False))  # no separator: the cell is one class
    assert whole.examples[0].labels == ("발라드, 댄스",) and whole.options.multi_label is False
    with pytest.raises(DataError, match=r"g.csv:2, field 'genre': 2 labels"):
        read_examples(path, ReadOptions(multi_label=False, label_sep=","))


def test_custom_separator_and_delimiter(write):
    path = write("s.csv", "text;label\n좋다;기쁨|놀람\n")
    dataset = read_examples(path, ReadOptions(label_sep="|"))
    assert dataset.examples[0].labels == ("기쁨", "놀람")


def test_ragged_row_and_empty_text(write):
    with pytest.raises(DataError, match=r"r.csv:3: expected 2 columns"):
        read_examples(write("r.csv", "text,label\n좋다,a\n싫다,b,c\n"))
    with pytest.raises(DataError, match=r"e.csv:3, field 'text': empty text"):
        read_examples(write("e.csv", "text,label\n좋다,a\n  ,b\n"))
    with pytest.warns(UserWarning, match="1 imperfect row"):
        kept = read_examples(write("e.csv", "text,label\n좋다,a\n  ,b\n"), ReadOptions(lenient=True))
    assert kept.repairs == 1 and len(kept) == 2


def test_line_numbers_count_multiline_cells(write):
    text = 'id,text,label\n1,"첫 줄\n둘째 줄\n셋째 줄",a\n2,"",b\n'
    with pytest.raises(DataError, match=r"m.csv:5, field 'text'"):
        read_examples(write("m.csv", text))


def test_explicit_id_column_must_be_unique(write):
    path = write("d.csv", "code,text,label\nx,좋다,a\nx,싫다,b\n")
    with pytest.raises(DataError, match=r"d.csv:3.*duplicate id 'x'"):
        read_examples(path, ReadOptions(id_col="code"))


def test_target_column_gives_spans(write):
    dataset = read_examples(write("t.csv", "text,target,label\n아 학교 가기 싫다,학교,슬픔\n비가 온다,우산,슬픔\n"))
    assert dataset.examples[0].target == Span("학교", 2, 4)
    assert dataset.examples[1].target == Span("우산")
    assert dataset.options.target_col == "target"


def test_split_multi_keeps_bracketed_groups():
    assert split_multi("S (강타, 신혜성), 원티드") == ["S (강타, 신혜성)", "원티드"]
    assert split_multi(" 발라드 ,, 댄스 ") == ["발라드", "댄스"]
    assert split_multi("a | b", " | ") == ["a", "b"]


NAME = st.text(alphabet="가나다ab &", min_size=1, max_size=6).map(str.strip).filter(bool)
GROUP = st.builds(lambda n, members: f"{n} ({', '.join(members)})" if members else n, NAME, st.lists(NAME, max_size=3))


@given(st.lists(GROUP, min_size=1, max_size=5))
def test_split_multi_inverts_join(parts):
    assert split_multi(", ".join(parts)) == parts
