"""Does a metadata prior help? The default ``linear`` backend alone vs the same model + a ``FieldPrior``.

kpop-lyrics: genre (multi-label; ``-`` and empty cells = no label) from lyrics, prior on ``artist``.
korean-hate-speech: ``hate`` (3-class) from the comment, prior on ``bias``.

Protocol (one run, one trained model per dataset, nothing tuned on the scored file): the training file is split
90/10 (stratified, rows with the same text kept together) into *fit* and *tune*. The model and the prior's
counts are fitted on *fit*; the prior's weight and, for multi-label, each variant's thresholds are tuned on
*tune*; every variant is scored on the dev file. Variants: model alone, + prior (learned weight), + prior
(the KoBERT lyrics recipe's x1.5 multiplier), and (``--text-fields``) a second model with the field written before
the text.

    python bench/prior.py                        # both datasets
    python bench/prior.py --only kpop --text-fields
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

import datadir
from koclassify import Classifier
from koclassify.data.example import Example
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.metadata.fields import field_values
from koclassify.metadata.priors import FieldPrior
from koclassify.metadata.splits import train_dev_test

DATA = datadir.default()  # --data DIR / $KOCLASSIFY_DATA (bench/datadir.py)
warnings.filterwarnings("ignore")

TASKS = {
    "kpop": dict(
        train="kpop-lyrics/train.csv",
        dev="kpop-lyrics/dev.csv",
        field="artist",
        options=ReadOptions(
            format="csv", text_col="lyrics", label_col="genre", label_sep=",", multi_label=True, lenient=True
        ),  # lenient: keep (and count) the songs with empty lyrics
    ),
    "hate": dict(
        train="korean-hate-speech/train.tsv",
        dev="korean-hate-speech/dev.tsv",
        field="bias",
        options=ReadOptions(format="tsv", text_col="comments", label_col="hate", multi_label=False),
    ),
}


def score(clf: Classifier, probs: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """micro/macro-F1 of the model's decisions, and top-1 accuracy (the argmax label is a gold label)."""
    pred = clf.decide(probs)
    has_gold = gold.sum(axis=1) > 0
    top1 = gold[np.arange(len(gold)), probs.argmax(axis=1)] > 0
    return {
        "micro_f1": float(f1_score(gold, pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(gold, pred, average="macro", zero_division=0)),
        "top1_acc": float(top1[has_gold].mean()),
        "exact_match": float(accuracy_score(gold, pred)),
    }


def variant(clf: Classifier, prior: FieldPrior | None, tune, dev) -> dict[str, float]:
    """Tune thresholds on *tune* with this prior (or none), then score on dev."""
    clf.prior_ = prior
    space = clf.labels_
    if space.multi_label:
        clf.calibrate(probs=clf.predict_proba(tune), gold=space.indicator(tune))
    return score(clf, clf.predict_proba(dev), space.indicator(dev))


def run(name: str, text_fields: bool, seed: int) -> dict:
    task = TASKS[name]
    train = read_examples(DATA / task["train"], task["options"]).examples
    dev = read_examples(DATA / task["dev"], task["options"]).examples
    split = train_dev_test(train, dev=0.1, stratify=True, seed=seed)
    fit = [train[i] for i in split.train]
    tune = [train[i] for i in split.dev]
    field = task["field"]
    out: dict = {"train_rows": len(fit), "tune_rows": len(tune), "dev_rows": len(dev), "field": field}
    out["dev_rows_without_label"] = sum(1 for ex in dev if not ex.labels)
    out["rows_with_empty_text"] = sum(1 for ex in train + dev if not ex.text.strip())

    t0 = time.perf_counter()
    clf = Classifier(multi_label=task["options"].multi_label).fit(fit)
    out["train_seconds"] = round(time.perf_counter() - t0, 1)
    names = set(clf.labels_.names)
    tune, out["tune_labels_unseen_in_fit"] = restrict(tune, names)
    dev, out["dev_labels_unseen_in_train"] = restrict(dev, names)
    learned = clf.fit_prior(fit, field=field, dev=tune)
    multiplier = FieldPrior(field, mode="multiplier").fit(fit, clf.labels_)
    out["prior"] = learned.stats_
    known = sum(learned.distribution(field_values(ex, field) or []) is not None for ex in dev)
    out["dev_rows_with_trusted_value"] = int(known)
    out["model alone"] = variant(clf, None, tune, dev)
    out["+ prior (learned)"] = variant(clf, learned, tune, dev)
    out["+ prior (multiplier x1.5)"] = variant(clf, multiplier, tune, dev)
    if text_fields:
        t0 = time.perf_counter()
        tf = Classifier(multi_label=task["options"].multi_label, text_fields=[field]).fit(fit)
        out["text_fields_train_seconds"] = round(time.perf_counter() - t0, 1)
        out[f"text_fields=[{field}]"] = variant(tf, None, tune, dev)
        tf_prior = tf.fit_prior(fit, field=field, dev=tune)
        out[f"text_fields=[{field}] + prior (learned)"] = variant(tf, tf_prior, tune, dev)
    return out


def restrict(rows: list[Example], names: set[str]) -> tuple[list[Example], dict[str, int]]:
    """Gold labels the model was not trained on cannot be predicted: drop them from the gold, counted by label.

    Rows left with no label are counted under ``"(rows left without a label)"``.
    """
    removed: dict[str, int] = {}
    kept = []
    for ex in rows:
        unseen = [lab for lab in ex.labels or () if lab not in names]
        for lab in unseen:
            removed[lab] = removed.get(lab, 0) + 1
        labels = tuple(lab for lab in ex.labels or () if lab in names)
        if unseen and not labels:
            removed["(rows left without a label)"] = removed.get("(rows left without a label)", 0) + 1
        kept.append(ex.with_labels(labels))
    return kept, removed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(TASKS))
    parser.add_argument("--text-fields", action="store_true", help="also train a model with the field in the text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    datadir.add_argument(parser)
    args = parser.parse_args()
    global DATA
    DATA = datadir.resolve(args.data)
    results = {}
    for name in [args.only] if args.only else list(TASKS):
        results[name] = res = run(name, args.text_fields, args.seed)
        print(f"\n== {name}: {res['train_rows']} fit / {res['tune_rows']} tune rows -> {res['dev_rows']} dev rows; "
              f"field {res['field']!r}, dev rows with a trusted value {res['dev_rows_with_trusted_value']}; "
              f"train {res['train_seconds']}s")  # fmt: skip
        print(f"   prior: {json.dumps(res['prior'], ensure_ascii=False)}")
        print(f"   {'variant':42s} {'micro-F1':>8s} {'macro-F1':>8s} {'top-1':>7s}")
        for key, val in res.items():
            if isinstance(val, dict) and "micro_f1" in val:
                print(f"   {key:42s} {val['micro_f1']:8.4f} {val['macro_f1']:8.4f} {val['top1_acc']:7.4f}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
