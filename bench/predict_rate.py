"""Predict throughput of two saved models, each in fresh processes, alternating, so that process order and machine
drift weigh on both alike (the single fresh process per variant in ``quality.py`` moved with its order).

Trains ``before`` (``nb="off", stack="off"``: the default before issue 16) and today's default on the same rows,
saves both, then runs ``--repeats`` rounds; in each round each model is loaded by a new Python process that loads
Kiwi's model (untimed, as every process pays it once), loads the model directory (which seeds the morpheme cache
with its training pieces), and predicts the test rows (timed: features, head, second stage, decisions).

    python bench/predict_rate.py --dataset nsmc --max-train 50000
    python bench/predict_rate.py --dataset kote --data /path/to/data   # or KOCLASSIFY_DATA=/path/to/data
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import datadir
import quality

CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
import quality
from koclassify import Classifier
from koclassify.backends.linear import morphs
morphs._kiwi()
_, test = quality.{data}()
rows = test.examples[: {max_test}] if {max_test} else test.examples
clf = Classifier.load({model!r})
t0 = time.perf_counter()
clf.decide(clf.predict_proba(rows))
print(len(rows) / (time.perf_counter() - t0))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["kote", "hate", "nsmc"], default="nsmc")
    datadir.add_argument(parser)
    parser.add_argument("--max-train", type=int, default=0, help="first training rows only (0: all)")
    parser.add_argument("--max-test", type=int, default=0, help="first test rows only (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quality.DATA = datadir.resolve(args.data)  # also exported to the child processes as $KOCLASSIFY_DATA
    train_set, _ = getattr(quality, args.dataset)()
    train = train_set.examples[: args.max_train] if args.max_train else train_set.examples
    multi = bool(train_set.options.multi_label)
    variants = {"before": {"nb": "off", "stack": "off"}, "default": {}}
    from koclassify import Classifier

    with tempfile.TemporaryDirectory() as tmp:
        for name, options in variants.items():
            clf = Classifier(multi_label=multi, **options).fit(train, labels=train_set.label_names)
            clf.save(Path(tmp) / name)
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name in variants:
                code = CHILD.format(bench=str(Path(__file__).parent), data=args.dataset, max_test=args.max_test,
                                    model=str(Path(tmp) / name))  # fmt: skip
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                rates[name].append(float(out.stdout.strip().splitlines()[-1]))
    print(f"| data | train rows | variant | predict texts/s, median of {args.repeats} (all) |")
    print("|---|---|---|---|")
    for name, values in rates.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {args.dataset} | {len(train)} | {name} | {statistics.median(values):,.0f} ({runs}) |")
    ratio = statistics.median(rates["default"]) / statistics.median(rates["before"])
    print(f"default / before: {ratio:.2f}x")


if __name__ == "__main__":
    main()
