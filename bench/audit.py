"""`koclassify audit` measured: how many of 1,000 deliberately flipped labels it finds, and KOTE's duplicates.

nsmc: the first 20,000 training rows, 1,000 of them (5%) flipped to the other class at random (seed 0); the audit
runs on the noisy copy (linear backend, 5-fold out-of-fold probabilities, cleanlab). Reported: precision of the
top 1,000 findings against the flipped rows (target >= 0.5), their recall, and two rankings measured on the same
out-of-fold probabilities: every row ranked by cleanlab's label quality score, and a naive baseline (rows whose
out-of-fold argmax disagrees with the given label, most confident first). Random ranking: 0.05.
KOTE val: groups of exact and near duplicates (same text without case, spaces, punctuation) with different labels.

    python bench/audit.py --data /path/to/shared/data      # or KOCLASSIFY_DATA=...; about 5-10 min on 2 busy cores
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import datadir
from koclassify import Classifier
from koclassify.audit import LABEL_ISSUE, audit, conflicting_duplicates
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples
from koclassify.options import parse_pairs


def precision(ranked_rows: list[int], flipped: set[int], k: int) -> tuple[float, int]:
    top = ranked_rows[:k]
    return (sum(1 for i in top if i in flipped) / len(top) if top else 0.0), len(top)


def nsmc(data, rows: int, flips: int, seed: int, folds: int, options: dict) -> None:
    opts = ReadOptions(format="tsv", text_col="document", label_col="label", id_col="id")
    examples = read_examples(data / "nsmc-reviews/train.tsv", opts).examples[:rows]
    rng = np.random.default_rng(seed)
    flipped = set(rng.choice(len(examples), size=flips, replace=False).tolist())
    names = sorted({lab for ex in examples for lab in ex.labels})
    other = {names[0]: names[1], names[1]: names[0]}
    noisy = [ex.with_labels((other[ex.labels[0]],)) if i in flipped else ex for i, ex in enumerate(examples)]
    t0 = time.perf_counter()
    result = audit(Classifier(**options), noisy, folds=folds, seed=seed)
    seconds = time.perf_counter() - t0
    index = {ex.id: i for i, ex in enumerate(noisy)}
    ours = [index[f.ids[0]] for f in result.label_issues if f.kind == LABEL_ISSUE]
    p_ours, n_ours = precision(ours, flipped, flips)
    recall = sum(1 for i in ours if i in flipped) / flips
    by_score = list(np.argsort(result.scores, kind="stable"))
    p_score, _ = precision(by_score, flipped, flips)
    probs, given = result.probs, np.array([result.labels.index(ex.labels[0]) for ex in noisy])
    disagree = np.flatnonzero(probs.argmax(axis=1) != given)
    naive = list(disagree[np.argsort(-probs[disagree].max(axis=1), kind="stable")])
    p_naive, n_naive = precision(naive, flipped, flips)
    shown = " ".join(f"{k}={v}" for k, v in options.items())
    print(f"| nsmc first {rows:,} rows, {flips:,} flipped (seed {seed}) | {folds}-fold linear {shown} + cleanlab |")
    print("|---|---|")
    print(f"| findings (cleanlab find_label_issues) | {len(ours):,} |")
    print(f"| precision of the top {flips:,} findings (ours) | {p_ours:.3f} (of {n_ours:,}) |")
    print(f"| recall of the flipped rows among all findings | {recall:.3f} |")
    print(f"| precision@{flips:,}, all rows ranked by label quality | {p_score:.3f} |")
    print(f"| baseline: argmax disagrees, most confident first, top {flips:,} | {p_naive:.3f} (of {n_naive:,}) |")
    print("| baseline: random ranking | 0.050 |")
    print(f"| audit time (busy machine) | {seconds:.0f} s |")


def kote(data) -> None:
    opts = ReadOptions(format="tsv", no_header=True, id_col="0", text_col="1", label_col="2", label_sep=",",
                       label_names=str(data / "kote/labels.txt"), multi_label=True)  # fmt: skip
    examples = read_examples(data / "kote/val.tsv", opts).examples
    groups = conflicting_duplicates(examples)
    exact = [g for g in groups if g.match == "exact"]
    near = [g for g in groups if g.match == "near"]
    print(f"| KOTE val ({len(examples):,} rows) | groups | rows in them |")
    print("|---|---|---|")
    print(f"| exact duplicates, different labels | {len(exact)} | {sum(len(g.ids) for g in exact)} |")
    print(f"| near duplicates only, different labels | {len(near)} | {sum(len(g.ids) for g in near)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    datadir.add_argument(parser)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--flips", type=int, default=1_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["nsmc", "kote"])
    parser.add_argument("--option", "-O", action="append", default=[], help="linear option KEY=VALUE (variants)")
    args = parser.parse_args()
    data = datadir.resolve(args.data, needs=["nsmc-reviews", "kote"])
    if args.only in (None, "kote"):
        kote(data)
        print()
    if args.only in (None, "nsmc"):
        nsmc(data, args.rows, args.flips, args.seed, args.folds, parse_pairs(args.option))


if __name__ == "__main__":
    main()
