"""Quality and cost of the default ``linear`` backend vs a plain scikit-learn baseline, on real Korean data.

Baseline: TfidfVectorizer(char_wb, 1-4) + LogisticRegression at threshold 0.5 (one-vs-rest for multi-label).
Ours: ``koclassify.Classifier()`` as the CLI trains it (multi-label thresholds tuned by 5-fold CV on the
training set, micro-F1 objective; multi-class uses argmax). Both see the same rows; times are measured in
this run on this machine. Our predict throughput is a fresh process's: the model is saved, the eojeol cache
emptied and the model loaded again (which seeds the cache with its training eojeol; the load time is printed
apart), so every eojeol the model never saw goes through Kiwi.

    python bench/quality.py                 # all datasets (about 5 minutes on 2 cores)
    python bench/quality.py --only kote     # one of: kote, hate, nsmc
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier

from koclassify import Classifier
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
warnings.filterwarnings("ignore")


def kote():
    opts = ReadOptions(format="tsv", no_header=True, id_col="0", text_col="1", label_col="2", label_sep=",",
                       label_names=str(DATA / "kote/labels.txt"), multi_label=True)  # fmt: skip
    return read_examples(DATA / "kote/val.tsv", opts), read_examples(DATA / "kote/test.tsv", opts)


def hate():
    opts = ReadOptions(format="tsv", text_col="comments", label_col="hate")
    return read_examples(DATA / "korean-hate-speech/train.tsv", opts), read_examples(
        DATA / "korean-hate-speech/dev.tsv", opts
    )


def nsmc():
    opts = ReadOptions(format="tsv", text_col="document", label_col="label", id_col="id")
    return read_examples(DATA / "nsmc-reviews/train.tsv", opts), read_examples(DATA / "nsmc-reviews/test.tsv", opts)


def baseline(train, test, labels, multi_label):
    texts = [ex.text for ex in train]
    y = labels.indicator(train)
    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4))
    X = vec.fit_transform(texts)
    if multi_label:
        model = OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(X, y)
    else:
        model = LogisticRegression(max_iter=1000).fit(X, y.argmax(1))
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    proba = model.predict_proba(vec.transform([ex.text for ex in test]))
    pred_rate = len(test) / (time.perf_counter() - t0)
    if multi_label:
        pred = proba >= 0.5
    else:
        pred = np.zeros((len(test), len(labels)), bool)
        pred[np.arange(len(test)), model.classes_[proba.argmax(1)]] = True
    return pred, train_s, pred_rate


def ours(train, test, label_names, multi_label, features=None):
    t0 = time.perf_counter()
    options = {"features": features} if features else {}
    clf = Classifier(multi_label=multi_label, **options).fit(train, labels=label_names, calibrate="cv", cv=5)
    train_s = time.perf_counter() - t0
    from koclassify.backends.linear import morphs

    with tempfile.TemporaryDirectory() as tmp:  # predict as a fresh process does: load the saved model
        clf.save(Path(tmp) / "model")
        morphs._cache.clear()  # nothing analysed yet but what the model directory keeps
        t0 = time.perf_counter()
        clf = Classifier.load(Path(tmp) / "model")
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = clf.decide(clf.predict_proba(test))
    pred_rate = len(test) / (time.perf_counter() - t0)
    return clf, pred, train_s, pred_rate, load_s


def scores(gold, pred, multi_label):
    if multi_label:
        return {"micro_f1": f1_score(gold, pred, average="micro", zero_division=0),
                "macro_f1": f1_score(gold, pred, average="macro", zero_division=0)}  # fmt: skip
    g, p = gold.argmax(1), pred.argmax(1)
    return {"accuracy": accuracy_score(g, p), "macro_f1": f1_score(g, p, average="macro")}


def run(name, train_set, test_set, n_train=None, features=None):
    train = train_set.examples[:n_train] if n_train else train_set.examples
    test = test_set.examples
    multi = bool(train_set.options.multi_label) or any(len(ex.labels) != 1 for ex in train)
    clf, pred, o_train, o_rate, o_load = ours(train, test, train_set.label_names, multi, features)
    gold = clf.labels_.indicator(test)
    b_pred, b_train, b_rate = baseline(train, test, clf.labels_, multi)
    o, b = scores(gold, pred, multi), scores(gold, b_pred, multi)
    metric_txt = "  ".join(f"{k} {o[k]:.4f} vs {b[k]:.4f} ({(o[k] - b[k]) * 100:+.1f} pt)" for k in o)
    rate = f"{o_rate:,.0f} vs {b_rate:,.0f} texts/s ({o_rate / b_rate:.2f}x)"
    print(f"| {name} | {len(train)} | {metric_txt} | {o_train:.1f} s vs {b_train:.1f} s | {rate} | {o_load:.2f} s |",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["kote", "hate", "nsmc"])
    parser.add_argument("--nsmc-sizes", default="10000,50000,0", help="0 = all rows")
    parser.add_argument("--features", help="ours with other feature blocks, e.g. char,word (no Kiwi)")
    args = parser.parse_args()
    print("| data | train rows | ours vs baseline | train time | predict throughput | load (ours) |")
    print("|---|---|---|---|---|---|")
    if args.only in (None, "kote"):
        run("KOTE (val->test, 44 labels)", *kote(), features=args.features)
    if args.only in (None, "hate"):
        run("korean-hate-speech (hate)", *hate(), features=args.features)
    if args.only in (None, "nsmc"):
        tr, te = nsmc()
        for n in (int(x) for x in args.nsmc_sizes.split(",")):
            run("nsmc-reviews", tr, te, n_train=n or None, features=args.features)


if __name__ == "__main__":
    main()
