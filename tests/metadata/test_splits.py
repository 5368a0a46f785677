"""Group-safe, stratified train/dev/test splits and group-aware k folds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from koclassify.data.example import Example
from koclassify.errors import DataError
from koclassify.metadata.fields import split_instances
from koclassify.metadata.splits import group_rows, kfold_indices, train_dev_test

GENRES = ["발라드", "댄스", "랩/힙합", "록/메탈", "R&B/Soul"]


def songs(n: int = 200, seed: int = 0, repeat: int = 190) -> list[Example]:
    """Songs by 40 artists (some duets), 1-2 genres each; rows ``repeat`` apart share their lyrics."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        artist = f"가수{rng.integers(40)}"
        if i % 17 == 0:
            artist += f", 가수{rng.integers(40)}"
        labels = tuple(dict.fromkeys(GENRES[j] for j in rng.integers(len(GENRES), size=rng.integers(1, 3))))
        text = f"가사 {i % repeat}"
        rows.append(Example(str(i), text, labels=labels, fields={"artist": artist}))
    return rows


def test_group_rows_unites_duplicates_source_ids_and_shared_field_values() -> None:
    rows = [
        Example("0", "같은 가사", fields={"artist": "A"}),
        Example("1", "같은  가사", fields={"artist": "B"}),  # same text up to spaces
        Example("2", "다른 가사", fields={"artist": "B, C"}),  # joins B and C
        Example("3", "또 다른", fields={"artist": "C"}),
        Example("4", "혼자", fields={"artist": "S (강타, 신혜성)"}),
        Example("5", "강타 솔로", fields={"artist": "강타"}),  # not a member of S's group by name
        Example("6", "없음", fields={"artist": "-"}),
        Example("7", "", fields={"artist": "D"}),
        Example("8", " ", fields={"artist": "E"}),  # empty texts (--lenient) are not copies
    ]
    groups, notes = group_rows(rows, ["artist"])
    assert len(set(groups[:4])) == 1, "0-1 by text, 1-2 by B, 2-3 by C"
    assert len({groups[4], groups[5], groups[6], groups[7], groups[8], groups[0]}) == 6
    assert any("same text" in n for n in notes) and any("'artist'" in n for n in notes)
    assert any("1 rows have no (parseable) 'artist'" in n for n in notes)


def test_rows_with_a_duplicated_id_stay_together_and_are_reported() -> None:
    rows = [Example(str(i), f"가사 {i}", fields={"song_id": sid}) for i, sid in enumerate(["7", "8", "7", ""])]
    groups, notes = group_rows(rows)
    assert groups[0] == groups[2] and len({groups[0], groups[1], groups[3]}) == 3
    assert notes == ["2 rows share a duplicated id in 'song_id' (same item twice?) with another row: kept in one part"]


def test_split_covers_every_row_once_and_never_crosses_a_group() -> None:
    rows = songs()
    split = train_dev_test(rows, dev=0.15, test=0.15, group_by=["artist"], stratify=True, seed=3)
    parts = [split.train, split.dev, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(rows)))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(split.groups[parts[a]]) & set(split.groups[parts[b]])
            artists = lambda idx: {v for i in idx for v in rows[i].fields["artist"].split(", ")}  # noqa: E731
            assert not artists(parts[a]) & artists(parts[b]), "no artist on both sides"
    assert 0.05 < len(split.dev) / len(rows) < 0.3


def test_stratified_multi_label_split_keeps_label_proportions() -> None:
    rows = songs(600, seed=1, repeat=600)
    split = train_dev_test(rows, dev=0.2, stratify=True, seed=0)
    share = lambda idx, g: np.mean([g in rows[i].labels for i in idx])  # noqa: E731
    for genre in GENRES:
        assert abs(share(split.dev, genre) - share(split.train, genre)) < 0.03
    assert len(split.test) == 0 and abs(len(split.dev) - 120) <= 3


def test_split_mode_instances_stay_together() -> None:
    instances, _ = split_instances(songs(120))
    split = train_dev_test(instances, dev=0.25, seed=0)
    source = lambda idx: {instances[i].fields["source_id"] for i in idx}  # noqa: E731
    assert not source(split.train) & source(split.dev)


def test_split_errors_are_clear() -> None:
    rows = songs(20)
    with pytest.raises(ValueError, match="fractions"):
        train_dev_test(rows, dev=0.6, test=0.5)
    with pytest.raises(ValueError, match="nothing to split"):
        train_dev_test(rows, dev=0.0)
    with pytest.raises(DataError, match="cannot take a dev part"):
        train_dev_test(rows[:3], dev=0.1)
    with pytest.raises(DataError, match="needs labels"):
        train_dev_test([Example(str(i), f"t{i}") for i in range(10)], dev=0.2, stratify=True)


def test_kfold_without_groups_is_unchanged() -> None:
    y = np.eye(3)[np.arange(30) % 3]
    ours = [test.tolist() for _, test in kfold_indices(y, folds=3, seed=0)]
    skl = StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(np.zeros(30), y.argmax(1))
    assert ours == [test.tolist() for _, test in skl]


def test_kfold_with_groups_keeps_each_group_in_one_fold() -> None:
    rows = songs(90)
    instances, _ = split_instances(rows)
    groups, _ = group_rows(instances)
    names = sorted({lab for ex in instances for lab in ex.labels})
    y = np.array([[lab in ex.labels for lab in names] for ex in instances], dtype=float)
    seen = []
    for train, test in kfold_indices(y, folds=4, groups=groups):
        assert not set(groups[train]) & set(groups[test])
        seen.extend(test.tolist())
    assert sorted(seen) == list(range(len(instances)))
    with pytest.raises(ValueError, match="groups"):
        next(kfold_indices(y[:4], folds=3, groups=np.array([0, 0, 1, 1])))
