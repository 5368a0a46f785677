"""Training rows for label-token fine-tuning: prompt ids + answer ids, with the loss only on the answer.

The mask is positional: every position before ``len(prompt_ids)`` gets label -100, so nothing depends on
which ids the prompt happens to contain (the NIKL 2023 recipe searched for the ids of '감정' and ':' instead).
The collator also tells the model which positions to project onto the vocabulary (``logits_to_keep``), so a
training step computes logits for the answer tokens only rather than for every prompt token.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from koclassify.backends.llm.prompt import LabelTokens, PromptFormat, answer_ids, encode
from koclassify.errors import DataError

IGNORE = -100
EXPAND_MODES = ("per_label", "joint")


def make_row(prompt_ids: Sequence[int], answer: Sequence[int]) -> dict[str, list[int]]:
    """One causal-LM row: the loss covers exactly the ``answer`` positions."""
    return {
        "input_ids": [*prompt_ids, *answer],
        "labels": [IGNORE] * len(prompt_ids) + list(answer),
    }


def expand_rows(
    prompt_ids: Sequence[Sequence[int]],
    y: np.ndarray,
    label_tokens: LabelTokens,
    *,
    expand: str = "per_label",
    tokenizer: Any = None,
    prompts: Sequence[str] | None = None,
    fmt: PromptFormat | None = None,
    seed: int = 0,
) -> list[dict[str, list[int]]]:
    """Training rows from prompts and an (n, L) gold matrix.

    ``per_label`` (the NIKL 2023 recipe's expansion): one row per true label, answer = that label's token(s).
    ``joint``: one row per example whose answer lists all its labels (``기쁨, 슬픔``), in a per-row shuffled
    order so that every true label is equally often the first answer token, the one scoring reads. Joint
    answers are tokenized in context and so need ``tokenizer``, ``prompts`` and ``fmt``.
    Rows without any true label (possible in multi-label data) give no training row.
    """
    if expand not in EXPAND_MODES:
        raise ValueError(f"expand must be one of {EXPAND_MODES}, got {expand!r}")
    if len(prompt_ids) != len(y):
        raise DataError(f"{len(prompt_ids)} prompts but {len(y)} label rows")
    rows: list[dict[str, list[int]]] = []
    rng = random.Random(seed)
    for i, ids in enumerate(prompt_ids):
        true = [int(j) for j in np.flatnonzero(y[i])]
        if not true:
            continue
        if expand == "per_label":
            rows.extend(make_row(ids, label_tokens.ids[j]) for j in true)
            continue
        if tokenizer is None or prompts is None or fmt is None:
            raise ValueError("expand='joint' needs tokenizer, prompts and fmt")
        rng.shuffle(true)
        answer = fmt.answer([label_tokens.words[j] for j in true])
        tail = answer_ids(tokenizer, encode(tokenizer, prompts[i]), prompts[i], answer)
        rows.append(make_row(ids, tail))
    return rows


class LabelTokenCollator:
    """Right-pads rows and marks the positions whose next token is a label (``logits_to_keep``).

    Right padding keeps real tokens at positions 0..len-1, so position ids need no correction and padded
    batches compute exactly what single rows do.
    """

    def __init__(self, pad_id: int, *, keep_label_logits_only: bool = True) -> None:
        self.pad_id = pad_id
        self.keep_label_logits_only = keep_label_logits_only

    def __call__(self, rows: Sequence[dict[str, Sequence[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(r["input_ids"]) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for b, row in enumerate(rows):
            n = len(row["input_ids"])
            input_ids[b, :n] = torch.as_tensor(row["input_ids"])
            labels[b, :n] = torch.as_tensor(row["labels"])
            attention[b, :n] = 1
        batch: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
        if self.keep_label_logits_only:
            batch["logits_to_keep"] = predicts_label_mask(labels)
        return batch


def predicts_label_mask(labels: Any) -> Any:
    """(B, T) bool: True at position t when token t+1 is a label, i.e. where the model's logits are needed."""
    import torch

    mask = torch.zeros_like(labels, dtype=torch.bool)
    mask[:, :-1] = labels[:, 1:] != IGNORE
    return mask


def label_token_loss(outputs: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
    """Cross-entropy over the kept positions (``Trainer(compute_loss_func=...)``).

    ``outputs.logits`` is (N, V): one row per True entry of :func:`predicts_label_mask`, in row-major order,
    which is also the order of ``labels[:, 1:][mask[:, :-1]]``. Summed and divided by the number of label
    tokens in the whole (accumulated) batch, so gradient accumulation gives the same update as one big batch.
    """
    import torch.nn.functional as F

    targets = labels[:, 1:][labels[:, 1:] != IGNORE].to(outputs.logits.device)
    logits = outputs.logits.reshape(-1, outputs.logits.shape[-1]).float()
    if logits.shape[0] != targets.shape[0]:
        raise RuntimeError(
            f"kept {logits.shape[0]} logit rows for {targets.shape[0]} label tokens: the model ignored logits_to_keep"
        )
    loss = F.cross_entropy(logits, targets, reduction="sum")
    denom = num_items_in_batch if num_items_in_batch is not None else max(int(targets.numel()), 1)
    if hasattr(denom, "to"):
        denom = denom.to(loss.device)
    return loss / denom
