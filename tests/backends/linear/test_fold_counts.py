"""Cross-validation analyses each text once (shared term counts) and still gives exactly the out-of-fold
probabilities of refitting every fold's vectorizers from the texts; NB scaling keeps X's structure."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from koclassify import Classifier
from koclassify.backends.linear import backend as linear_backend
from koclassify.backends.linear import foldcounts
from koclassify.backends.linear.head import scale_columns
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.samples import sample_path

LYRICS = ReadOptions(text_col="lyrics", label_col="genre", label_sep=",", multi_label=True, lenient=True)


@pytest.mark.parametrize(("name", "options"), [("lyrics_train.csv", LYRICS), ("nikl_train.jsonl", None)])
def test_shared_fold_counts_give_the_same_out_of_fold_probabilities(name, options, monkeypatch) -> None:
    data = read_examples(sample_path(name), options)
    clf = Classifier("linear", multi_label=data.options.multi_label).fit(data.examples, labels=data.label_names)
    analysed: list[int] = []

    original = foldcounts.BlockCounts.add

    def counting_add(self, examples, docs, analyze):
        before = len(self.rows)
        original(self, examples, docs, analyze)
        analysed.append(len(self.rows) - before)

    monkeypatch.setattr(foldcounts.BlockCounts, "add", counting_add)
    shared = clf.cross_val_proba(data.examples)
    assert clf.backend._fold_counts is None  # dropped when the folds are done
    blocks = len(clf.backend.features.blocks)
    assert sum(analysed) == blocks * len(data.examples)  # every text analysed once per block, not once a fold

    plain_clone = linear_backend.LinearBackend.fold_clone

    def without_sharing(self):
        twin = plain_clone(self)
        twin._fold_counts = self._fold_counts = None
        return twin

    monkeypatch.setattr(linear_backend.LinearBackend, "fold_clone", without_sharing)
    refit = clf.cross_val_proba(data.examples)
    np.testing.assert_array_equal(shared, refit)  # bit for bit


def test_scale_columns_equals_multiply() -> None:
    X = sp.random(50, 300, density=0.1, format="csr", dtype=np.float32, random_state=0)
    factors = np.random.default_rng(0).random(300).astype(np.float32)
    got = scale_columns(X, factors)
    assert got.dtype == np.float32 and (got.indices == X.indices).all()
    np.testing.assert_array_equal(got.toarray(), X.multiply(factors).toarray())
