"""The llm backend's optional libraries, checked before any work: a missing one is one line naming the extra.

``torch``, ``transformers``, ``peft`` and ``accelerate`` come with ``koclassify[llm]``; ``bitsandbytes`` (4-bit
QLoRA) with ``koclassify[qlora]``. Importing them here, not only looking them up, also turns an install that
cannot be imported into the same one line instead of a traceback from deep inside a training run.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from koclassify.errors import MissingDependencyError

LLM_LIBRARIES = ("torch", "transformers", "accelerate", "peft")  # peft needs accelerate: name it first
# the first bitsandbytes whose PyPI wheel trains QLoRA without CUDA: 0.46-0.49 run NF4 layers on the CPU but their
# 8-bit AdamW step fails there (checked with 0.46.1, 0.47.0, 0.48.2, 0.49.0, 0.49.2; 0.50.0 and 0.50.2 work)
MIN_BITSANDBYTES_CPU = "0.50"


def require(qlora: bool = False) -> None:
    """Import every library the llm backend needs (and bitsandbytes for ``qlora``), or fail with the extra."""
    _quiet_bitsandbytes()  # peft imports bitsandbytes when it is installed
    for name in LLM_LIBRARIES:
        _import(name, "llm")
    if qlora:
        bitsandbytes()


def bitsandbytes() -> Any:
    """The ``bitsandbytes`` module, imported without its CPU-kernel advisory (we say once that CPU is slow)."""
    _quiet_bitsandbytes()
    return _import("bitsandbytes", "qlora")


def _quiet_bitsandbytes() -> None:
    # bitsandbytes 0.50 logs a WARNING at import on CPUs with AVX512-BF16 when the optional `kernels` package is
    # absent; its own CPU kernels run instead, so the warning only alarms
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)


def check_cpu_bitsandbytes() -> None:
    """Without CUDA, QLoRA needs a bitsandbytes whose 8-bit optimizer runs on the CPU (older ones fail mid-training)."""
    from packaging.version import Version

    version = getattr(bitsandbytes(), "__version__", "0")
    if Version(version) < Version(MIN_BITSANDBYTES_CPU):
        raise MissingDependencyError(f"bitsandbytes>={MIN_BITSANDBYTES_CPU} (found {version}) on a CPU", "qlora")


def _import(name: str, extra: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependencyError(name, extra) from None
