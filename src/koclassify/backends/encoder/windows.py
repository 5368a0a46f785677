"""Sliding windows over a token sequence, and the aggregation of per-window scores into per-example ones.

Long texts (song lyrics run to hundreds of tokens) are not truncated: the text's tokens are cut into windows of
at most ``size`` tokens, consecutive windows sharing ``stride`` tokens (Hugging Face's meaning of *stride*), the
last window ending exactly at the last token. Every window is classified and the window probabilities are
aggregated per example (``mean`` or ``max``). The same aggregation runs in training (the loss is taken on the
aggregated probability) and in prediction, so what the model is trained for is what it is used for.

Aggregation works on log-probabilities for numerical stability:

- multi-class ``mean``: ``log mean_w p_w`` = logsumexp over windows - log(#windows); rows still sum to 1.
- multi-class ``max``: the element-wise maximum over windows, renormalised so that each row sums to 1.
- multi-label ``mean``: ``log mean p`` and ``log (1 - mean p) = log mean (1 - p)``.
- multi-label ``max``: ``log max p`` and ``log (1 - max p) = min log (1 - p)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from koclassify.errors import DataError, KoclassifyError

AGGREGATES = ("mean", "max")


class EncoderOptionError(KoclassifyError, ValueError):
    """A bad encoder backend option; the message names the option (a ValueError too, as other backends raise)."""


def window_spans(n_tokens: int, size: int, stride: int) -> list[tuple[int, int]]:
    """``[begin, end)`` token ranges that cover ``range(n_tokens)``; consecutive ones overlap by >= ``stride``.

    Windows advance by ``size - stride`` tokens; the last one is moved back to end at ``n_tokens``, so no window
    is a short tail and every window but a lone first one holds exactly ``size`` tokens.
    """
    if size < 1:
        raise EncoderOptionError(f"window size must be at least 1 token, got {size}")
    if not 0 <= stride < size:
        raise EncoderOptionError(f"stride must be in [0, window size {size}), got {stride}")
    if n_tokens <= size:
        return [(0, n_tokens)]
    step = size - stride
    starts = list(range(0, n_tokens - size, step)) + [n_tokens - size]
    return [(s, s + size) for s in starts]


def _group(values: Any, owner: Any, n_groups: int, fill: float) -> tuple[Any, Any]:
    """Scatter (W, L) window rows into a dense (n_groups, max windows, L) tensor padded with ``fill``."""
    import torch

    counts = torch.bincount(owner, minlength=n_groups)
    if bool((counts == 0).any()):
        raise ValueError("every example needs at least one window")
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(owner.numel(), device=owner.device) - starts[owner]
    dense = values.new_full((n_groups, int(counts.max()), values.shape[-1]), fill)
    dense[owner, position] = values
    return dense, counts


def aggregate_log_probs(
    logits: Any, owner: Any, n_examples: int, *, multi_label: bool, how: str = "mean"
) -> tuple[Any, Any]:
    """Per-example log-probabilities from per-window logits.

    ``logits`` is (W, L), ``owner`` (W,) gives each window's example index in ``range(n_examples)``. Returns
    ``(log_p, log_not_p)``, both (n_examples, L); ``log_not_p`` is ``log(1 - p)`` for multi-label and ``None``
    for multi-class.
    """
    import torch
    import torch.nn.functional as F

    if how not in AGGREGATES:
        raise EncoderOptionError(f"aggregate must be one of {list(AGGREGATES)}, got {how!r}")
    logits = logits.float()
    inf = float("inf")
    if not multi_label:
        log_p, counts = _group(F.log_softmax(logits, dim=-1), owner, n_examples, -inf)
        if how == "mean":
            return torch.logsumexp(log_p, dim=1) - torch.log(counts.to(logits.dtype)).unsqueeze(-1), None
        peak = log_p.max(dim=1).values
        return peak - torch.logsumexp(peak, dim=-1, keepdim=True), None
    log_p, counts = _group(F.logsigmoid(logits), owner, n_examples, -inf)
    log_q, _ = _group(F.logsigmoid(-logits), owner, n_examples, -inf if how == "mean" else inf)
    if how == "mean":
        log_count = torch.log(counts.to(logits.dtype)).unsqueeze(-1)
        return torch.logsumexp(log_p, dim=1) - log_count, torch.logsumexp(log_q, dim=1) - log_count
    return log_p.max(dim=1).values, log_q.min(dim=1).values


def window_loss(
    logits: Any,
    owner: Any,
    labels: Any,
    *,
    multi_label: bool,
    how: str = "mean",
    pos_weight: Any = None,
) -> Any:
    """Cross-entropy (multi-class, ``labels`` (B,) class ids) or binary cross-entropy (multi-label, ``labels``
    (B, L) 0/1 with optional per-label ``pos_weight``) on the window-aggregated probabilities.

    With one window per example and ``mean`` this is exactly ``F.cross_entropy`` /
    ``F.binary_cross_entropy_with_logits`` on the logits.
    """
    import torch.nn.functional as F

    n_examples = int(labels.shape[0])
    log_p, log_q = aggregate_log_probs(logits, owner, n_examples, multi_label=multi_label, how=how)
    if not multi_label:
        return F.nll_loss(log_p, labels.long())
    y = labels.to(log_p.dtype)
    positive = y * log_p
    if pos_weight is not None:
        positive = positive * pos_weight.to(log_p.device, log_p.dtype)
    return -(positive + (1.0 - y) * log_q).mean()


def auto_pos_weight(y: Any, cap: float = 100.0) -> list[float]:
    """Per-label ``negatives / positives`` on the training matrix (labels never seen positive get ``cap``)."""
    n = len(y)
    weights = []
    for column in range(y.shape[1]):
        positives = float(y[:, column].sum())
        weights.append(min(cap, (n - positives) / positives) if positives > 0 else cap)
    return [max(w, 1e-6) if math.isfinite(w) else cap for w in weights]


def resolve_pos_weight(
    setting: str | dict[str, float] | None, y: Any, names: Sequence[str], *, multi_label: bool
) -> list[float] | None:
    """The ``pos_weight`` option as one weight per label: ``None``, ``"auto"`` or ``{label: weight}`` (others 1)."""
    if setting is None:
        return None
    if not multi_label:
        raise EncoderOptionError("pos_weight weighs positives of independent labels: it needs multi-label data")
    if setting == "auto":
        return auto_pos_weight(y)
    assert isinstance(setting, dict)
    unknown = set(setting) - set(names)
    if unknown:
        raise DataError(f"pos_weight names labels not in the data: {sorted(unknown)}", field="pos_weight")
    return [float(setting.get(name, 1.0)) for name in names]
