"""Prompt rendering, verbalizers and the single-token check (in the answer position, with the real tokenizer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from koclassify import Example, Span
from koclassify.backends.llm.prompt import (
    NIKL_WORDS,
    PromptFormat,
    answer_ids,
    default_verbalizer,
    encode,
    resolve_label_tokens,
    template_fields,
    truncate_prompt,
)
from koclassify.errors import DataError, ModelError
from tiny_models import LABEL_WORDS


def _tokenizer(path: Path):
    from koclassify.backends.llm.train import load_tokenizer

    return load_tokenizer(str(path))


def test_default_template_is_the_seed_prompt() -> None:
    text = "아 학교 가기 싫다"
    ex = Example("1", text, target=Span("학교", 2, 4))
    assert PromptFormat().render(ex) == (
        "아래는 문장에서 대상에 대한 감정을 매우 정확하게 분류한다.\n"
        "### 문장: 아 학교 가기 싫다\n### 대상: 학교\n### 감정:"
    )


@pytest.mark.parametrize("target", [None, Span(None)])
def test_missing_target_says_whole_sentence(target: Span | None) -> None:
    prompt = PromptFormat().render(Example("1", "라면 먹고싶다", target=target))
    assert "### 대상: 문장 전체\n" in prompt
    assert "### 대상: 전부\n" in PromptFormat(no_target="전부").render(Example("1", "라면", target=target))


def test_template_uses_any_column_and_names_a_missing_one() -> None:
    fmt = PromptFormat("가수: {artist}\n가사: {text}\n장르:")
    ex = Example("7", "사랑해 {괄호}", fields={"artist": "아이유"})
    assert fmt.render(ex) == "가수: 아이유\n가사: 사랑해 {괄호}\n장르:"
    with pytest.raises(DataError, match=r"id='8'.*\{artist\}.*available: \['text', 'target', 'album'\]"):
        fmt.render(Example("8", "노래", fields={"album": "앨범"}))


def test_template_placeholders_must_be_plain_names() -> None:
    assert template_fields("{text} / {target}:") == ["text", "target"]
    for bad in ("{text.upper}", "{text!r}", "{text:>5}", "{0}", "{text"):
        with pytest.raises(ValueError):
            template_fields(bad)


def test_verbalizer_defaults_overrides_and_errors() -> None:
    assert default_verbalizer(list(NIKL_WORDS)) == NIKL_WORDS
    assert default_verbalizer(["발라드", "joy"], {"발라드": "발"}) == {"발라드": "발", "joy": "기쁨"}
    with pytest.raises(DataError, match="'jyo'"):
        default_verbalizer(["joy"], {"jyo": "기쁨"})
    with pytest.raises(DataError, match="same verbalizer word"):
        default_verbalizer(["joy", "anticipation"], {"anticipation": "기쁨"})


def test_label_words_are_single_tokens_in_the_answer_position(neox_dir: Path, llama_dir: Path) -> None:
    for path in (neox_dir, llama_dir):
        tok = _tokenizer(path)
        probe = PromptFormat().render(Example("1", "아 학교 가기 싫다"))
        tokens = resolve_label_tokens(tok, probe, LABEL_WORDS, " ")
        assert tokens.single and len(set(tokens.first)) == len(LABEL_WORDS)
        assert [tok.decode([i]) for i in tokens.first] == [" " + w for w in LABEL_WORDS]
    # the BOS the llama tokenizer prepends is part of the prompt, not of the answer
    assert encode(_tokenizer(llama_dir), "문장")[0] == _tokenizer(llama_dir).bos_token_id


def test_multi_token_word_fails_with_its_tokens_and_alternatives(neox_dir: Path) -> None:
    tok = _tokenizer(neox_dir)
    probe = PromptFormat().render(Example("1", "놀랐다"))
    with pytest.raises(ModelError) as err:
        resolve_label_tokens(tok, probe, ["기쁨", "놀라움"], " ")
    message = str(err.value)
    assert "'놀라움'" in message and "tokens [' 놀'" in message
    assert "Single-token words" in message and "multi_token='sum'" in message
    # the same word without its leading space is a different (multi-token) answer: position matters
    with pytest.raises(ModelError, match="'기쁨'"):
        resolve_label_tokens(tok, probe, ["기쁨"], "")
    summed = resolve_label_tokens(tok, probe, ["기쁨", "놀라움"], " ", multi_token="sum")
    assert len(summed.ids[0]) == 1 and len(summed.ids[1]) > 1 and not summed.single


def test_answer_merging_into_the_prompt_is_refused(neox_dir: Path) -> None:
    tok = _tokenizer(neox_dir)
    prompt = "### 감정: 기"  # " 기" + "쁨" re-tokenizes as the single token " 기쁨"
    with pytest.raises(ModelError, match="merges the end of the prompt"):
        answer_ids(tok, encode(tok, prompt), prompt, "쁨")


class _LowerCasing:
    """Stands in for a tokenizer with a lower-casing normalizer: one id per lower-cased character."""

    all_special_ids: list[int] = []

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text.lower()]}

    def decode(self, ids: list[int]) -> str:
        return "".join(map(chr, ids))


def test_words_that_tokenize_identically_are_refused() -> None:
    with pytest.raises(ModelError, match="'A' and 'a' tokenize identically"):
        resolve_label_tokens(_LowerCasing(), "label:", ["A", "a"], " ", multi_token="sum")


def test_truncation_keeps_instruction_and_answer_cue() -> None:
    ids = list(range(100))
    assert truncate_prompt(ids, 10) == [0, 1, 2, 3, 4, 95, 96, 97, 98, 99]
    assert truncate_prompt(ids, 200) == ids
