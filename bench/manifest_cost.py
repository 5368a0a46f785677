"""What checking ``manifest.json`` costs at load: sha256 throughput, and the load of a saved model with the check
against the same load with it switched off (the baseline), in the same run.

    python bench/manifest_cost.py              # a linear model on 200 rows, and 256 MiB of weights-like bytes
    python bench/manifest_cost.py --mib 1024

The check reads every byte of the directory once, so its cost grows with the weights: for a LoRA adapter it is
noise, for merged multi-gigabyte weights it is (size / sha256 rate) seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the hashed blob")
    parser.add_argument("--repeats", type=int, default=41)
    args = parser.parse_args()

    from koclassify import Classifier
    from koclassify.manifest import sha256_file
    from koclassify.model import directory as modelformat

    root = Path(tempfile.mkdtemp(prefix="koclassify-bench-"))
    blob = root / "blob"
    blob.write_bytes(os.urandom(args.mib * 2**20))
    seconds = _timed(lambda: sha256_file(blob), 3)
    rate = args.mib / seconds
    print(f"sha256: {rate:.0f} MiB/s ({seconds:.2f} s for {args.mib} MiB): {1024 / rate:.1f} s/GiB")
    blob.unlink()

    texts = ["정말 좋아요", "최악이에요", "너무 좋다", "별로예요"] * 50
    model = Classifier().fit(texts, ["pos", "neg"] * 100).save(root / "m")
    Classifier.load(model)  # warm: imports, Kiwi
    original = modelformat.verify
    checked, unchecked = [], []
    for _ in range(args.repeats):  # alternating, so that drift on a busy machine weighs on both alike
        checked.append(_timed(lambda: Classifier.load(model), 1))
        modelformat.verify = lambda directory: {}  # the baseline: the same load without the manifest check
        try:
            unchecked.append(_timed(lambda: Classifier.load(model), 1))
        finally:
            modelformat.verify = original
    with_check, without = statistics.median(checked), statistics.median(unchecked)
    size = sum(p.stat().st_size for p in model.rglob("*") if p.is_file())
    print(f"linear model ({size / 1024:.0f} KiB): load {with_check * 1000:.1f} ms with the check, "
          f"{without * 1000:.1f} ms without ({with_check / without:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
