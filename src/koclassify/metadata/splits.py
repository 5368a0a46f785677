"""Splitting data: k folds for cross-validated calibration (stratified, multi-label aware) and group-safe
train / dev / test splits for users without a dev set (``koclassify split``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.convert import SOURCE_ID
from koclassify.data.dataset import Dataset
from koclassify.data.example import Example
from koclassify.data.formats.table import ID_NAMES, table_records
from koclassify.data.text import read_text
from koclassify.errors import DataError
from koclassify.io import atomic_open
from koclassify.metadata.fields import field_values


def kfold_indices(
    y: np.ndarray, *, folds: int = 5, seed: int = 0, multi_label: bool = False, groups: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (train, test) index arrays. Multi-label uses iterative stratification (Sechidis et al. 2011).

    ``groups`` (e.g. from :func:`group_rows`) keeps every group in one fold: the folds are made over groups
    (labels united per group) and mapped back to rows.
    """
    n = len(y)
    if folds < 2 or folds > n:
        raise ValueError(f"cannot make {folds} folds from {n} rows")
    if groups is not None:
        groups = np.unique(np.asarray(groups), return_inverse=True)[1]
        n_groups = int(groups.max()) + 1
        if folds > n_groups:
            raise ValueError(f"cannot make {folds} folds from {n_groups} groups")
        group_y = np.zeros((n_groups, y.shape[1]))
        np.maximum.at(group_y, groups, y)
        for _, test_groups in kfold_indices(group_y, folds=folds, seed=seed, multi_label=True):
            test = np.isin(groups, test_groups)
            yield np.flatnonzero(~test), np.flatnonzero(test)
        return
    if multi_label:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        yield from splitter.split(np.zeros(n), y)
        return
    from sklearn.model_selection import KFold, StratifiedKFold  # when splitting: `split` checks its input first

    classes = y.argmax(axis=1)
    if np.bincount(classes).min(initial=n) >= folds:
        yield from StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n), classes)
    else:  # a class rarer than the fold count cannot be stratified
        yield from KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n))


# ----------------------------------------------------------------------------- train / dev / test splits
@dataclass
class Split:
    """Row indices of each part, the group of every row, and what a user needs to trust the split."""

    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray
    groups: np.ndarray
    notes: list[str] = field(default_factory=list)

    def parts(self) -> dict[str, np.ndarray]:
        return {name: idx for name, idx in (("train", self.train), ("dev", self.dev), ("test", self.test)) if len(idx)}


def group_rows(
    examples: Sequence[Example], group_by: Sequence[str] = (), *, sep: str = ","
) -> tuple[np.ndarray, list[str]]:
    """A group id per row: rows that must land in the same part share one (union of every reason below).

    - rows with the same non-empty text (real data repeats questions and lyrics: a copy in dev is a leak);
    - rows with the same ``source_id`` (the instances of one row in ``split`` mode), or the same value in an
      id-like column (``id``, ``*_id``) the reader could not use as the id because it repeats;
    - rows sharing any value of a ``group_by`` field; multi-valued cells join groups, so ``"빅토, 제이린"``
      keeps 빅토's and 제이린's songs together.
    Returns the group ids and notes saying how many rows each reason tied together.
    """
    parent = list(range(len(examples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(key_rows: dict[str, list[int]], reason: str) -> str | None:
        tied: set[int] = set()
        for rows in key_rows.values():
            if len(rows) > 1:
                tied.update(rows)
                root = find(rows[0])
                for r in rows[1:]:
                    parent[find(r)] = root
        return f"{len(tied)} rows share {reason} with another row: kept in one part" if tied else None

    keys: dict[str, dict[str, list[int]]] = {"the same text": {}, "a source_id": {}}
    id_like = sorted({k for ex in examples for k in ex.fields if k.lower() in ID_NAMES or k.lower().endswith("_id")})
    for name in id_like:
        if name != SOURCE_ID:
            keys[f"a duplicated id in {name!r} (same item twice?)"] = {}
    for spec in group_by:
        keys[f"a value of {spec!r}"] = {}
    missing: dict[str, int] = {spec: 0 for spec in group_by}
    for i, ex in enumerate(examples):
        if text := " ".join(ex.text.split()):  # empty texts (kept by --lenient) are not copies of each other
            keys["the same text"].setdefault(text, []).append(i)
        if SOURCE_ID in ex.fields:
            keys["a source_id"].setdefault(str(ex.fields[SOURCE_ID]), []).append(i)
        for name in id_like:
            value = str(ex.fields.get(name) or "").strip()
            if name != SOURCE_ID and value:
                keys[f"a duplicated id in {name!r} (same item twice?)"].setdefault(value, []).append(i)
        for spec in group_by:
            values = field_values(ex, spec, sep)
            if not values:
                missing[spec] += 1
            for value in values or []:
                keys[f"a value of {spec!r}"].setdefault(value, []).append(i)
    notes = [n for reason, key_rows in keys.items() if (n := join(key_rows, reason))]
    notes += [f"{n} rows have no (parseable) {spec!r}: each is its own group" for spec, n in missing.items() if n]
    roots = np.array([find(i) for i in range(len(examples))], dtype=np.int64)
    return np.unique(roots, return_inverse=True)[1], notes


def train_dev_test(
    examples: Sequence[Example],
    *,
    dev: float = 0.1,
    test: float = 0.0,
    group_by: Sequence[str] = (),
    stratify: bool = False,
    seed: int = 0,
    sep: str = ",",
) -> Split:
    """Split rows into train / dev / test with no group across parts; ``stratify`` balances the labels.

    Stratification is iterative (Sechidis et al. 2011, ``iterstrat``) on the groups' label sets, so it serves
    multi-class and multi-label data alike; the fractions are of groups, close to fractions of rows when
    groups are small (the notes say how close).
    """
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise ValueError(f"--dev {dev} and --test {test} must be fractions in [0, 1) with a sum below 1")
    if dev + test == 0:
        raise ValueError("nothing to split off: give --dev and/or --test")
    groups, notes = group_rows(examples, group_by, sep=sep)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    gold = _group_labels(examples, groups, n_groups) if stratify else None
    if gold is not None and not gold.any():
        raise DataError("--stratify needs labels, and no row has one")
    remaining = np.arange(n_groups)
    parts: dict[str, np.ndarray] = {}
    for name, fraction in (("test", test), ("dev", dev)):
        share = fraction / (len(remaining) / n_groups) if fraction else 0.0
        if not share:
            parts[name] = np.array([], dtype=np.int64)
            continue
        keep, taken = _split_groups(remaining, gold, share, seed, name)
        parts[name], remaining = taken, keep
    row_part = {name: np.flatnonzero(np.isin(groups, g)) for name, g in parts.items()}
    train = np.flatnonzero(np.isin(groups, remaining))
    sizes = np.bincount(groups)
    if len(sizes) and sizes.max() > 1:
        notes.append(f"{n_groups} groups for {len(groups)} rows; the largest holds {int(sizes.max())} rows")
    return Split(train, row_part["dev"], row_part["test"], groups, notes)


def _group_labels(examples: Sequence[Example], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(groups, L) 0/1: the union of the labels of a group's rows (rows without gold add nothing)."""
    names = list(dict.fromkeys(lab for ex in examples for lab in ex.labels or ()))
    index = {name: j for j, name in enumerate(names)}
    gold = np.zeros((n_groups, len(names)), dtype=np.int64)
    for ex, g in zip(examples, groups):
        for lab in ex.labels or ():
            gold[g, index[lab]] = 1
    return gold


def _split_groups(
    candidates: np.ndarray, gold: np.ndarray | None, share: float, seed: int, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, taken) group ids: ``share`` of ``candidates`` taken, stratified on ``gold`` when given."""
    n = len(candidates)
    if round(share * n) < 1 or round(share * n) >= n:
        raise DataError(f"cannot take a {name} part of {share:.0%} from {n} groups; use a larger fraction or more data")
    if gold is None:
        from sklearn.model_selection import ShuffleSplit

        splitter: Any = ShuffleSplit(n_splits=1, test_size=share, random_state=seed)
        keep, taken = next(splitter.split(np.zeros(n)))
    else:
        from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

        splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=share, random_state=seed)
        keep, taken = next(splitter.split(np.zeros(n), gold[candidates]))
    return candidates[np.sort(keep)], candidates[np.sort(taken)]


def write_split(
    path: str | Path, dataset: Dataset, split: Split, out_dir: str | Path, *, force: bool = False
) -> dict[str, Path]:
    """Write each part as ``OUT_DIR/<part><suffix>`` in the input's own layout (same columns, same JSON lines).

    Every file is written atomically; the input itself and existing files (unless ``force``) are never
    overwritten.
    """
    source = Path(path)
    suffix = source.suffix or (".tsv" if dataset.format == "tsv" else ".csv" if dataset.format == "csv" else ".jsonl")
    targets = {name: Path(out_dir) / f"{name}{suffix}" for name in split.parts()}
    for target in targets.values():
        if target.resolve() == source.resolve():
            raise DataError(f"{target} is the input file; choose another --out", path=str(target))
        if os.path.exists(target) and not force:  # False for a name too long: the write gate names it
            raise DataError("exists already; pass --overwrite to replace it", path=str(target))
    text = read_text(source)
    if dataset.format in ("csv", "tsv"):
        header, records, delimiter = table_records(text, str(source), dataset.options)
        _check_aligned(len(records), dataset, source)
        for name, idx in split.parts().items():
            with atomic_open(targets[name]) as fh:
                writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
                if header is not None:
                    writer.writerow(header)
                writer.writerows(records[i] for i in idx)
    else:  # JSON lines: the reader keeps every non-blank line, in order
        lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
        _check_aligned(len(lines), dataset, source)
        for name, idx in split.parts().items():
            with atomic_open(targets[name]) as fh:
                fh.writelines(lines[i] + "\n" for i in idx)
    return targets


def _check_aligned(n_raw: int, dataset: Dataset, source: Path) -> None:
    if n_raw != len(dataset.examples):
        raise DataError(f"read {len(dataset.examples)} rows but found {n_raw} raw records", path=str(source))
