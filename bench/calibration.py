"""Thresholds on KOTE (44 emotions, multi-label): fixed 0.5 vs the NIKL 2023 recipe's TP+TN vs micro-F1, one run.

Train the default ``linear`` backend on val.tsv, get 5-fold out-of-fold probabilities on it, tune thresholds on
those with each objective, and score test.tsv. Also times the threshold search itself (44 labels x 5,000 rows x
1,000 grid points) against a plain loop over the grid, the NIKL 2023 recipe's way.

    python bench/calibration.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import datadir
from koclassify import Classifier
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.decide.calibration import find_thresholds
from koclassify.metrics import evaluate

DATA = datadir.default()  # --data DIR / $KOCLASSIFY_DATA (bench/datadir.py)
warnings.filterwarnings("ignore")


def seed_loop(probs: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """The NIKL 2023 recipe's percent_simulation, vectorised over rows only: one pass per grid point."""
    best = np.zeros(gold.shape[1], dtype=np.int64)
    for step in range(1000):
        best = np.maximum(best, ((probs >= step / 1000) == gold).sum(axis=0))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    datadir.add_argument(parser)
    args = parser.parse_args()
    global DATA
    DATA = datadir.resolve(args.data, needs=["kote"])
    opts = ReadOptions(format="tsv", no_header=True, id_col="0", text_col="1", label_col="2", label_sep=",",
                       label_names=str(DATA / "kote/labels.txt"), multi_label=True)  # fmt: skip
    train, test = read_examples(DATA / "kote/val.tsv", opts), read_examples(DATA / "kote/test.tsv", opts)
    t0 = time.perf_counter()
    clf = Classifier(multi_label=True, decision="threshold").fit(train.examples, labels=train.label_names)
    oof = clf.cross_val_proba(train.examples, folds=args.folds)
    print(f"trained + {args.folds}-fold out-of-fold probabilities: {time.perf_counter() - t0:.1f}s")
    space = clf.labels_
    gold_train = space.indicator(train.examples).astype(bool)
    gold_test = space.indicator(test.examples).astype(bool)
    test_probs = clf.predict_proba(test.examples)
    names = list(space.names)

    rows = [("fixed 0.5", np.full(len(names), 0.5), 0.0)]
    for objective in ("accuracy", "micro-f1", "macro-f1"):
        t0 = time.perf_counter()
        result = find_thresholds(oof, gold_train, objective=objective)
        rows.append((f"tuned: {objective}", result.thresholds, time.perf_counter() - t0))
    t0 = time.perf_counter()
    loop_best = seed_loop(oof, gold_train)
    loop_s = time.perf_counter() - t0
    seed_best = find_thresholds(oof, gold_train, objective="accuracy").label_scores
    assert np.array_equal(loop_best, seed_best), "the vectorised scan must reach the NIKL 2023 recipe's loop TP+TN"

    print(f"\nKOTE test.tsv ({len(test)} rows, {len(names)} labels); thresholds from {args.folds}-fold CV on val.tsv")
    print(f"{'thresholds':<22}{'micro-F1':>10}{'macro-F1':>10}{'search s':>10}")
    for name, thresholds, seconds in rows:
        pred = test_probs >= thresholds - 1e-9
        m = evaluate(gold_test, pred, names, True)
        print(f"{name:<22}{m['micro_f1']:>10.4f}{m['macro_f1']:>10.4f}{seconds:>10.3f}")
    print(f"\nseed-style loop over 1,000 grid points (TP+TN only): {loop_s:.3f}s, same per-label optimum")


if __name__ == "__main__":
    main()
