"""Reading cost: ``read_examples`` (detection, validation, Example objects) vs a bare ``csv.reader`` loop.

The baseline only splits cells (what a hand-written loader does before any checking); ours also detects the
format and columns, checks every text, label and id, and builds :class:`Example` objects. Both read the
same files in the same run; best of ``--repeat`` runs each.

    python bench/read_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from pathlib import Path

import datadir
from koclassify.data.options import ReadOptions
from koclassify.data.read import read_examples

CASES = [
    ("kote/val.tsv", "\t", ReadOptions(no_header=True, label_names="kote/labels.txt")),  # relative to --data
    ("korean-hate-speech/train.tsv", "\t", None),
    ("nsmc-reviews/train.tsv", "\t", None),
    ("kpop-lyrics/train.csv", ",", ReadOptions(lenient=True)),
]


def baseline(path: Path, delimiter: str) -> int:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh, delimiter=delimiter))


def ours(path: Path, options: ReadOptions | None) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the lenient kpop read warns about its empty lyrics
        return len(read_examples(path, options))


def best(fn, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t0)
    return min(times), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    datadir.add_argument(parser)
    args = parser.parse_args()
    data = datadir.resolve(args.data, needs=[name for name, _, _ in CASES])
    print("| file | MB | rows | read_examples | bare csv.reader | ratio |")
    print("|---|---|---|---|---|---|")
    for name, delimiter, options in CASES:
        path = data / name
        if options is not None and options.label_names:
            options = options.merged(label_names=str(data / options.label_names))
        t_ours, rows = best(lambda p=path, o=options: ours(p, o), args.repeat)
        t_base, _ = best(lambda p=path, d=delimiter: baseline(p, d), args.repeat)
        mb = path.stat().st_size / 1e6
        print(
            f"| {name} | {mb:.1f} | {rows:,} | {t_ours:.2f} s ({rows / t_ours:,.0f} rows/s) "
            f"| {t_base:.2f} s ({rows / t_base:,.0f} rows/s) | {t_ours / t_base:.1f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
