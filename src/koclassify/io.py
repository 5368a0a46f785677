"""The write gate: every file and directory koclassify writes goes through this module, so its guarantees hold
for every command by construction rather than case by case.

- **Never over an input.** A command declares its input paths once (:func:`command_inputs`; the CLI does it for
  every command from its arguments); every write checks its target against them (same file by ``samefile`` or
  resolved path) and a directory swap also refuses a directory that holds an input or the current directory.
- **Atomic.** A file is written in a temp directory beside the target and renamed over it only when complete;
  a directory is built under a temp name and swapped in (:func:`atomic_directory`), or updated by a swap of a
  hard-linked copy (:func:`update_directory`), so a kill never leaves half a file or two halves of a change.
- **Only its own.** A directory is replaced only when it is empty or a marker file (:data:`MARKER`) written by
  koclassify says it is one of its own of the same kind, and it holds nothing but entries of that kind.
  Temporary entries are directories named ``.NAME.PID.XXXX.tmp`` holding a marker that names the same pid and
  target: the next write removes them when that process is gone. Nothing else is ever deleted or renamed, whatever
  its name (a user's ``.model.old/`` or ``.out.csv.99999.x.tmp`` is left alone).
- **One clean line.** A full disk, a read-only file system or a permission error is a :class:`KoclassifyError`
  naming the path; the previous output is left as it was.

Only this module calls ``os.replace`` / ``shutil.rmtree`` / ``unlink`` on outputs (see :func:`discard` for
removing a file of the package's own, e.g. a stale errors file).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from koclassify.errors import KoclassifyError

TMP_SUFFIX = ".tmp"
OLD_SUFFIX = ".old"  # the parking name of versions before the gate; never read, renamed or removed now
MARKER = ".koclassify"  # JSON: {"written_by": "koclassify", "kind", "target", "pid"}
PARKED = "previous"  # inside a parked temp directory: the version a swap moved away
MAX_JSON_BYTES = 64 * 2**20  # config and thresholds files are kilobytes; refuse to slurp a huge or endless file
# errors of the place written to, not of the program: one line naming the path, never a traceback
WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG, errno.ENAMETOOLONG}
)

_INPUTS: ContextVar[tuple[Path, ...]] = ContextVar("koclassify_inputs", default=())
_IN_PLACE: ContextVar[tuple[Path, ...]] = ContextVar("koclassify_in_place", default=())


# ------------------------------------------------------------------------------------------- inputs
@contextmanager
def command_inputs(*paths: str | os.PathLike | None) -> Iterator[tuple[Path, ...]]:
    """Declare the files and directories a command reads: no write inside the block may replace one of them.

    ``None`` and ``-`` (standard input) are skipped. Blocks nest: inner declarations add to outer ones.
    """
    given = tuple(Path(p) for p in paths if p is not None and str(p) != "-")
    token = _INPUTS.set(_INPUTS.get() + given)
    try:
        yield _INPUTS.get()
    finally:
        _INPUTS.reset(token)


@contextmanager
def updating_in_place(directory: str | os.PathLike) -> Iterator[None]:
    """The block adds files to ``directory`` (an input of the command) on purpose, e.g. ``export onnx`` writing
    ``MODEL/backend/model.onnx`` and the manifest that records it: writes inside it are allowed."""
    token = _IN_PLACE.set(_IN_PLACE.get() + (_resolved(Path(directory)),))
    try:
        yield
    finally:
        _IN_PLACE.reset(token)


def declared_inputs() -> tuple[Path, ...]:
    return _INPUTS.get()


def _same(a: Path, b: Path) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return _resolved(a) == _resolved(b)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: compare as written
        return path.absolute()


def check_output(path: str | os.PathLike, *, option: str = "--out") -> None:
    """Refuse to write ``path`` when it is one of the declared inputs (the same file under any name), lies inside
    an input directory (a model's manifest would no longer match), or is a FIFO, socket or device (the rename
    would replace the node itself)."""
    import stat

    path = Path(path)
    for source in _INPUTS.get():
        if _same(path, source):
            raise KoclassifyError(f"{option} {path}: is also an input of this command ({source}); write to a new file")
        parents = _resolved(path).parents
        if _resolved(source) in parents and source.is_dir() and not any(d in parents for d in _IN_PLACE.get()):
            raise KoclassifyError(f"{option} {path}: lies inside the input directory {source}; write elsewhere")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise KoclassifyError(f"{option} {path}: not a regular file (a FIFO, socket or device); write to a file")


def check_directory_output(path: str | os.PathLike, *, option: str = "--out") -> None:
    """A directory about to be replaced whole is not an input, does not hold one, does not lie inside an input
    directory, and is not (nor holds) the current directory or the file-system root."""
    path = Path(path)
    resolved = _resolved(path)
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents or resolved.parent == resolved:
        raise KoclassifyError(f"{option} {path}: is the current directory or holds it; choose a new directory")
    for source in _INPUTS.get():
        if _same(path, source):
            raise KoclassifyError(f"{option} {path}: is also an input of this command; choose a new directory")
        if resolved in _resolved(source).parents:
            raise KoclassifyError(f"{option} {path}: holds the input file {source}; choose a new directory")
        if _resolved(source) in resolved.parents and source.is_dir():  # a model's manifest would no longer match
            raise KoclassifyError(f"{option} {path}: lies inside the input directory {source}; choose a new directory")


# ------------------------------------------------------------------------------------ clean errors
@contextmanager
def write_errors_named(path: str | os.PathLike) -> Iterator[None]:
    """Turn a full disk, a read-only file system or a refused permission into one line naming the path."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            raise
        where = exc.filename if exc.filename is not None else path
        detail = f" ({where})" if str(where) != str(path) else ""
        raise KoclassifyError(f"cannot write {path}{detail}: {exc.strerror or exc}") from None


@contextmanager
def _preparing(path: Path) -> Iterator[None]:
    """Before anything is written: any ``OSError`` of making the place for ``path`` (a file where a parent
    directory is needed, a parent that cannot be created such as one in /proc, a name too long) is one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            reason = "a file stands where a directory is needed"
        else:
            reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename is not None and str(exc.filename) != str(path) else ""
        raise KoclassifyError(f"cannot write {path}{where}: {reason}") from None


# ------------------------------------------------------------------------------------- temp entries
def _marker(target: Path, kind: str) -> dict[str, Any]:
    return {"written_by": "koclassify", "kind": kind, "target": target.name, "pid": os.getpid()}


def _temp_dir(target: Path, kind: str) -> Path:
    """A fresh ``.NAME.PID.XXXX.tmp`` directory beside ``target`` holding the marker that proves it ours."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; what becomes an output is shared like any other
    (tmp / MARKER).write_text(json.dumps(_marker(target, kind)) + "\n", encoding="utf-8")
    return tmp


def read_marker(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The marker koclassify wrote in ``directory``, or ``None`` (no marker, not ours, unreadable)."""
    marker = Path(directory) / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 4096:
            return None
        obj = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(obj, dict) or obj.get("written_by") != "koclassify":
        return None
    return obj


def _own_temp(entry: Path, target: Path) -> tuple[int, dict[str, Any]] | None:
    """``(pid, marker)`` when ``entry`` is a temp directory this package made for ``target``; else ``None``."""
    prefix = f".{target.name}."
    name = entry.name
    if not (name.startswith(prefix) and name.endswith(TMP_SUFFIX)):
        return None
    pid = name[len(prefix) :].split(".", 1)[0]
    if not pid.isdigit() or entry.is_symlink() or not entry.is_dir():
        return None
    marker = read_marker(entry)
    if marker is None or marker.get("pid") != int(pid) or marker.get("target") != target.name:
        return None
    return int(pid), marker


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
    """Remove what killed writers of ``path`` left beside it: their marked ``.NAME.PID.*.tmp`` directories
    whose process is gone. A parked previous version is put back first when ``path`` is missing (a swap cut
    between its two renames). Returns what was removed."""
    path = Path(path)
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    for entry in sorted(path.parent.iterdir()):
        own = _own_temp(entry, path)
        if own is None or _alive(own[0]):
            continue
        parked = entry / PARKED
        if own[1].get("kind") == "parked" and parked.exists() and not path.exists() and not path.is_symlink():
            os.replace(parked, path)  # the swap was cut after moving the old version away: put it back
        _remove_tree(entry)
        removed.append(entry)
    return removed


def clean_stale_under(directory: str | os.PathLike) -> list[Path]:
    """:func:`clean_stale` for every target in ``directory`` that a dead writer left a temp entry for (e.g. a
    killed run's output shards); entries without the package's marker are never touched."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    targets = set()
    for entry in directory.iterdir():
        marker = read_marker(entry) if entry.name.endswith(TMP_SUFFIX) and entry.is_dir() else None
        target = marker.get("target") if marker is not None else None
        if isinstance(target, str) and target and "/" not in target and target not in (".", ".."):
            targets.add(target)
    removed: list[Path] = []
    for target in sorted(targets):
        removed += clean_stale(directory / target)
    return removed


def _remove_tree(entry: Path) -> None:
    shutil.rmtree(entry, ignore_errors=True)


def discard(path: str | os.PathLike) -> None:
    """Remove a file this command owns outright (e.g. the errors file of an earlier run of the same output,
    or a file inside the temp copy of :func:`update_directory`); a directory is never removed this way."""
    path = Path(path)
    check_output(path)
    with write_errors_named(path):
        if path.is_symlink() or path.is_file():
            path.unlink()


def parked_version(path: str | os.PathLike) -> Path | None:
    """The previous version an unfinished swap of ``path`` parked beside it (loaders read it meanwhile)."""
    path = Path(path)
    if not path.parent.is_dir():
        return None
    for entry in sorted(path.parent.iterdir()):
        own = _own_temp(entry, path)
        if own is not None and own[1].get("kind") == "parked" and (entry / PARKED).is_dir():
            return entry / PARKED
    return None


def old_path(path: str | os.PathLike) -> Path:
    """Where a swap under way parks the previous version of ``path`` (the legacy ``.NAME.old`` name if none is
    parked now; that name is never read or removed any more)."""
    path = Path(path)
    return parked_version(path) or path.with_name(f".{path.name}{OLD_SUFFIX}")


# --------------------------------------------------------------------------------------------- files
@contextmanager
def _file_temp(path: Path) -> Iterator[Path]:
    """The marked temp directory a file write to ``path`` builds in (a dead writer's leftovers removed first),
    removed when the block ends, after ``path`` passed the gate (and is no directory): what :func:`atomic_open`
    and :func:`atomic_path` share. Making its place fails as one line (:func:`_preparing`); disk errors inside
    come out as one line naming ``path``."""
    check_output(path)
    if os.path.isdir(path):  # False for a name too long to look up (Path.is_dir raises)
        raise KoclassifyError(f"{path}: is a directory; give a file name to write")
    with _preparing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path)
        tmpdir = _temp_dir(path, "file")
    with write_errors_named(path):
        try:
            yield tmpdir
        finally:
            _remove_tree(tmpdir)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Write to a temp file beside ``path`` and rename it over ``path`` only when the block succeeds."""
    path = Path(path)
    with _file_temp(path) as tmpdir:
        tmp = tmpdir / "data"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            binary = "b" in mode
            with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else "") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except UnicodeEncodeError as exc:
            from koclassify.errors import DataError

            bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else ""
            raise DataError(f"cannot write {bad!r}: not valid Unicode (a lone surrogate)", path=str(path)) from None


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


# --------------------------------------------------------------------------------------- directories
Recognizer = Callable[[Path], bool]


def check_replaceable_directory(
    path: str | os.PathLike,
    *,
    kind: str,
    entries: Collection[str] | Callable[[str], bool] | None = None,
    legacy: Recognizer | None = None,
    overwrite: bool = False,
    option: str = "--out",
) -> None:
    """Refuse to replace ``path`` unless it is new, empty, or a directory of ``kind`` this package wrote (its
    marker says so, or ``legacy`` recognises one written before markers existed) holding only ``entries`` (names,
    or a test of a name).

    ``overwrite`` (the person's explicit choice) replaces anything but an input, a directory holding one, or the
    current directory.
    """
    path = Path(path)
    check_directory_output(path, option=option)
    with _preparing(path):
        missing = not path.exists() and not path.is_symlink()
    if missing:
        return
    if overwrite:
        return
    what = f"a koclassify {kind} directory"
    if path.is_symlink() or not path.is_dir():
        raise KoclassifyError(f"{option} {path}: exists and is not a {kind} directory; remove it or choose a new path")
    try:
        present = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        raise KoclassifyError(f"{option} {path}: cannot read it: {exc.strerror}") from None
    if not present:
        return
    marker = read_marker(path)
    ours = (marker is not None and marker.get("kind") == kind) or (legacy is not None and legacy(path))
    if not ours:
        raise KoclassifyError(
            f"{option} {path}: a non-empty directory that is not {what}; choose a new or empty directory"
            + (", or pass --overwrite to replace it" if kind == "model" else "")
        )
    if entries is not None:
        owned = entries if callable(entries) else entries.__contains__
        foreign = [name for name in present if not owned(name) and name != MARKER]
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise KoclassifyError(
                f"{option} {path}: holds {shown}, which koclassify did not write there; "
                "move it away or choose a new directory"
            )


@contextmanager
def atomic_directory(path: str | os.PathLike, *, kind: str = "model") -> Iterator[Path]:
    """Build a directory under a temp name, then swap it in place of ``path`` (old content replaced whole).

    The temp directory carries the marker (:data:`MARKER`, kind ``kind``) that lets a later write replace the
    result. The swap is two renames (``path`` into a parked temp directory, the new one to ``path``); a reader
    that finds ``path`` missing in between reads the parked version (:func:`resolve_directory`), and the next
    write puts it back after a kill. Callers check replaceability first (:func:`check_replaceable_directory`).
    """
    path = Path(path)
    check_directory_output(path)
    with _staged(path, kind) as tmp:
        yield tmp


@contextmanager
def _staged(path: Path, kind: str, copy_of: Path | None = None) -> Iterator[Path]:
    """A marked temp directory beside ``path`` (hard links to ``copy_of``'s files when given) that is swapped in
    for ``path`` whole when the block ends, and removed when it fails: what replacing and updating share."""
    with _preparing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path)
        tmp = _temp_dir(path, kind)
    with write_errors_named(path):
        try:
            if copy_of is not None:
                _link_tree(copy_of, tmp)
            yield tmp
            _swap(tmp, path)
        except BaseException:
            _remove_tree(tmp)
            raise


def _swap(new: Path, path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        os.replace(new, path)
        return
    park = _temp_dir(path, "parked")
    try:
        os.replace(path, park / PARKED)
    except BaseException:
        _remove_tree(park)
        raise
    try:
        os.replace(new, path)
    except BaseException:
        # the new version cannot go in: the old one goes back (if that fails too it stays parked, where loaders
        # read it, and the next write puts it back)
        os.replace(park / PARKED, path)
        _remove_tree(park)
        raise
    _remove_tree(park)


@contextmanager
def update_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Change some files of an existing directory of ours as one step: the block edits a copy (hard links, so
    gigabytes of weights are not copied; files are only ever replaced by rename, never written in place) and the
    copy is swapped in whole. A kill at any moment leaves the old version or the new one, never a mix."""
    path = Path(path)
    marker = read_marker(path)
    kind = str(marker.get("kind", "model")) if marker else "model"
    with _staged(path, kind, copy_of=path) as tmp:
        yield tmp


def _link_tree(src: Path, dst: Path) -> None:
    for current, dirs, files in os.walk(src, followlinks=False):
        rel = Path(current).relative_to(src)
        for name in dirs:
            (dst / rel / name).mkdir(exist_ok=True)
        for name in files:
            if rel == Path(".") and name == MARKER:
                continue
            source, target = Path(current) / name, dst / rel / name
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
                continue
            try:
                os.link(source, target)
            except OSError:  # a file system without hard links: copy
                shutil.copy2(source, target)


def resolve_directory(path: str | os.PathLike) -> Path:
    """``path``, or the previous version parked by an :func:`atomic_directory` swap that is under way."""
    path = Path(path)
    if not path.exists():
        parked = parked_version(path)
        if parked is not None:
            return parked
    return path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """For libraries that write to a file name (ONNX export, ``np.savez``): a temp file name beside ``path``
    (in a marked temp directory; other scratch files may go beside it), renamed onto ``path`` when the block
    succeeds."""
    path = Path(path)
    with _file_temp(path) as tmpdir:
        built = tmpdir / path.name  # the target's extension, for libraries that read it
        yield built
        os.replace(built, path)


@contextmanager
def scratch_directory(prefix: str = "koclassify-") -> Iterator[Path]:
    """A private temp directory removed when the block ends (in the system temp folder, never beside outputs)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)
