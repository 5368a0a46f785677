"""The vector cache: hits and misses, persistence, and every way the disk can fail without failing the run."""

from __future__ import annotations

import logging
import os
import sqlite3

import numpy as np
import pytest

from koclassify.embed import EmbedCache, default_cache_dir, text_key

DIM = 4


def vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def test_hit_miss_and_persistence(tmp_path) -> None:
    path = tmp_path / "c" / "m.sqlite3"
    cache = EmbedCache(path, DIM)
    assert cache.on_disk
    cache.put_many({"a": vec(0), "b": vec(1)})
    found = cache.get_many(["a", "b", "missing"])
    assert set(found) == {"a", "b"}
    np.testing.assert_array_equal(found["a"], vec(0))
    cache.close()
    again = EmbedCache(path, DIM).get_many(["b"])  # a new process reads what the first one wrote
    np.testing.assert_array_equal(again["b"], vec(1))


def test_corrupted_file_is_replaced(tmp_path, caplog) -> None:
    path = tmp_path / "m.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
        cache = EmbedCache(path, DIM)
    assert "corrupted" in caplog.text
    assert cache.get_many(["a"]) == {}
    cache.put_many({"a": vec(0)})
    cache.close()
    np.testing.assert_array_equal(EmbedCache(path, DIM).get_many(["a"])["a"], vec(0))


def test_damaged_rows_are_misses(tmp_path) -> None:
    path = tmp_path / "m.sqlite3"
    cache = EmbedCache(path, DIM)
    cache.put_many({"flipped": vec(0), "short": vec(1), "ok": vec(2)})
    cache.close()
    with sqlite3.connect(path) as conn:
        blob = bytearray(vec(0).tobytes())
        blob[0] ^= 0xFF
        conn.execute("UPDATE vectors SET vec = ? WHERE key = 'flipped'", (bytes(blob),))  # crc no longer matches
        conn.execute("UPDATE vectors SET vec = x'00' WHERE key = 'short'")
    assert set(EmbedCache(path, DIM).get_many(["flipped", "short", "ok"])) == {"ok"}


def test_wrong_dimension_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="dimensions"):
        EmbedCache(None, DIM).put_many({"a": np.zeros(DIM + 1, np.float32)})


def test_uncreatable_directory_falls_back_to_memory(tmp_path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
        cache = EmbedCache(blocker / "sub" / "m.sqlite3", DIM)
    assert not cache.on_disk and "cannot create" in caplog.text
    cache.put_many({"a": vec(0)})
    np.testing.assert_array_equal(cache.get_many(["a"])["a"], vec(0))


def test_locked_database_keeps_new_vectors_in_memory(tmp_path, caplog) -> None:
    path = tmp_path / "m.sqlite3"
    cache = EmbedCache(path, DIM, timeout=0.05)
    cache.put_many({"old": vec(0)})
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
            cache.put_many({"new": vec(1)})
        assert "not writable" in caplog.text
        np.testing.assert_array_equal(cache.get_many(["new"])["new"], vec(1))
    finally:
        other.rollback()
        other.close()
    found = cache.get_many(["old", "new"])  # the disk is still read once the lock is gone
    assert set(found) == {"old", "new"}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path) -> None:
    directory = tmp_path / "ro"
    cache = EmbedCache(directory / "m.sqlite3", DIM)
    cache.put_many({"a": vec(0)})
    cache.close()
    directory.chmod(0o500)
    (directory / "m.sqlite3").chmod(0o400)
    try:
        cache = EmbedCache(directory / "m.sqlite3", DIM)
        cache.put_many({"b": vec(1)})
        found = cache.get_many(["a", "b"])
    finally:
        directory.chmod(0o700)
        (directory / "m.sqlite3").chmod(0o600)
    assert set(found) == {"a", "b"}


def test_text_key_and_default_directory(monkeypatch, tmp_path) -> None:
    assert text_key("좋아요") == text_key("좋아요") != text_key("좋아요 ")
    monkeypatch.setenv("KOCLASSIFY_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "embed"
    monkeypatch.delenv("KOCLASSIFY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "koclassify" / "embed"


def test_read_only_database_keeps_new_vectors_in_memory(tmp_path, caplog) -> None:
    """What a read-only file gives (as root too, where permissions are not enforced): sqlite refuses writes."""
    path = tmp_path / "m.sqlite3"
    cache = EmbedCache(path, DIM)
    cache.put_many({"old": vec(0)})
    cache._disk.close()
    cache._disk = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    with caplog.at_level(logging.WARNING, logger="koclassify.embed"):
        cache.put_many({"new": vec(1)})
    assert "not writable" in caplog.text
    found = cache.get_many(["old", "new"])
    assert set(found) == {"old", "new"}  # the old vector from disk, the new one from memory
    np.testing.assert_array_equal(found["new"], vec(1))
    cache.close()
    assert set(EmbedCache(path, DIM).get_many(["old", "new"])) == {"old"}  # nothing was written to the file
