"""Batched label-token scoring: one forward pass per batch, logits only where the label word is predicted.

The NIKL 2023 recipe generated one token per example, then called ``compute_transition_scores`` per label. Here a
batch of right-padded prompts goes through the model once; ``logits_to_keep`` (transformers 5) receives each
row's last real position, so the (batch, vocab) projection happens for that position only, and the label ids are
gathered from its log-softmax. Models whose ``logits_to_keep`` is only an int get left padding and
``logits_to_keep=1`` instead (:func:`logits_mode`). Multi-token words (``multi_token="sum"``) add one row per
(example, label) whose label-token positions are all kept and summed: slower, and only used when asked for.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np


def label_logprobs(
    model: Any,
    prompts: Sequence[Sequence[int]],
    label_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    batch_size: int = 8,
) -> np.ndarray:
    """(n, L) log-probability of each label's token(s) right after each prompt, under the full vocabulary."""
    if not prompts:
        return np.zeros((0, len(label_ids)))
    if all(len(ids) == 1 for ids in label_ids):
        return _single_token(model, prompts, [ids[0] for ids in label_ids], pad_id, batch_size)
    return _multi_token(model, prompts, label_ids, pad_id, batch_size)


def to_probabilities(logprobs: np.ndarray) -> dict[str, np.ndarray]:
    """Both readings of the scores: ``vocab`` (the NIKL 2023 recipe's softmax over the whole vocabulary) and
    ``label_softmax`` (renormalised over the label words only, rows sum to 1)."""
    logprobs = np.asarray(logprobs, dtype=np.float64)
    shifted = logprobs - logprobs.max(axis=1, keepdims=True)
    label = np.exp(shifted)
    label /= label.sum(axis=1, keepdims=True)
    return {"vocab": np.exp(logprobs), "label_softmax": label}


def _single_token(
    model: Any, prompts: Sequence[Sequence[int]], label_ids: Sequence[int], pad_id: int, batch_size: int
) -> np.ndarray:
    import torch

    out = np.zeros((len(prompts), len(label_ids)))
    targets = torch.as_tensor(list(label_ids))
    for batch in _length_batches([len(p) for p in prompts], batch_size):
        rows = [prompts[i] for i in batch]
        positions = [[len(r) - 1] for r in rows]
        logp = _logprobs_at(model, rows, positions, pad_id)  # (B, 1, V)
        out[batch] = logp[:, 0, :].index_select(1, targets.to(logp.device)).cpu().numpy()
    return out


def _multi_token(
    model: Any, prompts: Sequence[Sequence[int]], label_ids: Sequence[Sequence[int]], pad_id: int, batch_size: int
) -> np.ndarray:
    import torch

    n_labels = len(label_ids)
    # one row per (example, label): prompt + the word minus its last token, scored at every word position
    rows = [(i, j, [*prompts[i], *label_ids[j][:-1]]) for i in range(len(prompts)) for j in range(n_labels)]
    out = np.zeros((len(prompts), n_labels))
    for batch in _length_batches([len(r[2]) for r in rows], batch_size):
        chosen = [rows[k] for k in batch]
        width = max(len(label_ids[j]) for _, j, _ in chosen)
        positions, targets, valid = [], [], []
        for i, j, _ in chosen:
            start = len(prompts[i]) - 1
            word = list(label_ids[j])
            pad = width - len(word)
            positions.append([start + t for t in range(len(word))] + [start] * pad)
            targets.append(word + [0] * pad)
            valid.append([1.0] * len(word) + [0.0] * pad)
        logp = _logprobs_at(model, [r[2] for r in chosen], positions, pad_id)  # (B, K, V)
        tgt = torch.as_tensor(targets, device=logp.device)
        picked = logp.gather(2, tgt[..., None])[..., 0] * torch.as_tensor(valid, device=logp.device)
        for (i, j, _), value in zip(chosen, picked.sum(dim=1).cpu().tolist()):
            out[i, j] = value
    return out


def _length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices grouped longest-first, so each batch pads to similar lengths."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[k : k + batch_size] for k in range(0, len(order), max(1, batch_size))]


def _logprobs_at(model: Any, rows: Sequence[Sequence[int]], positions: Sequence[Sequence[int]], pad_id: int) -> Any:
    """Log-softmax over the vocabulary at the given positions of ``rows`` (unpadded indices): (B, K, V) float32.

    One forward pass for the batch; how only the needed logits are computed depends on :func:`logits_mode`.
    """
    import torch

    device = model.get_input_embeddings().weight.device
    mode = logits_mode(model)
    width = max(len(r) for r in rows)
    left = mode == "last"
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    offsets = [width - len(r) if left else 0 for r in rows]
    for b, (row, off) in enumerate(zip(rows, offsets)):
        input_ids[b, off : off + len(row)] = torch.as_tensor(list(row))
        attention[b, off : off + len(row)] = 1
    index = torch.as_tensor([[off + p for p in pos] for off, pos in zip(offsets, positions)], dtype=torch.long)
    kwargs: dict[str, Any] = {"input_ids": input_ids.to(device), "attention_mask": attention.to(device)}
    with torch.inference_mode():
        if mode == "positions":  # right padding; the model projects exactly these positions
            logits = _forward(model, kwargs, logits_to_keep=index.to(device))
        elif mode == "last":  # left padding: every row ends in the last column, so keep the last `keep` columns
            keep = int(width - index.min())
            kwargs["position_ids"] = (attention.cumsum(-1) - 1).clamp(min=0).to(device)
            logits = _forward(model, kwargs, logits_to_keep=keep)
            logits = logits.take_along_dim((index - (width - keep)).to(device)[..., None], dim=1)
        else:  # no logits_to_keep at all: every position's logits, then the same positions
            logits = _forward(model, kwargs).take_along_dim(index.to(device)[..., None], dim=1)
        if logits.shape[:2] != index.shape:
            raise RuntimeError(f"expected logits for {tuple(index.shape)} positions, the model gave {logits.shape}")
        return torch.log_softmax(logits.float(), dim=-1)


def _forward(model: Any, kwargs: dict[str, Any], **extra: Any) -> Any:
    """``model(**kwargs, **extra).logits``, without a KV cache where the forward takes ``use_cache``."""
    if "use_cache" in _forward_parameters(model):
        extra["use_cache"] = False
    return model(**kwargs, **extra).logits


def _forward_parameters(model: Any) -> Any:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return inspect.signature(base.forward).parameters


def logits_mode(model: Any) -> str:
    """How the (PEFT-unwrapped) model computes logits for chosen positions only.

    ``positions``: ``logits_to_keep`` takes a (B, K) index tensor or a (B, T) boolean mask (models built on
    transformers 5's ``slice_logits_to_keep``): right padding, each row's own last position.
    ``last``: ``logits_to_keep`` is an int (transformers 4.x, remote-code models): left padding with explicit
    ``position_ids``, the last columns kept. ``full``: no ``logits_to_keep``; every position, then a gather.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    params = _forward_parameters(model)
    if "logits_to_keep" not in params:
        return "full"
    module = sys.modules.get(type(base).__module__)
    if module is not None and getattr(module, "slice_logits_to_keep", None) is not None:
        return "positions"
    return "last" if "position_ids" in params else "full"


def accepts_logits_to_keep(model: Any) -> bool:
    """Whether the model can compute logits at arbitrary per-row positions only (training's label positions)."""
    return logits_mode(model) == "positions"
