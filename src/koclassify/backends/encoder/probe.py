"""The linear-probe start: the head begins as a logistic regression fitted on the frozen encoder's features.

A random head on a small CPU budget learns only the label base rates (UnSmile, 4,000 rows, 2 epochs: micro-F1
0.34 at its best threshold); starting from the probe, the same steps reach 0.68 (notes of issue 24). The probe is
fitted on standardised pooled features (each example: the mean of its windows' pooled vectors), and the scaling
is folded into the head's weights, so the head applied to raw features gives the probe's logits exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from koclassify.backends.encoder.batch import WindowCollator, prediction_batches
from koclassify.backends.encoder.progress import say

PROBE_C = 1.0  # inverse L2 strength on standardised features


def frozen_features(
    model: Any, rows: Sequence[dict[str, Any]], collator: WindowCollator, max_windows: int
) -> np.ndarray:
    """(n, dim) pooled features, windows averaged per example, with the encoder in eval mode."""
    import torch

    out: np.ndarray | None = None
    device = next(model.parameters()).device
    batches = prediction_batches(rows, max_windows)
    start = last = time.monotonic()
    was_training = model.training
    model.eval()
    for k, indices in enumerate(batches, 1):
        batch = collator([rows[i] for i in indices])
        owner = batch.pop("owner").to(device)
        batch.pop("labels", None)
        with torch.inference_mode():
            pooled = model.features(**{key: v.to(device) for key, v in batch.items()})
        sums = torch.zeros((len(indices), pooled.shape[1]), dtype=pooled.dtype, device=device)
        sums.index_add_(0, owner, pooled)
        counts = torch.bincount(owner, minlength=len(indices)).clamp(min=1).unsqueeze(1)
        if out is None:
            out = np.zeros((len(rows), pooled.shape[1]), dtype=np.float64)
        out[indices] = (sums / counts).double().cpu().numpy()
        now = time.monotonic()
        if now - last >= 30 or k == len(batches):
            last = now
            eta = (now - start) / k * (len(batches) - k)
            say(f"linear probe: features {k}/{len(batches)} batches, {now - start:.0f}s elapsed, ETA {eta:.0f}s")
    model.train(was_training)
    assert out is not None
    return out


def fit_head(features: np.ndarray, y: np.ndarray, *, multi_label: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weights (L, dim) and bias (L,) for the head from logistic regressions on ``features``."""
    from sklearn.linear_model import LogisticRegression

    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-6
    z = (features - mean) / std
    n_labels = y.shape[1]
    w = np.zeros((n_labels, z.shape[1]))
    b = np.zeros(n_labels)
    if multi_label:
        for j in range(n_labels):
            target = y[:, j] > 0.5
            if target.all() or not target.any():  # one class only: its base rate, no direction
                rate = np.clip(target.mean(), 1e-3, 1 - 1e-3)
                b[j] = np.log(rate / (1 - rate))
                continue
            lr = LogisticRegression(C=PROBE_C, max_iter=500).fit(z, target)
            w[j], b[j] = lr.coef_[0], lr.intercept_[0]
    else:
        classes = np.argmax(y, axis=1)
        present = np.unique(classes)
        b[:] = -10.0  # a class never seen in training starts improbable
        if len(present) == 1:
            b[present[0]] = 0.0
        else:
            lr = LogisticRegression(C=PROBE_C, max_iter=500).fit(z, classes)
            if len(present) == 2:  # one logit z: softmax of (-z/2, z/2) is sigmoid(z)
                w[present[0]], w[present[1]] = -lr.coef_[0] / 2, lr.coef_[0] / 2
                b[present[0]], b[present[1]] = -lr.intercept_[0] / 2, lr.intercept_[0] / 2
            else:
                w[present], b[present] = lr.coef_, lr.intercept_
    weight = w / std
    bias = b - weight @ mean
    return weight, bias


def init_head_from_probe(
    model: Any, rows: Sequence[dict[str, Any]], y: np.ndarray, collator: WindowCollator, *, multi_label: bool,
    max_windows: int,
) -> dict[str, Any]:  # fmt: skip
    """Fit the probe and copy it into ``model.classifier``; returns its statistics (time, training accuracy)."""
    import torch

    start = time.monotonic()
    features = frozen_features(model, rows, collator, max_windows)
    weight, bias = fit_head(features, y, multi_label=multi_label)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.as_tensor(weight, dtype=model.classifier.weight.dtype))
        model.classifier.bias.copy_(torch.as_tensor(bias, dtype=model.classifier.bias.dtype))
    logits = features @ weight.T + bias
    if multi_label:
        fit = float(((logits > 0) == (y > 0.5)).mean())
    else:
        fit = float((logits.argmax(1) == y.argmax(1)).mean())
    seconds = time.monotonic() - start
    say(f"linear probe: head initialised in {seconds:.0f}s (training accuracy {fit:.3f})")
    return {"probe_seconds": seconds, "probe_train_accuracy": fit}
