"""Prompts and verbalizers: how a row becomes text and each label becomes the word the LM should say.

The prompt template is a ``str.format`` template over the row (``{text}``, ``{target}`` and any ``{field}`` of
``Example.fields``); the answer is ``answer_prefix + word`` appended right after it. Token ids of the answer are
found by tokenizing a real prompt with and without the answer, so the check covers whatever the tokenizer does
at that position (leading-space tokens, BOS/EOS handling) instead of trusting ``tokenizer(word)``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from koclassify.data.example import Example
from koclassify.errors import DataError, ModelError

DEFAULT_TEMPLATE = (
    "아래는 문장에서 대상에 대한 감정을 매우 정확하게 분류한다.\n### 문장: {text}\n### 대상: {target}\n### 감정:"
)
# The NIKL 2023 recipe's words: each is one polyglot-ko / llama-2-ko token after "### 감정:".
NIKL_WORDS: dict[str, str] = {
    "joy": "기쁨",
    "anticipation": "기대",
    "trust": "신뢰",
    "surprise": "당황",
    "disgust": "혐오",
    "fear": "공포",
    "anger": "분노",
    "sadness": "슬픔",
}
NO_TARGET = "문장 전체"  # what {target} says when a row has no target span ("the whole sentence")
MULTI_TOKEN_MODES = ("error", "sum")
JOINT_SEPARATOR = ", "


def template_fields(template: str) -> list[str]:
    """The placeholder names of ``template``; only plain ``{name}`` placeholders are allowed."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad prompt template {template!r}: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"prompt template placeholder {{{name}}} must be a plain {{field_name}}")
        names.append(name)
    return names


def default_verbalizer(names: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """label -> word: ``overrides`` first, then the NIKL Korean words, else the label name itself."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise DataError(f"verbalizer has words for labels {unknown} that are not in the label space {list(names)}")
    words = {name: str(overrides.get(name, NIKL_WORDS.get(name, name))) for name in names}
    for name, word in words.items():
        if not word.strip():
            raise DataError(f"verbalizer word for label {name!r} is empty")
    seen: dict[str, str] = {}
    for name, word in words.items():
        if word in seen:
            raise DataError(f"labels {seen[word]!r} and {name!r} have the same verbalizer word {word!r}")
        seen[word] = name
    return words


@dataclass(frozen=True)
class PromptFormat:
    """Renders rows into prompts. ``no_target`` fills ``{target}`` for rows without a target span."""

    template: str = DEFAULT_TEMPLATE
    answer_prefix: str = " "
    no_target: str = NO_TARGET

    def __post_init__(self) -> None:
        template_fields(self.template)

    def render(self, example: Example) -> str:
        values: dict[str, Any] = {}
        for name in template_fields(self.template):
            if name == "text":
                values[name] = example.text
            elif name == "target":
                values[name] = example.target_form or self.no_target
            elif name in example.fields:
                value = example.fields[name]
                values[name] = "" if value is None else value
            else:
                available = ["text", "target", *example.fields]
                raise DataError(
                    f"row id={example.id!r}: the prompt template uses {{{name}}} but the row has no such column; "
                    f"available: {available}",
                    field=name,
                )
        return self.template.format(**values)

    def answer(self, words: Sequence[str]) -> str:
        """The text after the prompt: one word (per-label rows) or several joined (joint rows)."""
        return self.answer_prefix + JOINT_SEPARATOR.join(words)


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` with the tokenizer's leading specials (BOS) but without trailing ones (EOS)."""
    ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    specials = set(tokenizer.all_special_ids)
    while ids and ids[-1] in specials and not text.endswith(tokenizer.decode([ids[-1]])):
        ids.pop()
    return ids


def answer_ids(tokenizer: Any, prompt_ids: Sequence[int], prompt: str, answer: str) -> list[int]:
    """The ids ``answer`` gets right after ``prompt``; fails if the tokenizer merges across the boundary."""
    full = encode(tokenizer, prompt + answer)
    if full[: len(prompt_ids)] != list(prompt_ids):
        raise ModelError(
            f"the tokenizer merges the end of the prompt with the answer {answer!r}, so the answer has no tokens of "
            "its own; end the template with a separator (e.g. ':' or '\\n') or change answer_prefix"
        )
    return full[len(prompt_ids) :]


@dataclass(frozen=True)
class LabelTokens:
    """The verbalizer words and the token ids each one gets in the answer position."""

    words: tuple[str, ...]
    ids: tuple[tuple[int, ...], ...]

    @property
    def single(self) -> bool:
        return all(len(i) == 1 for i in self.ids)

    @property
    def first(self) -> list[int]:
        return [i[0] for i in self.ids]

    def to_json(self) -> dict[str, Any]:
        return {"words": list(self.words), "ids": [list(i) for i in self.ids]}


def resolve_label_tokens(
    tokenizer: Any, probe_prompt: str, words: Sequence[str], answer_prefix: str, multi_token: str = "error"
) -> LabelTokens:
    """Tokenize every word where the prompt puts it; enforce one token per word unless ``multi_token="sum"``."""
    if multi_token not in MULTI_TOKEN_MODES:
        raise ValueError(f"multi_token must be one of {MULTI_TOKEN_MODES}, got {multi_token!r}")
    prompt_ids = encode(tokenizer, probe_prompt)
    ids = [tuple(answer_ids(tokenizer, prompt_ids, probe_prompt, answer_prefix + w)) for w in words]
    for word, word_ids in zip(words, ids):
        if not word_ids:
            raise ModelError(f"verbalizer word {word!r} produced no tokens after the prompt")
        if len(word_ids) > 1 and multi_token == "error":
            raise ModelError(_multi_token_message(tokenizer, probe_prompt, prompt_ids, word, word_ids, answer_prefix))
    seen: dict[tuple[int, ...], str] = {}
    for word, word_ids in zip(words, ids):
        if word_ids in seen:  # e.g. a lower-casing tokenizer and words that differ only in case
            raise ModelError(f"verbalizer words {seen[word_ids]!r} and {word!r} tokenize identically {list(word_ids)}")
        seen[word_ids] = word
    return LabelTokens(tuple(words), tuple(ids))


def _multi_token_message(
    tokenizer: Any, prompt: str, prompt_ids: Sequence[int], word: str, word_ids: Sequence[int], prefix: str
) -> str:
    pieces = [tokenizer.decode([i]) for i in word_ids]
    alternatives = single_token_alternatives(tokenizer, prompt, prompt_ids, word, prefix)
    hint = f" Single-token words in this vocabulary close to it: {alternatives}." if alternatives else ""
    return (
        f"verbalizer word {word!r} is {len(word_ids)} tokens {pieces} (ids {list(word_ids)}) after the prompt "
        f"(answer_prefix {prefix!r}), but the llm backend scores one token per label.{hint} "
        "Pass verbalizer={label: word} with single-token words, or multi_token='sum' to score the whole word "
        "by its summed log-probability."
    )


def single_token_alternatives(
    tokenizer: Any, prompt: str, prompt_ids: Sequence[int], word: str, prefix: str, limit: int = 5
) -> list[str]:
    """Vocabulary words sharing ``word``'s first character that are one token in the answer position."""
    head = word.strip()[:1]
    candidates: list[str] = []
    for tid in range(len(tokenizer)):
        piece = tokenizer.decode([tid])
        if not piece.startswith(prefix):
            continue
        body = piece[len(prefix) :]
        if body and body.startswith(head) and "\ufffd" not in body and body != word:
            candidates.append(body)
    # words that start the requested one first (놀라 for 놀라움), then the longest
    candidates.sort(key=lambda w: (not word.startswith(w), -len(w), w))
    out: list[str] = []
    for cand in candidates:
        try:
            if len(answer_ids(tokenizer, prompt_ids, prompt, prefix + cand)) == 1:
                out.append(cand)
        except ModelError:
            continue
        if len(out) >= limit:
            break
    return out


def truncate_prompt(ids: Sequence[int], max_length: int) -> list[int]:
    """Keep at most ``max_length`` ids by cutting the middle: the instruction and the answer cue both survive."""
    ids = list(ids)
    if max_length < 2 or len(ids) <= max_length:
        return ids
    head = max_length // 2
    return ids[:head] + ids[len(ids) - (max_length - head) :]
