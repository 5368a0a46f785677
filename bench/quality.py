"""Quality and cost of the default ``linear`` backend and of the issue-16 levers, on real Korean data.

Rows, all in one run on the same data:
- ``sklearn baseline``: TfidfVectorizer(char_wb, 1-4) + LogisticRegression at threshold 0.5 (one-vs-rest for
  multi-label);
- ``before``: today's default reproduced (multi-label: thresholds tuned by 5-fold CV under plain thresholding,
  ``at_least_one`` only when every training row has a label, falling back to the most probable label;
  multi-class: argmax);
- ``rule`` (multi-label): the decision rule chosen by the share of labelled rows (>= 99%), the fallback by
  p / threshold, thresholds searched under the rule;
- ``rule+stack`` / ``rule+stack=auto``: plus the second stage over all labels' log-odds (``stack="on"`` /
  ``"auto"``: kept only when thresholds tuned on other folds score better with it; the CV scores are printed);
- ``nb=on`` / ``nb=0.5`` / ``nb=auto``: NB-weighted TF-IDF features (full strength / half strength / the strength
  chosen among 0, 0.5 and 1 on a 20% holdout).
Differences are against ``before``. Our predict throughput is a fresh process's: the model is saved, the eojeol
cache emptied and the model loaded again (which seeds the cache with its training eojeol; the load time is
printed apart), so every eojeol the model never saw goes through Kiwi.

    python bench/quality.py                 # all datasets
    python bench/quality.py --only kote     # one of: kote, hate, nsmc, lyrics (the shipped default vs baseline)
    python bench/quality.py --only kote --max-train 1000 --max-test 1000 --multi-label-variants before,rule

``--e5`` adds, in the same run, issue 24's rows: the linear default and the fine-tuned e5-small encoder trained on
the same rows (the last ``--e5-dev`` training rows held out as their dev set: e5's thresholds and best epoch, and
the ensemble's weights and thresholds are tuned on it), and their ``koclassify ensemble`` (tuned weights).
``--e5-rows`` caps e5's own training rows (CPU budget); ``--e5-options`` passes encoder options (JSON).

    python bench/quality.py --only kote --e5 --e5-rows 2000 --max-test 1000 --e5-options '{"max_length": 64}'
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier

import datadir
from koclassify import Classifier
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples

DATA = datadir.default()  # --data DIR / $KOCLASSIFY_DATA / the nearest shared/data above (bench/datadir.py)
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


def lyrics():
    opts = ReadOptions(format="csv", text_col="lyrics", label_col="genre", label_sep=",", multi_label=True,
                       lenient=True)  # fmt: skip
    train, dev = read_examples(DATA / "kpop-lyrics/train.csv", opts), read_examples(DATA / "kpop-lyrics/dev.csv", opts)
    known = {label for ex in train.examples for label in ex.labels or ()}
    # dev has a few genres train never shows (e.g. 워십): scored as absent, the rows kept
    dev.examples = [replace(ex, labels=tuple(x for x in ex.labels or () if x in known)) for ex in dev.examples]
    return train, dev


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


def before_calibration(clf, oof, gold):
    """Today's default, reproduced on the same fitted model: ``decision=auto`` only when *every* training row has
    a label, the fallback by probability, thresholds searched under plain thresholding, no second stage."""
    from koclassify.decide.calibration import find_thresholds
    from koclassify.decide.decision import DecisionRule

    rule = "at_least_one" if bool(gold.any(axis=1).all()) else "threshold"
    clf.decision_ = DecisionRule(rule, fallback="prob")
    clf.stack_ = None
    clf.thresholds_ = find_thresholds(oof, gold, objective="micro-f1").thresholds


def fresh_rate(clf, test):
    """Texts/s of a fresh process: save, empty the morpheme cache, load (seeding it from the model), predict."""
    from koclassify.backends.linear import morphs

    with tempfile.TemporaryDirectory() as tmp:
        clf.save(Path(tmp) / "model")
        morphs._cache.clear()  # nothing analysed yet but what the model directory keeps
        t0 = time.perf_counter()
        clf = Classifier.load(Path(tmp) / "model")
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = clf.decide(clf.predict_proba(test))
    return clf, pred, len(test) / (time.perf_counter() - t0), load_s


def variants(train, test, label_names, multi_label, features=None, which=("before", "nb")):
    """Yield (name, predictions, train seconds, texts/s, load s, note) for today's default and the levers.

    Multi-label: one model (+ 5-fold out-of-fold probabilities) serves ``before``, ``rule`` (decision by the
    data's labelled share, p / threshold fallback, search under the rule) and ``rule+stack``; ``nb`` variants
    train their own. Train seconds = fit + out-of-fold + that variant's calibration.
    Multi-class: argmax, so only ``nb`` (on / auto) differs from ``before``.
    """
    from koclassify.backends.linear import morphs

    base = {"features": features} if features else {}
    morphs._kiwi()  # load Kiwi's model once, untimed: it is the same for every variant
    if "default" in which:  # `koclassify train` as a user runs it: every default, second stage decided by CV
        morphs._cache.clear()
        t0 = time.perf_counter()
        clf = Classifier(multi_label=multi_label, **base).fit(train, labels=label_names)
        train_s = time.perf_counter() - t0
        clf, pred, rate, load_s = fresh_rate(clf, test)
        stack = clf.calibration_.get("stack", {}) if multi_label else {}
        yield "default", pred, train_s, rate, load_s, f"stack {'used' if stack.get('used') else 'not used'}"
        which = tuple(w for w in which if w != "default")
    asked = list(dict.fromkeys(w.split()[0].removeprefix("nb=") if w.startswith("nb=") else "off" for w in which))
    for nb in asked:
        morphs._cache.clear()  # every variant analyses its training pieces itself, as a fresh process does
        t0 = time.perf_counter()
        clf = Classifier(multi_label=multi_label, nb=nb, stack="off", **base).fit(train, labels=label_names)
        note = clf.backend.choice.name if clf.backend.selection else ""
        if not multi_label:
            train_s = time.perf_counter() - t0
            clf, pred, rate, load_s = fresh_rate(clf, test)
            yield ("before" if nb == "off" else f"nb={nb}"), pred, train_s, rate, load_s, note
            continue
        oof = clf.cross_val_proba(train, folds=5)
        gold = clf.labels_.indicator(train)
        fit_s = time.perf_counter() - t0
        probs = None
        steps = [("before", None), ("rule", "off"), ("rule+stack", "on"), ("rule+stack=auto", "auto")]
        for name, stack in steps:
            name = name if nb == "off" else f"nb={nb} {name}"
            if name not in which:
                continue
            t0 = time.perf_counter()
            if stack is None:
                before_calibration(clf, oof, gold)
            else:
                clf.decision_ = clf._default_rule(clf.labels_, gold)
                clf.calibrate(probs=oof, gold=gold, objective="micro-f1", stack=stack)
            cal_s = time.perf_counter() - t0
            if probs is None:
                fresh, _, rate, load_s = fresh_rate(clf, test)
                probs = fresh.predict_proba(test, use_stack=False)
            final = clf.stack_.apply(probs) if clf.stack_ is not None else probs
            info = clf.calibration_.get("stack", {}) if stack else {}
            extra = ""
            if stack == "auto":
                cv = f"CV {info.get('cv_score_first_stage', 0):.4f} -> {info.get('cv_score_stacked', 0):.4f}"
                extra = f"stack {'used' if info.get('used') else 'not used'} ({cv})"
            yield name, clf.decide(final), fit_s + cal_s, rate, load_s, " ".join(x for x in (note, extra) if x)


def scores(gold, pred, multi_label):
    if multi_label:
        return {"micro_f1": f1_score(gold, pred, average="micro", zero_division=0),
                "macro_f1": f1_score(gold, pred, average="macro", zero_division=0)}  # fmt: skip
    g, p = gold.argmax(1), pred.argmax(1)
    return {"accuracy": accuracy_score(g, p), "macro_f1": f1_score(g, p, average="macro")}


def run(name, train_set, test_set, n_train=None, features=None, which=("before",), n_test=None):
    train = train_set.examples[:n_train] if n_train else train_set.examples
    test = test_set.examples[:n_test] if n_test else test_set.examples
    multi = bool(train_set.options.multi_label) or any(len(ex.labels) != 1 for ex in train)
    gold = b_rate = None
    ref: dict = {}
    for variant, pred, train_s, rate, load_s, note in variants(train, test, train_set.label_names, multi, features,
                                                                which):  # fmt: skip
        if gold is None:
            from koclassify.data.labels import LabelSpace

            space = LabelSpace.from_examples(train, multi_label=multi, names=train_set.label_names)
            gold = space.indicator(test)
            b_pred, b_train, b_rate = baseline(train, test, space, multi)
            b = scores(gold, b_pred, multi)
            metric_txt = "  ".join(f"{k} {b[k]:.4f}" for k in b)
            print(f"| {name} | {len(train)} | sklearn baseline | {metric_txt} | {b_train:.1f} s | {b_rate:,.0f} texts/s"
                  " | |", flush=True)  # fmt: skip
        o = scores(gold, pred, multi)
        if not ref or variant == "before":  # the first row is the reference when "before" is not asked for
            ref = {"scores": o, "train": train_s}
            metric_txt = "  ".join(f"{k} {o[k]:.4f}" for k in o)
            time_txt = f"{train_s:.1f} s"
        else:
            metric_txt = "  ".join(f"{k} {o[k]:.4f} ({(o[k] - ref['scores'][k]) * 100:+.2f} pt)" for k in o)
            time_txt = f"{train_s:.1f} s ({train_s / ref['train']:.2f}x)"
        rate_txt = f"{rate:,.0f} texts/s ({rate / b_rate:.2f}x baseline), load {load_s:.2f} s"
        print(f"| {name} | {len(train)} | {variant} | {metric_txt} | {time_txt} | {rate_txt} | {note} |", flush=True)


def e5_rows(name, train_set, test_set, *, n_train=None, n_test=None, n_dev=500, e5_rows=None, e5_options=None):
    """Linear default vs fine-tuned e5-small vs their ensemble, on the same training rows and held-out dev rows."""
    from koclassify.data.labels import LabelSpace
    from koclassify.ensemble import Ensemble, combine

    examples = train_set.examples[:n_train] if n_train else train_set.examples
    test = test_set.examples[:n_test] if n_test else test_set.examples
    train, dev = examples[:-n_dev], examples[-n_dev:]
    multi = bool(train_set.options.multi_label) or any(len(ex.labels) != 1 for ex in examples)
    space = LabelSpace.from_examples(examples, multi_label=multi, names=train_set.label_names)
    gold = space.indicator(test)
    t0 = time.perf_counter()
    # what `koclassify train` does without --dev: thresholds from 5-fold CV on the training rows
    linear = Classifier(multi_label=multi).fit(train, labels=train_set.label_names, calibrate="auto")
    linear_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    linear_probs = linear.predict_proba(test)
    linear_rate = len(test) / (time.perf_counter() - t0)
    e5_train = train[:e5_rows] if e5_rows else train
    options = {"model": "e5-small", **(e5_options or {})}
    t0 = time.perf_counter()
    e5 = Classifier("encoder", multi_label=multi, **options).fit(
        e5_train, labels=train_set.label_names, dev=dev, calibrate="dev"
    )
    e5_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    e5_probs = e5.predict_proba(test)
    e5_rate = len(test) / (time.perf_counter() - t0)
    ens = Ensemble([linear, e5], weights="tuned")
    ens.calibrate(dev, objective="micro-f1")
    ens_pred = ens.decide(combine([linear_probs, e5_probs], ens.weights_))  # members' test probabilities, reused
    ref = scores(gold, linear.decide(linear_probs), multi)
    rows = [("linear (default)", ref, linear_s, linear_rate, len(train)),
            ("e5-small " + json.dumps(options, ensure_ascii=False), scores(gold, e5.decide(e5_probs), multi), e5_s,
             e5_rate, len(e5_train)),
            (f"ensemble linear + e5 (weights {np.round(ens.weights_, 2).tolist()})", scores(gold, ens_pred, multi),
             linear_s + e5_s, None, len(train))]  # fmt: skip
    for variant, o, train_s, rate, n in rows:
        metric_txt = "  ".join(f"{k} {o[k]:.4f} ({(o[k] - ref[k]) * 100:+.2f} pt)" for k in o)
        rate_txt = f"{rate:,.1f} texts/s" if rate else "(both members)"
        print(
            f"| {name} | {n} (+{n_dev} dev) | {variant} | {metric_txt} | {train_s:.0f} s | {rate_txt} | |", flush=True
        )


MULTI_LABEL_VARIANTS = "before,rule+stack,rule+stack=auto,nb=0.5 rule+stack,nb=0.5 rule+stack=auto,nb=on rule+stack"
MULTI_CLASS_VARIANTS = "before,nb=0.5,nb=on,nb=auto"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["kote", "hate", "nsmc", "lyrics"])
    parser.add_argument("--nsmc-sizes", default="10000,50000,0", help="0 = all rows")
    parser.add_argument("--features", help="ours with other feature blocks, e.g. char,word (no Kiwi) or tfidf+embed")
    parser.add_argument("--multi-label-variants", default=MULTI_LABEL_VARIANTS, help="comma-separated (KOTE)")
    parser.add_argument("--multi-class-variants", default=MULTI_CLASS_VARIANTS, help="comma-separated (hate, nsmc)")
    parser.add_argument("--max-train", type=int, help="first rows of KOTE / hate training data only (quick runs)")
    parser.add_argument("--max-test", type=int, help="first test rows only (quick runs)")
    datadir.add_argument(parser)
    parser.add_argument("--e5", action="store_true", help="issue 24: linear vs e5-small vs their ensemble instead")
    parser.add_argument("--e5-rows", type=int, help="first training rows e5-small trains on (CPU budget)")
    parser.add_argument("--e5-dev", type=int, default=500, help="training rows held out as dev (thresholds, ensemble)")
    parser.add_argument("--e5-options", type=json.loads, default={}, help="encoder options as JSON")
    args = parser.parse_args()
    global DATA
    DATA = datadir.resolve(args.data)
    cut = {"n_train": args.max_train, "n_test": args.max_test}
    if args.e5:
        print("| data | train rows | model | test scores (vs linear) | train time | predict throughput | |")
        print("|---|---|---|---|---|---|---|")
        e5 = {"n_dev": args.e5_dev, "e5_rows": args.e5_rows, "e5_options": args.e5_options, **cut}
        if args.only in (None, "kote"):
            e5_rows("KOTE (val->test, 44 labels)", *kote(), **e5)
        if args.only in (None, "hate"):
            e5_rows("korean-hate-speech (hate)", *hate(), **e5)
        if args.only in (None, "nsmc"):
            e5_rows("nsmc-reviews", *nsmc(), **e5)
        return
    ml, mc = args.multi_label_variants.split(","), args.multi_class_variants.split(",")
    print("| data | train rows | variant | test scores (vs before) | train time | predict throughput | chosen |")
    print("|---|---|---|---|---|---|---|")
    if args.only in (None, "kote"):
        run("KOTE (val->test, 44 labels)", *kote(), features=args.features, which=ml, **cut)
    if args.only in (None, "hate"):
        run("korean-hate-speech (hate)", *hate(), features=args.features, which=mc, **cut)
    if args.only in (None, "lyrics"):  # long texts: kpop-lyrics train -> dev, 28 genres, the default as it ships
        run("kpop-lyrics (train->dev)", *lyrics(), features=args.features, which=("default",), **cut)
    if args.only in (None, "nsmc"):
        tr, te = nsmc()
        for n in (int(x) for x in args.nsmc_sizes.split(",")):
            run("nsmc-reviews", tr, te, n_train=n or None, features=args.features, which=mc, n_test=args.max_test)


if __name__ == "__main__":
    main()
