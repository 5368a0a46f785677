"""Examples -> token windows: NFC normalisation, the target as a text pair or as entity markers, [UNK] rates.

Korean text arrives in both composed (NFC) and decomposed (NFD, jamo by jamo: macOS file names, some crawls)
form; vocabularies hold composed syllables, so NFD text becomes a stream of ``[UNK]``. Every text and target is
NFC-normalised first, and the share of ``[UNK]`` tokens in the training data is reported (a warning above 1%:
usually the wrong tokenizer for the language, or text that needs cleaning).

Special tokens are added from a template read off the tokenizer itself (``sequence_ids`` of a probe pair), so
any fast tokenizer works (BERT's ``[CLS] A [SEP] B [SEP]``, RoBERTa's ``<s> A </s></s> B </s>``, ...) without
the per-class helpers that transformers 5 no longer has.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from koclassify.backends.encoder.windows import EncoderOptionError, window_spans
from koclassify.data.example import Example
from koclassify.errors import DataError, ModelError

TARGET_MODES = ("pair", "markers")
DEFAULT_MARKERS = ("[TGT]", "[/TGT]")
UNK_WARN_RATE = 0.01


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Part:
    """Special token ids with their token type ids."""

    ids: tuple[int, ...] = ()
    types: tuple[int, ...] = ()


@dataclass(frozen=True)
class Template:
    """Where a tokenizer puts its special tokens and which token types the two segments get."""

    single: tuple[Part, Part]  # prefix, suffix
    pair: tuple[Part, Part, Part]  # prefix, middle, suffix
    single_type: int
    pair_types: tuple[int, int]

    @classmethod
    def probe(cls, tokenizer: Any) -> Template:
        """Read the template from the tokenizer's own encodings of a probe text and pair."""
        try:
            one = tokenizer("가 a 1")
            two = tokenizer("가 a 1", "나 b 2")
            seq1, seq2 = one.sequence_ids(), two.sequence_ids()
        except (ValueError, AttributeError) as exc:
            raise ModelError(f"the encoder backend needs a fast (Rust) tokenizer: {exc}") from None
        s_parts, s_types = _split(one["input_ids"], one.get("token_type_ids"), seq1)
        p_parts, p_types = _split(two["input_ids"], two.get("token_type_ids"), seq2)
        if len(s_parts) != 2 or len(p_parts) != 3:
            raise ModelError("cannot read the special-token layout of this tokenizer")
        return cls((s_parts[0], s_parts[1]), (p_parts[0], p_parts[1], p_parts[2]), s_types[0], (p_types[0], p_types[1]))

    def build(self, first: Sequence[int], second: Sequence[int] | None) -> tuple[list[int], list[int]]:
        """input ids and token type ids of one window: specials around ``first`` (and ``second``)."""
        if second is None:
            (pre, post), seg_types = self.single, (self.single_type, self.single_type)
            segments: list[Sequence[int]] = [first]
            parts = [pre, post]
        else:
            pre, mid, post = self.pair
            segments, seg_types, parts = [first, second], self.pair_types, [pre, mid, post]
        ids: list[int] = list(parts[0].ids)
        types: list[int] = list(parts[0].types)
        for k, segment in enumerate(segments):
            ids += list(segment)
            types += [seg_types[k]] * len(segment)
            ids += parts[k + 1].ids
            types += parts[k + 1].types
        return ids, types

    def n_special(self, pair: bool) -> int:
        parts = self.pair if pair else self.single
        return sum(len(p.ids) for p in parts)


def _split(ids: list[int], types: list[int] | None, seq: list[int | None]) -> tuple[list[Part], list[int]]:
    """Cut an encoding into the special-token runs around its segments, and each segment's token type."""
    types = types if types is not None else [0] * len(ids)
    parts: list[Part] = []
    seg_types: list[int] = []
    run_ids: list[int] = []
    run_types: list[int] = []
    previous: int | None = None
    for tok, typ, s in zip(ids, types, seq):
        if s is None:
            run_ids.append(tok)
            run_types.append(typ)
        elif s != previous:
            parts.append(Part(tuple(run_ids), tuple(run_types)))
            seg_types.append(typ)
            run_ids, run_types = [], []
        if s is not None:
            previous = s
    parts.append(Part(tuple(run_ids), tuple(run_types)))
    return parts, seg_types


def mark_target(example: Example, markers: Sequence[str]) -> str:
    """The text with the target span wrapped in ``markers`` (offsets first, else the form's first occurrence)."""
    target = example.target
    assert target is not None and target.form
    begin, end = target.begin, target.end
    if begin is None or end is None or example.text[begin:end] != target.form:
        begin = example.text.find(target.form)
        if begin < 0:
            raise DataError(f"row id={example.id!r}: target {target.form!r} is not in the text", field="target")
        end = begin + len(target.form)
    text = example.text
    return f"{text[:begin]}{markers[0]}{text[begin:end]}{markers[1]}{text[end:]}"


@dataclass
class WindowEncoder:
    """Turns examples into lists of windows ``(input_ids, token_type_ids)``; see the module docstring."""

    tokenizer: Any
    max_length: int = 512
    stride: int = 128
    target_mode: str = "pair"
    max_target_tokens: int = 64
    markers: tuple[str, str] = DEFAULT_MARKERS

    def __post_init__(self) -> None:
        if self.target_mode not in TARGET_MODES:
            raise EncoderOptionError(f"target_mode must be one of {list(TARGET_MODES)}, got {self.target_mode!r}")
        self.template = Template.probe(self.tokenizer)
        self.unk_id = self.tokenizer.unk_token_id
        room = self.max_length - self.template.n_special(pair=True) - self.max_target_tokens
        if room <= self.stride or room < 1:
            raise EncoderOptionError(
                f"max_length={self.max_length} leaves {room} text tokens per window after specials and "
                f"max_target_tokens={self.max_target_tokens}: it must exceed stride={self.stride}"
            )

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(nfc(text), add_special_tokens=False)["input_ids"])

    def tokens(self, example: Example) -> tuple[list[int], list[int] | None]:
        """The text's token ids and the target's (``None``: single segment)."""
        form = example.target_form
        if not form:
            return self._ids(example.text), None
        if self.target_mode == "markers":
            return self._ids(mark_target(example, self.markers)), None
        return self._ids(example.text), self._ids(form)[: self.max_target_tokens]

    def windows(self, example: Example) -> list[tuple[list[int], list[int]]]:
        return self._windows(*self.tokens(example))

    def _windows(self, text_ids: list[int], target_ids: list[int] | None) -> list[tuple[list[int], list[int]]]:
        room = self.max_length - self.template.n_special(pair=target_ids is not None) - len(target_ids or [])
        spans = window_spans(len(text_ids), room, min(self.stride, room - 1))
        return [self.template.build(text_ids[b:e], target_ids) for b, e in spans]

    def encode(self, examples: Sequence[Example]) -> tuple[list[list[tuple[list[int], list[int]]]], dict[str, Any]]:
        """Windows for every example, and statistics: token and [UNK] counts, window counts."""
        out = []
        tokens = unknown = 0
        for ex in examples:
            text_ids, target_ids = self.tokens(ex)
            out.append(self._windows(text_ids, target_ids))
            content = text_ids + (target_ids or [])
            tokens += len(content)
            if self.unk_id is not None:
                unknown += sum(1 for t in content if t == self.unk_id)
        counts = [len(w) for w in out]
        stats = {
            "tokens": tokens,
            "unk_rate": unknown / tokens if tokens else 0.0,
            "windows": sum(counts),
            "long_examples": sum(1 for c in counts if c > 1),
        }
        return out, stats
