"""A model directory is data: checks that make loading one safe whatever its files hold.

Its files are checked against ``manifest.json`` first (:mod:`koclassify.manifest`; :func:`model_hash` is the
model's identity). Loading never runs code from the directory (``trust_remote_code`` is the caller's decision,
never the files'), never follows a link out of it, never opens a FIFO or device, and never allocates more memory
than the arrays actually stored need. Every violation is a :class:`ModelError` that names the file.
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from koclassify.errors import ModelError
from koclassify.io import read_json
from koclassify.manifest import model_hash

__all__ = ["check_npz", "check_replaceable", "check_threshold", "check_tree", "expect", "is_model_directory",
           "model_hash", "read_model_json"]  # fmt: skip

# backend options that belong to the person or the machine, not to a model: never stored, never read from one
MACHINE_OPTIONS = ("trust_remote_code", "embed_cache")
MAX_ENTRIES = 100_000  # files a model directory may hold (a walk over a hostile tree must end)


def check_tree(directory: Path) -> None:
    """Every entry is a regular file or directory inside ``directory``; links may only point inside it."""
    root = directory.resolve()
    count = 0
    for current, dirs, files in os.walk(directory, followlinks=False):
        for name in [*dirs, *files]:
            count += 1
            if count > MAX_ENTRIES:
                raise ModelError(f"{directory}: more than {MAX_ENTRIES} files; not a koclassify model directory")
            entry = Path(current) / name
            if entry.is_symlink():
                target = entry.resolve()
                if target != root and root not in target.parents:
                    raise ModelError(f"{entry}: links outside the model directory (to {target}); refusing to read it")
            try:
                mode = os.stat(entry).st_mode
            except OSError as exc:
                raise ModelError(f"{entry}: cannot read: {exc.strerror}") from None
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ModelError(f"{entry}: not a regular file (a FIFO, socket or device); refusing to read it")


def read_model_json(path: Path, *, required: bool = True) -> Any:
    """A JSON file of the model directory; a missing optional one is ``None``."""
    if not path.exists() and not required:
        return None
    try:
        return read_json(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; not a complete koclassify model directory") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable: {exc}") from None


def expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """``value`` if it is of ``kind`` (bool never counts as a number), else a ModelError naming ``where``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        names = " or ".join(k.__name__ for k in kinds)
        raise ModelError(f"{where}: expected {names}, got {type(value).__name__} {str(value)[:60]!r}")
    return value


def check_threshold(value: Any, where: str) -> float:
    """A threshold is a finite number in [0, 1] (``"high"``, ``null``, NaN, -1 are errors, not silently used)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{where}: a threshold must be a number in [0, 1], got {str(value)[:60]!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise ModelError(f"{where}: a threshold must be a number in [0, 1], got {str(value)[:60]}")
    return number


def check_npz(path: Path) -> None:
    """Every array in an ``.npz`` declares no more bytes than its archive member holds, and no member claims
    more than the file could give: a crafted header cannot make ``np.load`` allocate gigabytes."""
    from numpy.lib import format as npformat

    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1000 * max(info.compress_size, 1):
                    raise ModelError(f"{path}: member {info.filename!r} expands {info.file_size} bytes: refused")
                if info.compress_type == zipfile.ZIP_STORED and info.file_size > size:
                    raise ModelError(f"{path}: member {info.filename!r} claims more bytes than the file has")
                with archive.open(info) as fh:
                    version = npformat.read_magic(fh)
                    reader = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
                    shape, _, dtype = reader(fh)
                    if dtype.hasobject:
                        raise ModelError(f"{path}: member {info.filename!r} holds Python objects; refused")
                    need = math.prod(shape) * dtype.itemsize
                    if need > info.file_size:
                        raise ModelError(
                            f"{path}: member {info.filename!r} declares shape {shape} ({need} bytes) "
                            f"but stores {info.file_size} bytes"
                        )
    except ModelError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, TypeError, OverflowError) as exc:
        raise ModelError(f"{path}: not a valid npz archive: {exc}") from None


def is_model_directory(path: Path) -> bool:
    """True for a directory that a koclassify ``save`` wrote (its config names a koclassify version)."""
    try:
        config = read_json(path / "config.json")
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "koclassify_version" in config


# what a model directory holds at its top level (a name outside this set is the person's, never replaced)
MODEL_ENTRIES = frozenset(
    {"config.json", "thresholds.json", "prior.json", "stack.npz", "backend", "manifest.json", "README.md"}
)


def check_replaceable(out: Path, *, overwrite: bool = False, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse to let a model save replace what is not a model (the write gate's rule for kind ``model``): only
    a koclassify model directory holding nothing else, an empty directory or a new path may be replaced
    (anything else needs ``overwrite``). The current directory, a directory holding it, or one holding an input
    file is never replaced."""
    from koclassify.io import check_replaceable_directory, command_inputs

    with command_inputs(*inputs):
        check_replaceable_directory(
            out, kind="model", entries=MODEL_ENTRIES, legacy=is_model_directory, overwrite=overwrite
        )
