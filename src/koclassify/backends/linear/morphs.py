"""Kiwi morpheme analysis with a per-word cache.

Korean text is written in space-separated eojeol (a stem plus its particles/endings). The same eojeol recurs
across a corpus far more than whole sentences do, so each distinct eojeol is analysed once (Kiwi, batched and
multi-threaded) and remembered: at prediction time most words are already known, and the cost of morpheme
features falls from Kiwi's sentence throughput to a dictionary look-up. Analysing an eojeol out of its sentence
loses a little disambiguation, which the character n-grams beside it make up for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

MAX_CACHE = 2_000_000  # distinct eojeol kept; beyond this the cache is cleared and refilled


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi  # ships its own model: no download

    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return Kiwi(num_workers=max(1, workers))


_cache: dict[str, str] = {}


def analyse_words(words: Sequence[str]) -> None:
    """Analyse the words not yet cached, in one multi-threaded Kiwi batch."""
    todo = list(dict.fromkeys(w for w in words if w not in _cache))
    if not todo:
        return
    if len(_cache) + len(todo) > MAX_CACHE:
        _cache.clear()
    for word, tokens in zip(todo, _kiwi().tokenize(todo)):
        _cache[word] = " ".join(f"{tok.form}/{tok.tag}" for tok in tokens)


def morph_strings(texts: Sequence[str]) -> list[str]:
    """Each text as space-joined ``form/TAG`` morphemes (e.g. ``학교/NNG 가/VV 기/ETN``) for a token vectorizer."""
    split = [text.split() for text in texts]
    analyse_words([w for words in split for w in words])
    return [" ".join(_cache[w] for w in words) for words in split]
