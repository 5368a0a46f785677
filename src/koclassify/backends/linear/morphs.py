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
only the pieces it has never seen to Kiwi, as a process that has just trained would. Processes that predict one
corpus together (Ray workers) also share what Kiwi reads through an :class:`AnalysisStore`
(:func:`share_analyses`), so each new piece is analysed once per run rather than once per process.

Most pieces a model has never seen are spelled by pieces it has: reviews drop spaces (``유일한영화`` is
``유일한`` + ``영화``), and a new word is often a known stem and a known ending. With a :class:`Lexicon` of the
model's training pieces, such a piece gets the analyses of the training pieces that spell it, leftmost-longest
first, and only a piece nothing spells goes to Kiwi. Parts of one syllable are the risk: read alone, a particle or
an ending gets a stand-alone word's analysis (``도`` as 도/NNG, ``는`` as 늘/VV), so every part has at least two
syllables, and a one- or two-syllable stretch between them is read as an affix the way training pieces read
it beside the same kind of word (``타이타닉도``: ``타이타닉`` + ``도`` as in ``영화도`` beside ``영화``;
:func:`affix_readings`). That is ``unseen_pieces="affix"``, the default: Kiwi reads about a third fewer pieces
than with training pieces alone (``"spell"``), at the same accuracy on nsmc, KOTE and hate-speech.
``"spell-any"`` takes one-syllable training pieces as parts (far fewer Kiwi calls, about a point of micro-F1
lost on KOTE with 5k rows; measurements in docs/benchmarks.md). Every reading depends only on the model and the
piece, never on what the process saw before.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

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
_store: AnalysisStore | None = None  # analyses shared with other processes (share_analyses)


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


def bounded_update(known: dict[str, str], new: Mapping[str, str], limit: int) -> None:
    """Add ``new`` to ``known``, evicting the oldest entries (insertion order) beyond ``limit`` pieces."""
    if len(new) > limit:  # one batch larger than the whole cache: keep its last pieces
        new = dict(itertools.islice(new.items(), len(new) - limit, None))
    overflow = len(known) + len(new) - limit
    if overflow > 0:
        for key in list(itertools.islice(iter(known), min(overflow, len(known)))):
            del known[key]
    known.update(new)


def _remember(new: Mapping[str, str]) -> None:
    """Add analyses to the process's cache (bounded by ``MAX_CACHE``)."""
    with _lock:
        bounded_update(_cache, new, MAX_CACHE)


class AnalysisStore(Protocol):
    """Kiwi analyses shared by several processes (a Ray run's workers): what one worker has analysed, the others
    look up instead of analysing it again."""

    def get(self, pieces: list[str]) -> dict[str, str]: ...

    def put(self, analyses: dict[str, str]) -> None: ...


def share_analyses(store: AnalysisStore | None) -> None:
    """Look pieces missing from this process's cache up in ``store`` before Kiwi, and give it what Kiwi reads
    (``None``: stop sharing)."""
    global _store
    _store = store


def analyses(pieces: Iterable[str]) -> dict[str, str]:
    """``piece -> "form/TAG ..."`` for every piece: cached ones looked up, the rest in one Kiwi batch."""
    wanted = list(dict.fromkeys(pieces))
    with _lock:
        found = {p: _cache[p] for p in wanted if p in _cache}
    todo = [p for p in wanted if p not in found]
    store = _store
    if todo and store is not None:
        shared = store.get(todo)
        if shared:
            _remember(shared)
            found.update(shared)
            todo = [p for p in todo if p not in shared]
    if todo:
        with _kiwi_lock:
            tokenized = _kiwi().tokenize(todo)
            fresh = {piece: " ".join(f"{tok.form}/{tok.tag}" for tok in toks) for piece, toks in zip(todo, tokenized)}
        _remember(fresh)
        found.update(fresh)
        if store is not None:
            store.put(fresh)
    return found


def analyse_pieces(pieces: Sequence[str]) -> None:
    """Analyse the pieces not yet cached, in one multi-threaded Kiwi batch (warms the cache)."""
    analyses(pieces)


MAX_SPELLINGS = 500_000  # unseen pieces whose reading a lexicon remembers; beyond this it starts afresh
AFFIX_SYLLABLES = 2  # the longest affix read as training pieces read it
_UNREAD = object()


def _last_tag(analysis: str) -> str:
    return analysis.rpartition("/")[2]


def _first_tag(analysis: str) -> str:
    return analysis.partition(" ")[0].rpartition("/")[2]


Readings = dict[tuple[str, str], str]


def affix_readings(analysis: Mapping[str, str], longest: int = AFFIX_SYLLABLES) -> tuple[Readings, Readings]:
    """How the training pieces read their short affixes, learned from pairs of training pieces.

    ``tails[(tag, affix)]``: the analysis ``affix`` gets at the end of a training piece whose rest (two syllables
    or more) is itself a training piece ending in ``tag``, e.g. ``영화도`` beside ``영화`` gives ``("NNG", "도") ->
    "도/JX"`` and ``영화다`` gives ``("NNG", "다") -> "이/VCP 다/EF"``. ``heads[(affix, tag)]``: the same at the start
    (``안좋다`` beside ``좋다``: ``("안", "VA") -> "안/MAG"``). Keyed by the neighbour's tag, a syllable read as a
    particle after a noun is not read so after a verb's ending. Where pairs disagree the most frequent reading
    wins (ties: the first in sorted order), so the tables depend only on the pieces and their analyses."""
    tails: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    heads: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for piece, reading in analysis.items():
        for k in range(1, longest + 1):
            if len(piece) < k + 2:
                break
            rest = analysis.get(piece[:-k])
            if rest and reading.startswith(rest + " "):
                tails[(_last_tag(rest), piece[-k:])][reading[len(rest) + 1 :]] += 1
            rest = analysis.get(piece[k:])
            if rest and reading.endswith(" " + rest):
                heads[(piece[:k], _first_tag(rest))][reading[: -len(rest) - 1]] += 1

    def best(votes: defaultdict[tuple[str, str], Counter[str]]) -> Readings:
        return {key: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, counts in votes.items()}

    return best(tails), best(heads)


class Lexicon:
    """A model's training pieces and their analyses: what reads a piece the model has never seen.

    ``shortest``: characters of the shortest training piece a spelling may use. ``affixes``: a stretch no such
    piece covers may also be a short affix read as the training pieces read it beside the same kind of word
    (:func:`affix_readings`). The pieces and tables never change; the readings found for unseen pieces are
    remembered (bounded, under a lock), so threads can share a lexicon."""

    def __init__(self, pieces: Iterable[str], shortest: int = 2, affixes: bool = False) -> None:
        self.analysis: dict[str, str] = analyses(pieces)  # training piece -> its analysis (seeded at load)
        self.pieces = self.analysis.keys()
        self.longest = max(map(len, self.analysis), default=0)
        self.shortest = shortest
        self.affixes = affixes
        self.tails, self.heads = affix_readings(self.analysis) if affixes else ({}, {})
        self._spelled: dict[str, str | None] = {}  # unseen piece -> its reading (None: Kiwi reads it)
        self._lock = threading.Lock()

    def readings(self, pieces: Iterable[str]) -> dict[str, str | None]:
        """Each piece's analysis read from the model's own (``None``: nothing spells it, Kiwi's turn). A long run
        meets the same unseen pieces again: their readings are looked up, not redone."""
        out: dict[str, str | None] = {}
        new: dict[str, str | None] = {}
        known, memo = self.analysis, self._spelled
        for piece in pieces:
            got = known.get(piece, _UNREAD)
            if got is _UNREAD:
                got = memo.get(piece, _UNREAD)
                if got is _UNREAD:
                    got = new[piece] = self.read(piece)
            out[piece] = got  # type: ignore[assignment]
        if new:
            with self._lock:
                if len(memo) + len(new) > MAX_SPELLINGS:
                    memo.clear()
                if len(new) <= MAX_SPELLINGS:  # a batch larger than the bound is not remembered
                    memo.update(new)
        return out

    def read(self, piece: str) -> str | None:
        """``piece``'s analysis from the model's own, or ``None``: a training piece's; else training pieces
        longest first from the left, and (with ``affixes``) where none starts, an affix (:meth:`_affix_at`)."""
        known = self.analysis.get(piece)
        if known is not None:
            return known
        read: list[str] = []
        start = 0
        while start < len(piece):
            end = self._piece_at(piece, start)
            if end is not None:
                read.append(self.analysis[piece[start:end]])
            else:
                affix = self._affix_at(piece, start, read[-1] if read else None) if self.affixes else None
                if affix is None:
                    return None
                reading, end = affix
                read.append(reading)
            start = end
        return " ".join(read) if read else None

    def _piece_at(self, piece: str, start: int) -> int | None:
        """The end of the longest training piece of ``shortest`` characters or more at ``start`` (or ``None``)."""
        known = self.analysis
        for end in range(min(len(piece), start + self.longest), start + self.shortest - 1, -1):
            if piece[start:end] in known:
                return end
        return None

    def spell(self, piece: str) -> tuple[str, ...] | None:
        """``piece`` as training pieces of at least ``shortest`` characters, longest first from the left (itself
        when it is a training piece); ``None`` when that reading leaves a stretch no such piece covers."""
        if piece in self.analysis:
            return (piece,)
        parts: list[str] = []
        start = 0
        while start < len(piece):
            end = self._piece_at(piece, start)
            if end is None:
                return None
            parts.append(piece[start:end])
            start = end
        return tuple(parts) if parts else None

    def _affix_at(self, piece: str, start: int, before: str | None) -> tuple[str, int] | None:
        """The affix reading at ``start`` and its end: a tail after ``before`` (the reading so far), else a head
        before the training piece that follows it."""
        n = len(piece)
        if before is not None:
            tag = _last_tag(before)
            for end in range(min(n, start + AFFIX_SYLLABLES), start, -1):
                reading = self.tails.get((tag, piece[start:end]))
                if reading is not None:
                    return reading, end
        for end in range(start + 1, min(n - 2, start + AFFIX_SYLLABLES) + 1):
            after = self._piece_at(piece, end)
            if after is not None:
                reading = self.heads.get((piece[start:end], _first_tag(self.analysis[piece[end:after]])))
                if reading is not None:
                    return reading, end
        return None


def morph_strings(texts: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
    """Each text as space-joined ``form/TAG`` morphemes (e.g. ``학교/NNG 가/VV 기/ETN``) for a token vectorizer.

    With a ``lexicon``, a piece outside it is read from the lexicon's own analyses (Kiwi only when they do not
    spell it); without one, every piece is Kiwi's own analysis (training, and models saved without pieces)."""
    split = [PIECES.findall(text) for text in texts]
    distinct = dict.fromkeys(p for pieces in split for p in pieces)
    if lexicon is None:
        known = analyses(distinct)
    else:
        read = lexicon.readings(distinct)
        known = analyses(p for p, reading in read.items() if reading is None)
        known.update((p, reading) for p, reading in read.items() if reading is not None)
    return [" ".join(known[p] for p in pieces) for pieces in split]


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
