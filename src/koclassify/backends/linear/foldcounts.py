"""Term counts shared by the folds of cross-validated calibration, so each text is analysed once, not once a fold.

Refitting a ``TfidfVectorizer`` on each fold's training rows analyses every text again (character n-grams,
morphemes): on long texts (kpop lyrics) that was half of a multi-label train. Here each example's term counts
are computed once (keyed by the example object, which the folds share) over a growing vocabulary; a fold then
keeps the terms its own rows use in at least ``min_df`` documents, in sorted order, and weighs them with
scikit-learn's own ``TfidfTransformer`` fitted on its rows: the same vocabulary, idf and matrix as a
``TfidfVectorizer`` fitted on the fold (``max_features`` folds take the ordinary path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from koclassify.data.example import Example


class BlockCounts:
    """One feature block's counts: a row per example seen so far, columns in first-seen term order."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(example) -> (columns, counts)
        self.keep: list[Example] = []  # the examples themselves, so their ids stay unique while cached

    def add(self, examples: Sequence[Example], docs: Callable[[Sequence[Example]], list[str]], analyze: Any) -> None:
        new = list({id(ex): ex for ex in examples if id(ex) not in self.rows}.values())
        for ex, doc in zip(new, docs(new)):
            counts = Counter(analyze(doc))
            cols = np.fromiter((self.vocabulary.setdefault(t, len(self.vocabulary)) for t in counts), np.int64)
            self.rows[id(ex)] = (cols, np.fromiter(counts.values(), np.float64, len(counts)))
            self.keep.append(ex)

    def matrix(self, examples: Sequence[Example], dtype: Any) -> sp.csr_matrix:
        parts = [self.rows[id(ex)] for ex in examples]
        indptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in parts])])
        cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int64)
        vals = np.concatenate([v for _, v in parts]) if parts else np.zeros(0)
        return sp.csr_matrix((vals.astype(dtype), cols, indptr), shape=(len(examples), len(self.vocabulary)))


class FoldCounts:
    """Every block's :class:`BlockCounts` for one cross-validation run (dropped when the run ends)."""

    def __init__(self) -> None:
        self.blocks: dict[str, BlockCounts] = {}

    def fit_block(
        self, block: str, vec: Any, examples: Sequence[Example], docs: Callable[[Sequence[Example]], list[str]]
    ) -> tuple[sp.csr_matrix, dict[str, int], np.ndarray]:
        """(TF-IDF matrix of ``examples``, vocabulary, idf) exactly as ``vec.fit_transform`` would give them;
        ``ValueError`` when no term is left (as scikit-learn raises)."""
        from sklearn.feature_extraction.text import TfidfTransformer

        counts = self.blocks.setdefault(block, BlockCounts())
        counts.add(examples, docs, vec.build_analyzer())
        X = counts.matrix(examples, vec.dtype)
        df = np.bincount(X.indices, minlength=X.shape[1])
        min_docs = vec.min_df if isinstance(vec.min_df, int) else int(np.ceil(vec.min_df * len(examples)))
        max_docs = vec.max_df if isinstance(vec.max_df, int) else int(vec.max_df * len(examples))
        used = np.flatnonzero((df >= min_docs) & (df <= max_docs) & (df > 0))
        if not len(used):
            raise ValueError("After pruning, no terms remain")
        terms = np.empty(len(counts.vocabulary), dtype=object)
        for term, col in counts.vocabulary.items():
            terms[col] = term
        order = used[np.argsort(terms[used].astype(str), kind="stable")]  # scikit-learn sorts its vocabulary
        X = X[:, order].tocsr()
        X.sort_indices()
        tfidf = TfidfTransformer(norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf,
                                 sublinear_tf=vec.sublinear_tf)  # fmt: skip
        matrix = tfidf.fit(X).transform(X, copy=False)
        return matrix, {str(t): i for i, t in enumerate(terms[order])}, tfidf.idf_
