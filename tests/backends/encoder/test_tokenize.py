"""Examples -> windows: the special-token template, targets as pairs or markers, NFC, [UNK] statistics."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from koclassify.backends.encoder.model import load_tokenizer
from koclassify.backends.encoder.tokenize import Template, WindowEncoder, mark_target
from koclassify.data.example import Example, Span
from koclassify.errors import DataError

LONG = " ".join(f"{noun} 정말 좋다" for noun in ["학교", "영화", "커피", "여행", "선물", "공연"] * 4)


@pytest.fixture(scope="module")
def tokenizer(bert_dir: Path):
    return load_tokenizer(bert_dir)


def test_template_reproduces_the_tokenizers_own_encodings(tokenizer) -> None:
    template = Template.probe(tokenizer)
    a = tokenizer("영화 정말 좋다", add_special_tokens=False)["input_ids"]
    b = tokenizer("영화", add_special_tokens=False)["input_ids"]
    for first, second, text in ((a, None, ("영화 정말 좋다",)), (a, b, ("영화 정말 좋다", "영화"))):
        ids, types = template.build(first, second)
        reference = tokenizer(*text)
        assert ids == reference["input_ids"] and types == reference["token_type_ids"]
    assert template.n_special(pair=True) == tokenizer.num_special_tokens_to_add(pair=True) == 3


def test_long_text_windows_cover_every_token_and_keep_the_target(tokenizer) -> None:
    encoder = WindowEncoder(tokenizer, max_length=24, stride=6, max_target_tokens=4)
    example = Example("1", LONG, target=Span("커피", None, None))
    text_ids, target_ids = encoder.tokens(example)
    windows = encoder.windows(example)
    assert len(text_ids) > 24 and len(windows) > 2
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    seen: set[int] = set()
    position = 0
    for ids, types in windows:
        assert len(ids) <= 24 and len(ids) == len(types)
        assert ids[0] == cls_id and ids[-1] == sep_id
        body_end = ids.index(sep_id)
        body, target = ids[1:body_end], ids[body_end + 1 : -1]
        assert target == target_ids and set(types[body_end + 1 :]) == {1}  # the target is segment B everywhere
        start = next(s for s in range(position, len(text_ids)) if text_ids[s : s + len(body)] == body)
        seen.update(range(start, start + len(body)))
        position = start
    assert seen == set(range(len(text_ids)))


def test_nfd_text_tokenizes_like_nfc(tokenizer) -> None:
    encoder = WindowEncoder(tokenizer, max_length=128, stride=8)
    text = "동창회 정말 좋다"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert encoder.windows(Example("a", decomposed)) == encoder.windows(Example("b", text))
    stats = encoder.encode([Example("a", decomposed)])[1]
    assert stats["unk_rate"] == 0.0 and stats["windows"] == 1


def test_unk_rate_counts_unknown_tokens(tokenizer) -> None:
    encoder = WindowEncoder(tokenizer, max_length=128, stride=8)
    _, stats = encoder.encode([Example("a", "정말 좋다"), Example("b", "ΩΨΦ ЖЯЮ")])
    assert stats["tokens"] == len(encoder.tokens(Example("a", "정말 좋다"))[0]) + 2
    assert stats["unk_rate"] == pytest.approx(2 / stats["tokens"])


def test_entity_markers_wrap_the_span(tokenizer) -> None:
    example = Example("1", "와 졸업식에 다녀왔다", target=Span("졸업식", 2, 5))
    assert mark_target(example, ("[TGT]", "[/TGT]")) == "와 [TGT]졸업식[/TGT]에 다녀왔다"
    shifted = Example("2", "와 졸업식에 다녀왔다", target=Span("졸업식", 0, 3))  # bad offsets: found by its form
    assert mark_target(shifted, ("<", ">")) == "와 <졸업식>에 다녀왔다"
    with pytest.raises(DataError, match="id='3'"):
        mark_target(Example("3", "다른 문장", target=Span("졸업식")), ("<", ">"))


def test_window_settings_are_checked(tokenizer) -> None:
    with pytest.raises(ValueError, match="stride"):
        WindowEncoder(tokenizer, max_length=70, stride=8, max_target_tokens=64)
    with pytest.raises(ValueError, match="target_mode"):
        WindowEncoder(tokenizer, target_mode="prefix")
