"""``manifest.json``: every file of a model directory with its size and sha256, like a wheel's RECORD.

``save`` writes it last, over whatever tree the save produced (config, weights, a model card, ensemble members:
no list of expected files here). ``load`` checks the tree against it before any other file is parsed, so a
missing, extra, changed or linked file is one :class:`ModelError` naming the file instead of whatever the
parser of that file would do with it (a 5-token vocabulary that predicts 0.2/0.8 for every row, a
``SafetensorError`` traceback). The manifest's own sha256 is the model's identity (:func:`model_hash`).

It detects corruption and edits, not a determined forger (who can rewrite the manifest too): the loaders'
own checks (``modeldir``, ``backends/hf_files``) stay in force behind it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from koclassify.errors import ModelError
from koclassify.io import MARKER

MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
FORMAT_VERSION = 2  # of the model directory: 2 = with manifest.json (1: before, no version written)
MAX_FILES = 100_000
_CHUNK = 1 << 20
_HEX = re.compile(r"[0-9a-f]{64}")
# trees already checked in this call stack (an ensemble's members are checked once, with the ensemble)
_CHECKED: ContextVar[tuple[Path, ...]] = ContextVar("koclassify_checked_trees", default=())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def tree_files(root: Path) -> list[str]:
    """The regular files under ``root`` as sorted ``/``-separated relative paths, ``manifest.json`` and the write
    gate's ownership marker (:data:`koclassify.io.MARKER`) left out.

    A link or anything that is not a plain file or directory is a :class:`ModelError` naming it: a saved model
    holds neither, and a link could point at a file that changes without the manifest noticing."""
    found: list[str] = []
    for current, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            entry = Path(current) / name
            mode = os.lstat(entry).st_mode
            if stat.S_ISLNK(mode):
                raise ModelError(f"{entry}: a link; a model directory holds plain files only")
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise ModelError(f"{entry}: not a regular file (a FIFO, socket or device); refusing to read it")
            relative = entry.relative_to(root).as_posix()
            if relative not in (MANIFEST_FILE, MARKER):  # the marker names its writer's pid: rewritten by updates
                found.append(relative)
            if len(found) > MAX_FILES:
                raise ModelError(f"{root}: more than {MAX_FILES} files; not a koclassify model directory")
    return sorted(found)


def build_manifest(root: Path) -> dict[str, Any]:
    """The manifest of the tree as it is now."""
    from koclassify.version import __version__

    files = {}
    for relative in tree_files(root):
        path = root / relative
        files[relative] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return {
        "format": "koclassify model directory",
        "format_version": FORMAT_VERSION,
        "manifest_version": MANIFEST_VERSION,
        "koclassify_version": __version__,
        "algorithm": "sha256",
        "files": files,
    }


def _serialise(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(root: Path) -> dict[str, Any]:
    """Hash the whole tree under ``root`` and write ``manifest.json``: the last step of every save."""
    from koclassify.io import atomic_open

    manifest = build_manifest(Path(root))
    with atomic_open(Path(root) / MANIFEST_FILE, "wb") as fh:
        fh.write(_serialise(manifest))
    return manifest


def update_manifest(root: Path, changed: list[str]) -> None:
    """After rewriting some files of a saved model in place (thresholds, an ONNX export): record those files
    again (or drop them, when removed), keeping every other entry as it was checked at load. A directory without
    a manifest (saved before it existed) is left without one."""
    root = Path(root)
    manifest = read_manifest(root)
    if manifest is None:
        return
    for relative in changed:
        path = root / relative
        if path.is_file() and not path.is_symlink():
            manifest["files"][relative] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
        else:
            manifest["files"].pop(relative, None)
    from koclassify.io import atomic_open

    with atomic_open(root / MANIFEST_FILE, "wb") as fh:
        fh.write(_serialise(manifest))


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The parsed manifest (every field checked), or ``None`` for a directory saved before manifests existed."""
    from koclassify.io import read_json

    path = Path(root) / MANIFEST_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        manifest = read_json(path)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise ModelError(f"{path}: not a koclassify manifest (no 'files' table)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelError(f"{path}: 'format_version' must be an integer")
    if version > FORMAT_VERSION:
        raise ModelError(f"{path}: format_version {version} is newer than this koclassify reads ({FORMAT_VERSION})")
    for relative, record in files.items():
        parts = relative.split("/")
        if relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
            raise ModelError(f"{path}: {relative[:80]!r} is not a path inside the model directory")
        ok = isinstance(record, dict) and isinstance(record.get("sha256"), str) and _HEX.fullmatch(record["sha256"])
        size = record.get("size") if isinstance(record, dict) else None
        if not ok or not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ModelError(f"{path}: the entry for {relative[:80]!r} needs a size and a sha256")
    return manifest


def verify(root: Path) -> dict[str, Any] | None:
    """Check ``root`` against its manifest: the same files, none linked, each of the recorded size and sha256.

    Returns the manifest, or ``None`` when there is none (the caller decides what an old directory means).
    A tree inside one already checked in this call stack (an ensemble's member) is not hashed again."""
    root = Path(root)
    resolved = root.resolve()
    if any(resolved == done or done in resolved.parents for done in _CHECKED.get()):
        return read_manifest(root)
    manifest = read_manifest(root)
    if manifest is None:
        return None
    listed: dict[str, dict[str, Any]] = manifest["files"]
    present = tree_files(root)
    for relative in present:
        if relative not in listed:
            raise ModelError(f"{root / relative}: not in {MANIFEST_FILE} (a file added after the model was saved)")
    missing = sorted(set(listed) - set(present))
    if missing:
        gone = root / missing[0]
        while gone.parent != root and not gone.parent.exists():  # name the folder when a whole one is gone
            gone = gone.parent
        lists = "it" if gone == root / missing[0] else "files in it"
        raise ModelError(f"{gone}: missing ({MANIFEST_FILE} lists {lists}); the model directory is incomplete")
    for relative in present:  # sizes first: a truncated file is found without hashing gigabytes
        size = (root / relative).stat().st_size
        if size != listed[relative]["size"]:
            raise ModelError(f"{root / relative}: changed since the model was saved ({size} bytes, "
                             f"{MANIFEST_FILE} says {listed[relative]['size']})")  # fmt: skip
    for relative in present:
        if sha256_file(root / relative) != listed[relative]["sha256"]:
            raise ModelError(f"{root / relative}: changed since the model was saved (its sha256 differs from "
                             f"{MANIFEST_FILE})")  # fmt: skip
    return manifest


@contextmanager
def checked(root: Path) -> Iterator[None]:
    """Within this block, trees under ``root`` count as checked (set after :func:`verify` succeeded on it)."""
    token = _CHECKED.set((*_CHECKED.get(), Path(root).resolve()))
    try:
        yield
    finally:
        _CHECKED.reset(token)


def model_hash(root: str | os.PathLike) -> str:
    """The model's identity: the sha256 of its ``manifest.json`` (which holds every file's sha256), so two
    directories with the same hash hold the same files. For a directory saved before manifests existed, the
    hash of the manifest it would have (its files hashed now)."""
    root = Path(root)
    path = root / MANIFEST_FILE
    if path.is_file() and not path.is_symlink():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not root.is_dir():
        raise ModelError(f"{root}: not a koclassify model directory")
    manifest = build_manifest(root)
    manifest.pop("koclassify_version")  # the same old files give the same hash whichever version computes it
    return hashlib.sha256(_serialise(manifest)).hexdigest()
