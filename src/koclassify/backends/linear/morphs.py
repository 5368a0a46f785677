"""Kiwi morpheme analysis with a per-piece cache.

Korean text is written in space-separated eojeol (a stem plus its particles/endings). Each eojeol is cut into
pieces, runs of Hangul syllables and runs of anything else (``좋았다!!`` -> ``좋았다``, ``!!``), and each
distinct piece is analysed once (Kiwi, batched and multi-threaded) and remembered: the same pieces recur across a
corpus far more than whole sentences do, and cutting punctuation, digits and Latin off the Hangul lets
``영화..``, ``영화!`` and ``영화`` share one analysis. At prediction time most pieces are already known, and the cost
of morpheme features falls from Kiwi's sentence throughput to a dictionary look-up. Analysing a piece out of its
sentence loses a little disambiguation, which the character n-grams beside it make up for (on nsmc-reviews the
accuracy is the same as with whole eojeol, to 0.03 points).

A trained model keeps the analyses of its training pieces (:func:`save_analyses`, a gzipped two-column text
file) and a fresh process seeds the cache from them (:func:`load_analyses`), so ``koclassify predict`` sends
only the pieces it has never seen to Kiwi, as a process that has just trained would.

Most pieces a model has never seen are spelled by pieces it has: reviews drop spaces (``유일한영화`` is
``유일한`` + ``영화``), and a new word is often a known stem and a known ending. With a :class:`Lexicon` of the
model's training pieces, such a piece gets the analyses of the training pieces that spell it, leftmost-longest
first, and only a piece no training pieces spell goes to Kiwi. Parts of one syllable are the risk: read alone,
a particle or an ending gets a stand-alone word's analysis (``도`` as 도/NNG, ``는`` as 늘/VV), so by default every
part has at least two syllables (``unseen_pieces="spell"``: the same accuracy as Kiwi on nsmc, KOTE and
hate-speech); ``"spell-any"`` allows one-syllable parts too, which sends about a fifth as many pieces to Kiwi and
keeps nsmc's accuracy with 50k training rows but costs about a point of micro-F1 on KOTE with 5k
(docs/benchmarks.md). Either way the reading depends only on the model and the piece, never on what the process
saw before.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from koclassify.io import atomic_open

PIECES = re.compile(r"[가-힣]+|[^\s가-힣]+")  # runs of Hangul syllables, and of anything else
MAX_CACHE = 2_000_000  # distinct pieces kept; beyond this the oldest entries are evicted

# The cache is shared by every thread of a process (an HTTP server's request threads, the micro-batcher): reads
# and writes hold ``_lock``; Kiwi itself is called under ``_kiwi_lock``. Callers look analyses up in the dict
# :func:`analyses` returns, never in ``_cache`` after the call, so an eviction by another thread (or by this
# very batch, when it alone overflows the cache) can never take away a piece the caller needs.
_cache: dict[str, str] = {}
_lock = threading.Lock()
_kiwi_lock = threading.Lock()
_kiwi_instance = None
_kiwi_threads: int | None = None  # None: one thread per CPU this process may use


def _kiwi():
    """The process's one Kiwi (built on first use, under ``_kiwi_lock``)."""
    global _kiwi_instance
    if _kiwi_instance is None:
        from kiwipiepy import Kiwi  # ships its own model: no download

        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        kiwi = Kiwi(num_workers=max(1, _kiwi_threads or workers))
        kiwi.tokenize("")  # Kiwi loads its model on first use (~2 s): here, not inside the first real batch
        _kiwi_instance = kiwi
    return _kiwi_instance


def set_threads(threads: int | None) -> None:
    """Kiwi's thread count from now on (a Ray worker that owns one core sets 1); ``None``: one per CPU."""
    global _kiwi_instance, _kiwi_threads
    with _kiwi_lock:
        if threads != _kiwi_threads:
            _kiwi_threads, _kiwi_instance = threads, None


def _remember(new: dict[str, str]) -> None:
    """Add analyses to the cache, evicting the oldest entries (insertion order) beyond ``MAX_CACHE``."""
    if len(new) > MAX_CACHE:  # one batch larger than the whole cache: keep its last pieces
        new = dict(itertools.islice(new.items(), len(new) - MAX_CACHE, None))
    with _lock:
        overflow = len(_cache) + len(new) - MAX_CACHE
        if overflow > 0:
            for key in list(itertools.islice(iter(_cache), min(overflow, len(_cache)))):
                del _cache[key]
        _cache.update(new)


def analyses(pieces: Iterable[str]) -> dict[str, str]:
    """``piece -> "form/TAG ..."`` for every piece: cached ones looked up, the rest in one Kiwi batch."""
    wanted = list(dict.fromkeys(pieces))
    with _lock:
        found = {p: _cache[p] for p in wanted if p in _cache}
    todo = [p for p in wanted if p not in found]
    if todo:
        with _kiwi_lock:
            tokenized = _kiwi().tokenize(todo)
            fresh = {piece: " ".join(f"{tok.form}/{tok.tag}" for tok in toks) for piece, toks in zip(todo, tokenized)}
        _remember(fresh)
        found.update(fresh)
    return found


def analyse_pieces(pieces: Sequence[str]) -> None:
    """Analyse the pieces not yet cached, in one multi-threaded Kiwi batch (warms the cache)."""
    analyses(pieces)


MAX_SPELLINGS = 500_000  # unseen pieces whose parts a lexicon remembers; beyond this it starts afresh


class Lexicon:
    """A model's training pieces: what spells a piece the model has never seen. Its pieces never change; the
    parts it found for unseen pieces are remembered (bounded, under a lock), so threads can share it."""

    def __init__(self, pieces: Iterable[str], shortest: int = 2) -> None:
        self.pieces = frozenset(pieces)
        self.longest = max(map(len, self.pieces), default=0)
        self.shortest = shortest  # characters of the shortest part a spelling may use
        self._spelled: dict[str, tuple[str, ...]] = {}  # unseen piece -> its parts ((piece,): Kiwi reads it)
        self._lock = threading.Lock()

    def parts(self, pieces: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Each piece's parts: itself for a training piece or one no parts spell (Kiwi reads it), else its
        spelling. A long run meets the same unseen pieces again: their spellings are looked up, not redone."""
        out: dict[str, tuple[str, ...]] = {}
        new: dict[str, tuple[str, ...]] = {}
        known, memo = self.pieces, self._spelled
        for piece in pieces:
            if piece in known:
                out[piece] = (piece,)
                continue
            got = memo.get(piece)
            if got is None:
                got = new[piece] = self.spell(piece) or (piece,)
            out[piece] = got
        if new:
            with self._lock:
                if len(memo) + len(new) > MAX_SPELLINGS:
                    memo.clear()
                if len(new) <= MAX_SPELLINGS:  # a batch larger than the bound is not remembered
                    memo.update(new)
        return out

    def spell(self, piece: str) -> tuple[str, ...] | None:
        """``piece`` as training pieces of at least ``shortest`` characters, longest first from the left (itself
        when it is a training piece); ``None`` when that reading leaves a stretch no such piece covers."""
        if piece in self.pieces:
            return (piece,)
        parts: list[str] = []
        start, n, pieces = 0, len(piece), self.pieces
        while start < n:
            for end in range(min(n, start + self.longest), start + self.shortest - 1, -1):
                if piece[start:end] in pieces:
                    parts.append(piece[start:end])
                    start = end
                    break
            else:
                return None
        return tuple(parts)


def morph_strings(texts: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
    """Each text as space-joined ``form/TAG`` morphemes (e.g. ``학교/NNG 가/VV 기/ETN``) for a token vectorizer.

    With a ``lexicon``, a piece outside it is analysed as the lexicon's pieces that spell it (Kiwi only when
    none do); without one, every piece is Kiwi's own analysis (training, and models saved without pieces)."""
    split = [PIECES.findall(text) for text in texts]
    distinct = dict.fromkeys(p for pieces in split for p in pieces)
    if lexicon is None:
        known = analyses(distinct)
        return [" ".join(known[p] for p in pieces) for pieces in split]
    spelled = lexicon.parts(distinct)
    known = analyses(part for parts in spelled.values() for part in parts)
    joined = {p: known[parts[0]] if len(parts) == 1 else " ".join(map(known.__getitem__, parts))
              for p, parts in spelled.items()}  # fmt: skip
    return [" ".join(joined[p] for p in pieces) for pieces in split]


def distinct_pieces(texts: Sequence[str]) -> list[str]:
    """The distinct pieces of ``texts`` in first-seen order (what :func:`morph_strings` analyses)."""
    return list(dict.fromkeys(p for text in texts for p in PIECES.findall(text)))


def save_analyses(path: Path, pieces: Sequence[str]) -> None:
    """Write ``piece<TAB>analysis`` lines (gzipped, atomically); plain text, no pickle."""
    known = analyses(pieces)
    with atomic_open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write("".join(f"{p}\t{known[p]}\n" for p in pieces).encode("utf-8"))


def load_analyses(path: Path) -> list[str]:
    """Seed the cache from a file written by :func:`save_analyses`; returns its pieces."""
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as fh:
        pairs = [line.rstrip("\n").split("\t", 1) for line in fh]
    _remember(dict((piece, analysis) for piece, analysis in pairs))
    return [piece for piece, _ in pairs]
