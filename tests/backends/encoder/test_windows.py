"""Sliding windows cover every token; window aggregation and the losses match their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from koclassify.backends.encoder.windows import aggregate_log_probs, auto_pos_weight, window_loss, window_spans


@pytest.mark.parametrize("size,stride", [(1, 0), (5, 0), (5, 2), (8, 7), (16, 4)])
def test_windows_cover_every_token_with_the_requested_overlap(size: int, stride: int) -> None:
    for n in range(0, 60):
        spans = window_spans(n, size, stride)
        covered = sorted({t for b, e in spans for t in range(b, e)})
        assert covered == list(range(n))
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(e - b == min(size, n) for b, e in spans)  # never a short tail window
        for (b1, e1), (b2, _) in zip(spans, spans[1:]):
            assert b1 < b2 and e1 - b2 >= stride  # consecutive windows share at least `stride` tokens
        if n > size:
            assert len(spans) == -(-(n - size) // (size - stride)) + 1


def test_window_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="stride"):
        window_spans(10, 4, 4)
    with pytest.raises(ValueError, match="size"):
        window_spans(10, 0, 0)


def _windows() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.randn(6, 3) * 3, torch.tensor([0, 0, 0, 1, 2, 2])  # example 0: 3 windows, 1: 1, 2: 2


def test_multi_class_aggregation_mean_and_max() -> None:
    logits, owner = _windows()
    p = torch.softmax(logits, -1).numpy()
    groups = [[0, 1, 2], [3], [4, 5]]
    log_p, none = aggregate_log_probs(logits, owner, 3, multi_label=False, how="mean")
    assert none is None
    np.testing.assert_allclose(log_p.exp().numpy(), [p[g].mean(0) for g in groups], rtol=1e-5)
    log_p, _ = aggregate_log_probs(logits, owner, 3, multi_label=False, how="max")
    peak = np.array([p[g].max(0) for g in groups])
    np.testing.assert_allclose(log_p.exp().numpy(), peak / peak.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(log_p.exp().sum(-1).numpy(), 1.0, rtol=1e-6)


def test_multi_label_aggregation_mean_and_max() -> None:
    logits, owner = _windows()
    p = torch.sigmoid(logits).numpy()
    groups = [[0, 1, 2], [3], [4, 5]]
    for how, reduce in (("mean", np.mean), ("max", np.max)):
        log_p, log_q = aggregate_log_probs(logits, owner, 3, multi_label=True, how=how)
        expected = np.array([reduce(p[g], axis=0) for g in groups])
        np.testing.assert_allclose(log_p.exp().numpy(), expected, rtol=1e-5)
        np.testing.assert_allclose(log_q.exp().numpy(), 1 - expected, rtol=1e-4, atol=1e-6)


def test_single_windows_reduce_to_the_standard_losses() -> None:
    torch.manual_seed(1)
    logits = torch.randn(5, 4)
    owner = torch.arange(5)
    classes = torch.tensor([0, 3, 1, 1, 2])
    got = window_loss(logits, owner, classes, multi_label=False)
    torch.testing.assert_close(got, F.cross_entropy(logits, classes))
    y = (torch.rand(5, 4) > 0.5).float()
    weights = torch.tensor([1.0, 2.0, 0.5, 4.0])
    torch.testing.assert_close(
        window_loss(logits, owner, y, multi_label=True), F.binary_cross_entropy_with_logits(logits, y)
    )
    torch.testing.assert_close(
        window_loss(logits, owner, y, multi_label=True, pos_weight=weights),
        F.binary_cross_entropy_with_logits(logits, y, pos_weight=weights),
    )


def test_window_loss_is_the_loss_of_the_aggregated_probability_and_has_gradients() -> None:
    logits, owner = _windows()
    logits.requires_grad_(True)
    classes = torch.tensor([2, 0, 1])
    loss = window_loss(logits, owner, classes, multi_label=False, how="mean")
    p = torch.softmax(logits.detach(), -1)
    means = torch.stack([p[[0, 1, 2]].mean(0), p[[3]].mean(0), p[[4, 5]].mean(0)])
    expected = -torch.log(means[torch.arange(3), classes]).mean()
    torch.testing.assert_close(loss.detach(), expected, rtol=1e-5, atol=1e-6)
    loss.backward()
    assert logits.grad is not None and bool((logits.grad.abs().sum(-1) > 0).all())  # every window gets a gradient
    with pytest.raises(ValueError, match="aggregate"):
        aggregate_log_probs(logits, owner, 3, multi_label=False, how="median")
    with pytest.raises(ValueError, match="at least one window"):
        aggregate_log_probs(logits, owner, 4, multi_label=False)


def test_auto_pos_weight_is_negatives_over_positives() -> None:
    y = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=np.float32)
    assert auto_pos_weight(y, cap=50.0) == [1 / 3, 3.0, 50.0]
