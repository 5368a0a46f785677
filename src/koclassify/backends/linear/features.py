"""Feature blocks for the linear backend, each a scikit-learn ``TfidfVectorizer`` over one view of an example.

Views: the text's characters (within word boundaries), its whitespace words, its Kiwi morphemes, and for
target-conditioned data (NIKL: emotion *towards a target*) the target's form and a window of characters around
the span, so the same sentence can carry different labels for different targets.
Vectorizers are stored as plain JSON vocabularies + idf arrays (no pickles) and rebuilt on load.

Prediction counts n-grams with array operations over a whole chunk (:mod:`.ngrams`), exactly the counts of
``TfidfVectorizer.transform`` at a fraction of its cost, then weighs them with scikit-learn's ``TfidfTransformer``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from koclassify.backends.linear.morphs import Lexicon, distinct_pieces, morph_strings
from koclassify.backends.linear.ngrams import counter_for
from koclassify.backends.linear.spec import BLOCKS as BLOCK_NAMES
from koclassify.backends.linear.spec import SPELLINGS
from koclassify.data.example import Example

# block name -> TfidfVectorizer parameters (JSON-serialisable, so they can be saved and rebuilt)
BLOCKS: dict[str, dict[str, Any]] = {
    "char": {"analyzer": "char_wb", "ngram_range": (1, 4)},
    "word": {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\S+"},
    "morph": {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"\S+", "lowercase": False},
    "target": {"analyzer": "char_wb", "ngram_range": (1, 3)},
    "context": {"analyzer": "char_wb", "ngram_range": (1, 4)},
}
COMMON = {"sublinear_tf": True, "dtype": np.float32}
assert tuple(BLOCKS) == BLOCK_NAMES  # the option check (spec.py) knows the names without importing scikit-learn


def window(example: Example, width: int) -> str:
    """Characters around the target span, the span itself replaced by a marker; '' when there is no span."""
    tgt = example.target
    if tgt is None or tgt.begin is None or tgt.end is None:
        return ""
    text = example.text
    return f"{text[max(0, tgt.begin - width) : tgt.begin]} ◆ {text[tgt.end : tgt.end + width]}"


def view(block: str, examples: Sequence[Example], context_width: int, lexicon: Lexicon | None = None) -> list[str]:
    """The strings a block's vectorizer reads (``lexicon``: what reads the pieces the model never saw)."""
    if block in ("char", "word"):
        return [ex.text for ex in examples]
    if block == "morph":
        return morph_strings([ex.text for ex in examples], lexicon)
    if block == "target":
        return [ex.target_form or "" for ex in examples]
    if block == "context":
        return [window(ex, context_width) for ex in examples]
    raise ValueError(f"unknown feature block {block!r}; known: {sorted(BLOCKS)}")


def tfidf_from_counts(vec: TfidfVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """What ``vec.transform`` makes of term counts (sublinear tf, idf, norm).

    The project's settings (sublinear tf, idf, l2 rows) are the steps of ``TfidfTransformer.transform`` done on
    the counts' data array in place, its row normalisation by scikit-learn's own kernel: the transformer's input
    checks cost ~1 ms a call, more than the arithmetic on a server's batch of a few rows. Other settings go
    through the transformer itself."""
    if vec.sublinear_tf and vec.use_idf and vec.norm == "l2" and counts.dtype in (np.float32, np.float64):
        from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

        np.log(counts.data, counts.data)
        counts.data += 1.0
        counts.data *= vec.idf_[counts.indices]
        inplace_csr_row_normalize_l2(counts)
        return counts
    tfidf = TfidfTransformer(
        norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf, sublinear_tf=vec.sublinear_tf
    )
    if vec.use_idf:
        tfidf.idf_ = vec.idf_
    return tfidf.transform(counts)


_build_lock = threading.Lock()  # builds each block's counter and the lexicon once, whichever thread asks first


@dataclass
class FeatureUnion:
    """Blocks of TF-IDF features, horizontally stacked with per-block weights."""

    blocks: list[str]
    min_df: int = 2
    max_features: int | None = None
    context_width: int = 12
    weights: dict[str, float] | None = None
    unseen_pieces: str = "affix"  # the linear option of that name (spec.UNSEEN_PIECES), stored in the config

    def __post_init__(self) -> None:
        self.vectorizers: dict[str, TfidfVectorizer] = {}
        self.train_pieces: list[str] = []  # pieces of the training texts, whose analyses the model keeps
        self._lexicon: Lexicon | None = None  # built from train_pieces on first use
        self.fold_counts: Any = None  # a cross-validation fold's shared counts (foldcounts.FoldCounts)
        self._counters: dict[str, Any] = {}  # block -> ngrams counter (None: scikit-learn's path), built on first use

    def _make(self, block: str, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        params = {**BLOCKS[block], **COMMON}
        if vocabulary is None:
            params.update(min_df=self.min_df, max_features=self.max_features)
        return TfidfVectorizer(vocabulary=vocabulary, **params)

    def fit_transform(self, examples: Sequence[Example]) -> sp.csr_matrix:
        shared = self.fold_counts if self.max_features is None else None
        if "morph" in self.blocks and shared is None:  # a fold's model is never saved: no pieces to keep
            self.train_pieces = distinct_pieces([ex.text for ex in examples])
            self._lexicon = None
        mats = []
        for block in list(self.blocks):
            vec = self._make(block)
            try:
                if shared is not None:
                    matrix, vocabulary, idf = shared.fit_block(
                        block, vec, examples, lambda exs, b=block: view(b, exs, self.context_width)
                    )
                    vec = self._make(block, vocabulary=vocabulary)
                    vec.idf_ = idf
                    mats.append(matrix)
                else:
                    mats.append(vec.fit_transform(view(block, examples, self.context_width)))
            except ValueError:  # empty vocabulary (e.g. min_df too high for a tiny set): drop the block
                self.blocks.remove(block)
                continue
            self.vectorizers[block] = vec
        return self._stack(mats)

    def transform(self, examples: Sequence[Example]) -> sp.csr_matrix:
        lexicon = self.lexicon
        return self._stack(
            [self.transform_block(b, view(b, examples, self.context_width, lexicon)) for b in self.blocks]
        )

    @property
    def lexicon(self) -> Lexicon | None:
        """The training pieces that spell unseen ones (morphs.Lexicon); ``None``: Kiwi analyses every piece (the
        option is off, or the model keeps no pieces: a fold twin, a model saved without them)."""
        spell = self.unseen_pieces in SPELLINGS
        if self._lexicon is None and spell and self.train_pieces and "morph" in self.blocks:
            with _build_lock:
                if self._lexicon is None:
                    shortest, affixes = SPELLINGS[self.unseen_pieces]
                    self._lexicon = Lexicon(self.train_pieces, shortest, affixes)
        return self._lexicon

    def transform_block(self, block: str, docs: Sequence[str]) -> sp.csr_matrix:
        """``vectorizers[block].transform(docs)``, its n-grams counted by the block's array counter (ngrams.py)."""
        vec = self.vectorizers[block]
        counter = self._counter(block)
        if counter is None:  # settings the array counter does not cover: scikit-learn's own path
            return vec.transform(docs)
        return tfidf_from_counts(vec, counter.counts(docs))

    def _counter(self, block: str) -> Any:
        """The block's counter, built on first use (once, whichever thread asks first)."""
        counter = self._counters.get(block, False)
        if counter is False:
            with _build_lock:
                counter = self._counters.get(block, False)
                if counter is False:
                    counter = self._counters[block] = counter_for(self.vectorizers[block])
        return counter

    def _stack(self, mats: list[sp.spmatrix]) -> sp.csr_matrix:
        weights = self.weights or {}
        scaled = [
            m * float(weights.get(b, 1.0)) if weights.get(b, 1.0) != 1.0 else m for b, m in zip(self.blocks, mats)
        ]
        return sp.hstack(scaled, format="csr", dtype=np.float32)

    @property
    def n_features(self) -> int:
        return sum(len(v.vocabulary_) for v in self.vectorizers.values())

    # ---------------------------------------------------------------- persistence (plain data only)
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able metadata + arrays. Vocabularies are stored as term lists in column order."""
        meta: dict[str, Any] = {
            "blocks": self.blocks,
            "min_df": self.min_df,
            "max_features": self.max_features,
            "context_width": self.context_width,
            "weights": self.weights,
            "vocabularies": {},
        }
        arrays: dict[str, np.ndarray] = {}
        for block, vec in self.vectorizers.items():
            terms = [""] * len(vec.vocabulary_)
            for term, col in vec.vocabulary_.items():
                terms[col] = term
            meta["vocabularies"][block] = terms
            arrays[f"idf_{block}"] = vec.idf_.astype(np.float64)
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> FeatureUnion:
        union = cls(list(meta["blocks"]), meta["min_df"], meta["max_features"], meta["context_width"], meta["weights"])
        for block in union.blocks:
            terms = meta["vocabularies"][block]
            vec = union._make(block, vocabulary={t: i for i, t in enumerate(terms)})
            vec.idf_ = arrays[f"idf_{block}"]
            union.vectorizers[block] = vec
            union._counter(block)  # at load, not in the first prediction (a server's first request)
        return union


NB_ALPHA = 0.1  # smoothing of the NB count ratios: 0.1 beat 1.0, 0.3 and 0.03 on nsmc 50k (TF-IDF values, not counts)


def nb_ratios(X: sp.csr_matrix, y: np.ndarray, alpha: float = NB_ALPHA) -> np.ndarray:
    """Naive-Bayes log-count ratios (Wang & Manning 2012, NB-LR), one row per label: ``log((p/|p|) / (q/|q|))``
    with ``p``, ``q`` the smoothed feature sums over the rows with / without the label.

    Scaling a row's features by ``r[j]`` before label ``j``'s logistic regression lets the regression start from
    what each feature says about the label on its own: features that separate the classes are amplified, those
    spread evenly are damped. A label present in every row or in none gets ratios of 1 (no scaling).
    """
    y = np.asarray(y, dtype=bool)
    n_labels = y.shape[1]
    ratios = np.ones((n_labels, X.shape[1]), dtype=np.float32)
    total = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
    pos_sums = np.asarray((X.T @ sp.csr_matrix(y.astype(np.float64))).todense(), dtype=np.float64).T  # (L, F)
    for j in range(n_labels):
        if y[:, j].all() or not y[:, j].any():
            continue
        p = alpha + pos_sums[j]
        q = alpha + (total - pos_sums[j])
        ratios[j] = np.log((p / p.sum()) / (q / q.sum()))
    return ratios


def nb_scale(ratios: np.ndarray, strength: float) -> np.ndarray:
    """Per-feature factors ``(1 - s) + s * |r|`` for NB strength ``s``: 1 is Wang & Manning's NB-LR (``|r|`` and ``r``
    give the same regression up to the sign of its weights), 0 is plain TF-IDF, and in between the regression
    starts partway from what each feature says on its own. KOTE (44 labels): 0.5 beat both 0 and 1, out of fold
    and on test (docs/benchmarks.md)."""
    return ((1.0 - strength) + strength * np.abs(ratios)).astype(np.float32)
