"""An on-disk vector cache (one sqlite file per embedding model) that can never break a run.

Embedding is the slow step (tens of texts per second on a small CPU), and training, calibration by
cross-validation and evaluation see the same texts again and again. Vectors are stored by the SHA-256 of the
exact text, each with a CRC-32 of its bytes. A cache that cannot be created, is read-only, locked, corrupted or
holds a damaged row is never fatal: the affected vectors are recomputed and, when the disk refuses them, kept in
memory for the rest of the process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from koclassify.io import discard

log = logging.getLogger("koclassify.embed")

SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL, crc INTEGER NOT NULL)"
CHUNK = 500  # keys per SELECT (sqlite caps the number of bound parameters)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    """``$KOCLASSIFY_CACHE/embed``, else ``$XDG_CACHE_HOME/koclassify/embed``, else ``~/.cache/koclassify/embed``."""
    if os.environ.get("KOCLASSIFY_CACHE"):
        return Path(os.environ["KOCLASSIFY_CACHE"]) / "embed"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "koclassify" / "embed"


class EmbedCache:
    """Vectors of one model, keyed by text hash. ``path=None`` keeps them in memory only."""

    def __init__(self, path: str | os.PathLike | None, dim: int, *, timeout: float = 10.0) -> None:
        self.path = Path(path) if path is not None else None
        self.dim = dim
        self.timeout = timeout
        self._lock = threading.Lock()
        self._memory = sqlite3.connect(":memory:", check_same_thread=False)
        self._memory.execute(SCHEMA)
        self._disk: sqlite3.Connection | None = self._open_disk() if self.path is not None else None
        self._disk_writable = self._disk is not None

    @property
    def on_disk(self) -> bool:
        return self._disk is not None

    # ------------------------------------------------------------------ opening
    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: fails if not sqlite
            conn.execute(SCHEMA)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_disk(self) -> sqlite3.Connection | None:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                log.warning("embedding cache %s unusable (%s): vectors kept in memory only", self.path, exc)
                return None
            log.warning("embedding cache %s is corrupted (%s): starting a new one", self.path, exc)
            try:
                discard(self.path)
                return self._connect()
            except (OSError, sqlite3.Error) as again:
                log.warning("cannot replace %s (%s): vectors kept in memory only", self.path, again)
                return None
        except OSError as exc:
            log.warning("cannot create the embedding cache %s (%s): vectors kept in memory only", self.path, exc)
            return None

    # ------------------------------------------------------------------ reading
    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors found for ``keys`` (missing, damaged or wrong-sized rows are simply absent)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            self._read(self._memory, keys, found)
            rest = [k for k in keys if k not in found]
            if rest and self._disk is not None:
                try:
                    self._read(self._disk, rest, found)
                except sqlite3.OperationalError as exc:  # locked by another process: recompute, keep the cache
                    log.warning("embedding cache %s not readable now (%s): recomputing", self.path, exc)
                except sqlite3.DatabaseError as exc:
                    log.warning("embedding cache %s unreadable (%s): recomputing", self.path, exc)
                    self._drop_disk()
                    if _is_corruption(exc):
                        self._disk = self._open_disk()  # replaces the damaged file when the disk allows it
                        self._disk_writable = self._disk is not None
        return found

    def _read(self, conn: sqlite3.Connection, keys: Sequence[str], found: dict[str, np.ndarray]) -> None:
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, blob, crc in conn.execute(f"SELECT key, vec, crc FROM vectors WHERE key IN ({marks})", chunk):
                vec = self._decode(blob, crc)
                if vec is not None:
                    found[key] = vec

    def _decode(self, blob: bytes, crc: int) -> np.ndarray | None:
        if not isinstance(blob, bytes) or len(blob) != 4 * self.dim or zlib.crc32(blob) != crc:
            return None
        vec = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return vec if np.isfinite(vec).all() else None

    # ------------------------------------------------------------------ writing
    def put_many(self, items: Mapping[str, np.ndarray] | Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors; on a disk that refuses them (read-only, locked, full), keep them in memory instead."""
        pairs = items.items() if isinstance(items, Mapping) else items
        rows = []
        for key, vec in pairs:
            blob = np.ascontiguousarray(vec, dtype="<f4").tobytes()
            if len(blob) != 4 * self.dim:
                raise ValueError(f"vector for {key[:12]} has {len(blob) // 4} dimensions, the cache holds {self.dim}")
            rows.append((key, blob, zlib.crc32(blob)))
        if not rows:
            return
        with self._lock:
            if self._disk is not None and self._disk_writable:
                try:
                    self._write(self._disk, rows)
                    return
                except sqlite3.Error as exc:
                    log.warning("embedding cache %s not writable (%s): new vectors kept in memory", self.path, exc)
                    self._disk_writable = False
                    try:
                        self._disk.rollback()
                    except sqlite3.Error:
                        self._drop_disk()
            self._write(self._memory, rows)

    @staticmethod
    def _write(conn: sqlite3.Connection, rows: list[tuple[str, bytes, int]]) -> None:
        with conn:
            conn.executemany("INSERT OR REPLACE INTO vectors (key, vec, crc) VALUES (?, ?, ?)", rows)

    def _drop_disk(self) -> None:
        if self._disk is not None:
            try:
                self._disk.close()
            except sqlite3.Error:
                pass
        self._disk, self._disk_writable = None, False

    def close(self) -> None:
        with self._lock:
            self._drop_disk()
            self._memory.close()


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """'file is not a database' / 'malformed': the file is damaged, as opposed to unreachable or locked."""
    if isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text
