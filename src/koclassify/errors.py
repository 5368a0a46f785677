"""User-facing errors: the CLI prints these without a traceback and exits non-zero."""

from __future__ import annotations

MAX_MESSAGE = 1000  # characters of an error line: a 100,000-character option value must not print 500 KB


class KoclassifyError(Exception):
    """Base for errors caused by input or configuration, not by a bug. Its message is one line of at most
    :data:`MAX_MESSAGE` characters (the middle of a longer one is cut, saying how much)."""

    def __str__(self) -> str:
        return shorten(super().__str__())


def shorten(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` whole, or its start and end around a note of how many characters were cut."""
    if len(message) <= limit:
        return message
    keep = (limit - 40) // 2
    return f"{message[:keep]} ... [{len(message) - 2 * keep} characters cut] ... {message[-keep:]}"


class DataError(KoclassifyError):
    """Bad input data. The message names the file, the line and the field where known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None):
        where = ":".join(str(p) for p in (path, line) if p is not None)
        parts = [where] if where else []
        if field is not None:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.path, self.line, self.field, self.message = path, line, field, message


class ModelError(KoclassifyError):
    """A model directory that cannot be used as asked (missing files, mismatched components)."""


class MissingDependencyError(KoclassifyError):
    """An optional extra is not installed; the message says which pip command installs it."""

    def __init__(self, package: str, extra: str):
        super().__init__(f"this feature needs {package!r}: pip install 'koclassify[{extra}]'")


class NotFittedError(ModelError, ValueError, AttributeError):
    """An estimator used before ``fit`` or ``load`` (a ``ValueError`` and ``AttributeError``, as scikit-learn's is,
    so ``hasattr(clf, "classes_")`` is ``False`` on an unfitted one)."""
