"""Atomic file output: a reader of our outputs never sees a half-written file, and a killed writer's leftovers
are cleaned up by the next write to the same path.

Temporary names carry the writer's process id (``.NAME.PID.XXXX.tmp`` beside the target), so a later writer can
tell a dead writer's leftovers (removed) from a live one's (left alone).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TMP_SUFFIX = ".tmp"
OLD_SUFFIX = ".old"
MAX_JSON_BYTES = 64 * 2**20  # config and thresholds files are kilobytes; refuse to slurp a huge or endless file


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Write to a temp file beside ``path`` and rename it over ``path`` only when the block succeeds."""
    path = Path(path)
    if path.is_dir():
        from koclassify.errors import KoclassifyError

        raise KoclassifyError(f"{path}: is a directory; give a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs should be readable like any other
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding, newline=None if "b" in mode else "") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except UnicodeEncodeError as exc:
        Path(tmp).unlink(missing_ok=True)
        from koclassify.errors import DataError

        bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else ""
        raise DataError(f"cannot write {bad!r}: not valid Unicode (a lone surrogate)", path=str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale(path: str | os.PathLike) -> list[Path]:
    """Remove what killed writers of ``path`` left beside it: ``.NAME.PID.*.tmp`` files or directories whose
    process is gone, and a ``.NAME.old`` directory (restored first when a swap was cut between its two renames).
    Returns what was removed."""
    path = Path(path)
    parent = path.parent
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    prefix = f".{path.name}."
    for entry in parent.iterdir():
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TMP_SUFFIX)):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        _remove(entry)
        removed.append(entry)
    old = old_path(path)
    if old.is_dir() and not old.is_symlink():
        if not path.exists() and not path.is_symlink():
            os.replace(old, path)  # the swap was cut after moving the old version away: put it back
        else:
            _remove(old)
            removed.append(old)
    return removed


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def old_path(path: str | os.PathLike) -> Path:
    """Where :func:`atomic_directory` parks the previous version during its swap (loaders fall back to it)."""
    path = Path(path)
    return path.with_name(f".{path.name}{OLD_SUFFIX}")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_open(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def read_json(path: str | os.PathLike, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file. Only regular files up to ``max_bytes`` (a FIFO or ``/dev/zero`` would hang or fill
    memory); every failure (unreadable, not UTF-8, bad JSON, nesting too deep, huge integers) is a ``ValueError``
    or ``OSError``."""
    import stat

    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{path}: not a regular file")
    if st.st_size > max_bytes:
        raise ValueError(f"{path}: {st.st_size} bytes, more than the {max_bytes} allowed")
    with open(path, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValueError(f"{path}: more than {max_bytes} bytes")
    try:
        return loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (offset {exc.start})") from None


def loads(text: str) -> Any:
    """``json.loads`` whose every failure is a ``ValueError`` (deep nesting otherwise raises RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


@contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Build a directory under a temp name, then swap it in place of ``path`` (old content replaced whole).

    The swap is two renames (``path`` -> ``.NAME.old``, temp -> ``path``); a reader that finds ``path`` missing
    in between reads ``.NAME.old`` (see :func:`resolve_directory`), and the next write cleans up after a kill.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent))
    try:
        yield tmp
        if path.exists() or path.is_symlink():
            old = old_path(path)
            _remove(old)
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def resolve_directory(path: str | os.PathLike) -> Path:
    """``path``, or the previous version parked by an :func:`atomic_directory` swap that is under way."""
    path = Path(path)
    if not path.exists():
        old = old_path(path)
        if old.is_dir():
            return old
    return path
