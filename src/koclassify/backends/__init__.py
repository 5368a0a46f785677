"""Backends: ``linear`` (offline default), ``encoder`` (HF encoders), ``llm`` (label-token causal LMs)."""

from koclassify.backends.base import Backend, available_backends, get_backend_class, register_backend

__all__ = ["Backend", "available_backends", "get_backend_class", "register_backend"]
