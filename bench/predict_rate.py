"""Predict throughput and accuracy of the default against the TF-IDF+LR baseline, each in fresh processes,
alternating, so that process order and machine drift weigh on both alike.

Trains, on the same rows, today's default (``Classifier()``, ``unseen_pieces="affix"``), the same with
``unseen_pieces="spell"`` (training pieces alone, no affixes), ``"spell-any"`` (one-syllable parts too) and
``"kiwi"`` (every piece the model never saw analysed by Kiwi, as before issue 22's spelling), the TF-IDF+LR
baseline of
``quality.py`` (``TfidfVectorizer(char_wb, 1-4)`` + ``LogisticRegression``, pickled into the temp dir: a
benchmark's own object) and, with ``--before``, the default before issue 16 (``nb="off", stack="off"``). Then
``--repeats`` rounds; in each round each model is loaded by a new Python process, which loads Kiwi's model
(untimed, as every process pays it once; Kiwi loads it on first use, ~2 s, which ``morphs._kiwi()`` now does
when it builds it), loads the model (for ours this seeds the morpheme cache with the training pieces) and
predicts the test rows (timed: features, head, second stage, decisions; for the baseline: transform,
predict_proba, argmax).
Printed: texts/s (median of the rounds, and each round), accuracy / micro-F1 on those rows, and default/baseline;
for ours also the rate of predicting the same rows again in the same process, when the morphemes of every piece
are known (what a long run reaches as its morpheme cache fills; Kiwi's analysis of never-seen pieces is the rest).

    python bench/predict_rate.py --dataset nsmc --max-train 50000     # issue 22: target >= 0.8x the baseline
    python bench/predict_rate.py --dataset kote --data /path/to/data   # or KOCLASSIFY_DATA=/path/to/data
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import datadir
import quality

CHILD = """
import json, pickle, sys, time
sys.path.insert(0, {bench!r})
import numpy as np
import quality
from koclassify.backends.linear import morphs
from koclassify.data.labels import LabelSpace
morphs._kiwi()
train, test = quality.{data}()
rows = test.examples[: {max_test}] if {max_test} else test.examples
fit_rows = train.examples[: {max_train}] if {max_train} else train.examples
space = LabelSpace.from_examples(fit_rows, multi_label={multi}, names=train.label_names)
if {baseline}:
    with open({model!r}, "rb") as fh:
        vec, model = pickle.load(fh)
    t0 = time.perf_counter()
    proba = model.predict_proba(vec.transform([ex.text for ex in rows]))
    if {multi}:
        pred = proba >= 0.5
    else:
        pred = np.zeros((len(rows), len(space)), bool)
        pred[np.arange(len(rows)), model.classes_[proba.argmax(1)]] = True
else:
    from koclassify import Classifier
    clf = Classifier.load({model!r})
    space = clf.labels_
    t0 = time.perf_counter()
    pred = clf.decide(clf.predict_proba(rows))
rate = len(rows) / (time.perf_counter() - t0)
again = None
if not {baseline}:  # the same rows once more: every piece's morphemes now known (a long run's steady state)
    t0 = time.perf_counter()
    clf.decide(clf.predict_proba(rows))
    again = len(rows) / (time.perf_counter() - t0)
score = quality.scores(space.indicator(rows), np.asarray(pred, bool), {multi})
print(json.dumps({{"rate": rate, "again": again, "scores": score}}))
"""


def train_baseline(examples, names, multi_label, path: Path) -> None:
    """quality.baseline's model, fitted and pickled for the child processes (never a koclassify model dir)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from koclassify.data.labels import LabelSpace

    y = LabelSpace.from_examples(examples, multi_label=multi_label, names=names).indicator(examples)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4))
    X = vec.fit_transform([ex.text for ex in examples])
    if multi_label:
        model = OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(X, y)
    else:
        model = LogisticRegression(max_iter=1000).fit(X, y.argmax(1))
    with open(path, "wb") as fh:  # a benchmark's temp file, not a package output
        pickle.dump((vec, model), fh)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["kote", "hate", "nsmc"], default="nsmc")
    datadir.add_argument(parser)
    parser.add_argument("--max-train", type=int, default=0, help="first training rows only (0: all)")
    parser.add_argument("--max-test", type=int, default=0, help="first test rows only (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", action="store_true", help="also the default before issue 16 (nb, stack off)")
    args = parser.parse_args()
    quality.DATA = datadir.resolve(args.data)  # also exported to the child processes as $KOCLASSIFY_DATA
    train_set, _ = getattr(quality, args.dataset)()
    train = train_set.examples[: args.max_train] if args.max_train else train_set.examples
    multi = bool(train_set.options.multi_label) or any(len(ex.labels or ()) != 1 for ex in train)
    ours = {
        "default (unseen_pieces=affix)": {},
        "unseen_pieces=spell": {"unseen_pieces": "spell"},
        "unseen_pieces=spell-any": {"unseen_pieces": "spell-any"},
        "unseen_pieces=kiwi": {"unseen_pieces": "kiwi"},
    }
    if args.before:
        ours["before"] = {"nb": "off", "stack": "off"}
    from koclassify import Classifier

    with tempfile.TemporaryDirectory() as tmp:
        models = {"TF-IDF+LR baseline": Path(tmp) / "baseline.pkl"}
        train_baseline(train, train_set.label_names, multi, models["TF-IDF+LR baseline"])
        for name, options in ours.items():
            clf = Classifier(multi_label=multi, **options).fit(train, labels=train_set.label_names)
            models[name] = clf.save(Path(tmp) / f"ours{len(models)}")
        rates: dict[str, list[float]] = {name: [] for name in models}
        known: dict[str, list[float]] = {name: [] for name in ours}
        scores: dict[str, dict[str, float]] = {}
        for _ in range(args.repeats):
            for name, model in models.items():
                code = CHILD.format(bench=str(Path(__file__).parent), data=args.dataset, max_test=args.max_test,
                                    max_train=args.max_train,
                                    model=str(model), multi=multi, baseline=name not in ours)  # fmt: skip
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                got = json.loads(out.stdout.strip().splitlines()[-1])
                rates[name].append(got["rate"])
                if got["again"] is not None:
                    known[name].append(got["again"])
                scores[name] = got["scores"]
    print(f"| data | train rows | model | predict texts/s, median of {args.repeats} (all) | test scores |")
    print("|---|---|---|---|---|")
    for name, values in rates.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        shown = "  ".join(f"{k} {v:.4f}" for k, v in scores[name].items())
        print(f"| {args.dataset} | {len(train)} | {name} | {statistics.median(values):,.0f} ({runs}) | {shown} |")
    for name, values in known.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {args.dataset} | {len(train)} | {name}, same rows again (morphemes known) | "
              f"{statistics.median(values):,.0f} ({runs}) | |")  # fmt: skip
    base = statistics.median(rates["TF-IDF+LR baseline"])
    for name in ours:
        print(f"{name} / TF-IDF+LR baseline predict texts/s: {statistics.median(rates[name]) / base:.2f}x "
              f"(issue 22 target >= 0.8x for the default); same rows again, morphemes known: "
              f"{statistics.median(known[name]) / base:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
