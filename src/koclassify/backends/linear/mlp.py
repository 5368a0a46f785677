"""A small MLP head on embeddings, fitted by scikit-learn's ``MLPClassifier`` and kept as plain weight arrays.

A pretrained embedding is not linearly separable the way a sparse n-gram space is, so a hidden layer can help
when the dense block is used alone. The forward pass (ReLU layers, then a sigmoid or a softmax) is the one
``MLPClassifier.predict_proba`` computes; the model directory holds the weights, not a pickled estimator.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

HIDDEN = (256,)
EARLY_STOPPING_ROWS = 200  # below this an internal 10% validation split is too small to stop on


@dataclass
class MLPHead:
    kind: str  # "ovr" (independent sigmoids, multi-label) or "softmax" (multi-class)
    weights: list[np.ndarray]  # per layer (in, out) float32
    biases: list[np.ndarray]  # per layer (out,) float32
    classes: np.ndarray  # label columns the output units stand for (multi-class may lack some labels)
    n_labels: int

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        h = np.asarray(X, dtype=np.float32)
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ W + b, 0.0)
        z = (h @ self.weights[-1] + self.biases[-1]).astype(np.float64)
        if self.kind == "ovr":
            return expit(z)
        out = np.zeros((len(h), self.n_labels))
        if len(self.classes) == 1:  # one class seen in training
            out[:, self.classes[0]] = 1.0
        elif z.shape[1] == 1:  # scikit-learn's binary MLP has one logistic unit for the second class
            p1 = expit(z[:, 0])
            out[:, self.classes[0]], out[:, self.classes[1]] = 1.0 - p1, p1
        else:
            out[:, self.classes] = softmax(z, axis=1)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"mlp_classes": self.classes.astype(np.int64)}
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            out[f"mlp_W{i}"], out[f"mlp_b{i}"] = W, b
        return out

    @classmethod
    def from_arrays(cls, kind: str, arrays: dict[str, np.ndarray], n_labels: int) -> MLPHead:
        layers = sum(1 for k in arrays if k.startswith("mlp_W"))
        return cls(
            kind,
            [arrays[f"mlp_W{i}"] for i in range(layers)],
            [arrays[f"mlp_b{i}"] for i in range(layers)],
            arrays["mlp_classes"],
            n_labels,
        )

    @property
    def n_inputs(self) -> int:
        return int(self.weights[0].shape[0])


def fit_mlp_head(X: np.ndarray, y: np.ndarray, *, multi_label: bool, seed: int = 0) -> MLPHead:
    """Fit one hidden layer with Adam, early-stopped on 10% of the rows when there are enough of them."""
    n_labels = y.shape[1]
    if multi_label:
        classes, target = np.arange(n_labels), y.astype(int)
    else:
        labels = y.argmax(axis=1)
        classes = np.unique(labels)
        if len(classes) == 1:  # one class seen: a network cannot be fitted, and the answer is certain
            return MLPHead(
                "softmax", [np.zeros((X.shape[1], 1), np.float32)], [np.zeros(1, np.float32)], classes, n_labels
            )
        target = labels
    model = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        alpha=1e-3,
        max_iter=200,
        early_stopping=len(X) >= EARLY_STOPPING_ROWS,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model.fit(X, target)
    return head_from_estimator(model, multi_label=multi_label, n_labels=n_labels)


def head_from_estimator(model: MLPClassifier, *, multi_label: bool, n_labels: int) -> MLPHead:
    """Plain arrays from a fitted ``MLPClassifier`` (multi-class ``classes_`` are label column indices)."""
    if model.activation != "relu":
        raise ValueError(f"only ReLU hidden layers are supported, got {model.activation!r}")
    return MLPHead(
        "ovr" if multi_label else "softmax",
        [W.astype(np.float32) for W in model.coefs_],
        [b.astype(np.float32) for b in model.intercepts_],
        np.arange(n_labels) if multi_label else np.asarray(model.classes_, dtype=np.int64),
        n_labels,
    )
