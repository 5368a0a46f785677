"""Rows of windows and the collator that pads them into a batch (dynamic padding: to the batch's longest window).

One dataset row is one *example*, holding all of its windows flattened into ``input_ids`` (so Trainer's
length-grouped sampler sees the example's true cost: its total token count) plus the window ``sizes`` that cut
them apart again. The collator emits one tensor row per window and ``owner``: each window's example index in the
batch, which the loss and the prediction loop use to aggregate windows back into examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def make_rows(
    windows: Sequence[Sequence[tuple[list[int], list[int]]]], y: np.ndarray | None = None, *, multi_label: bool = False
) -> list[dict[str, Any]]:
    """Dataset rows from per-example windows; labels are class ids (multi-class) or 0/1 rows (multi-label)."""
    rows: list[dict[str, Any]] = []
    for i, example_windows in enumerate(windows):
        row: dict[str, Any] = {
            "input_ids": [t for ids, _ in example_windows for t in ids],
            "token_type_ids": [t for _, types in example_windows for t in types],
            "sizes": [len(ids) for ids, _ in example_windows],
        }
        if y is not None:
            row["labels"] = [float(v) for v in y[i]] if multi_label else int(np.argmax(y[i]))
        rows.append(row)
    return rows


class WindowCollator:
    """Right-pads every window of every row to the longest window in the batch."""

    def __init__(self, pad_id: int, *, token_types: bool = True, multi_label: bool = False) -> None:
        self.pad_id = pad_id
        self.token_types = token_types
        self.multi_label = multi_label

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        import torch

        windows: list[tuple[list[int], list[int]]] = []
        owner: list[int] = []
        for b, row in enumerate(rows):
            start = 0
            for size in row["sizes"]:
                end = start + size
                windows.append((row["input_ids"][start:end], row["token_type_ids"][start:end]))
                owner.append(b)
                start = end
        width = max(len(ids) for ids, _ in windows)
        input_ids = torch.full((len(windows), width), self.pad_id, dtype=torch.long)
        types = torch.zeros((len(windows), width), dtype=torch.long)
        attention = torch.zeros((len(windows), width), dtype=torch.long)
        for w, (ids, tt) in enumerate(windows):
            input_ids[w, : len(ids)] = torch.as_tensor(ids, dtype=torch.long)
            types[w, : len(ids)] = torch.as_tensor(tt, dtype=torch.long)
            attention[w, : len(ids)] = 1
        batch: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": attention,
            "owner": torch.as_tensor(owner, dtype=torch.long),
        }
        if self.token_types:
            batch["token_type_ids"] = types
        if rows and "labels" in rows[0]:
            dtype = torch.float32 if self.multi_label else torch.long
            batch["labels"] = torch.as_tensor([row["labels"] for row in rows], dtype=dtype)
        return batch


def prediction_batches(rows: Sequence[dict[str, Any]], max_windows: int) -> list[list[int]]:
    """Row indices grouped into batches of about ``max_windows`` windows, shortest rows first (less padding)."""
    order = sorted(range(len(rows)), key=lambda i: max(rows[i]["sizes"]))
    batches: list[list[int]] = []
    current: list[int] = []
    count = 0
    for i in order:
        n = len(rows[i]["sizes"])
        if current and count + n > max_windows:
            batches.append(current)
            current, count = [], 0
        current.append(i)
        count += n
    if current:
        batches.append(current)
    return batches
