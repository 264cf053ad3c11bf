"""SHA-256 digests of weight files, cached by (path, size, mtime_ns, inode).

Hashing a multi-gigabyte GGUF takes seconds to minutes; an incremental build must not do it
again when the file did not change. ``DigestCache`` keeps ``{realpath: {size, mtime_ns, ino,
digest}}`` in ``<cache>/digests.json`` (written atomically, merged with what other processes
wrote meanwhile). A file is re-hashed only when any of the four keys changed.

``DigestCache.stats`` counts what was hashed and what came from the cache, so callers (and
tests) can prove that a no-op build hashed nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from modelkit import atomicio, paths

CHUNK = 4 * 1024 * 1024
CACHE_VERSION = 1


@dataclass
class DigestStats:
    hashed_files: int = 0
    hashed_bytes: int = 0
    cache_hits: int = 0


def sha256_file(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file's bytes (no cache)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _key(st: os.stat_result) -> dict[str, int]:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


class DigestCache:
    """Digests of files, remembered across runs. Thread-safe; call ``save()`` to persist."""

    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else paths.cache_dir() / "digests.json"
        self.stats = DigestStats()
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, object]] = self._read()
        self._dirty: dict[str, dict[str, object]] = {}

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("files")
        return entries if isinstance(entries, dict) else {}

    def lookup(self, path: str | os.PathLike[str]) -> str | None:
        """The cached digest if the file is unchanged since it was hashed, else None (never hashes)."""
        real = os.path.realpath(path)
        st = os.stat(real)
        with self._lock:
            entry = self._entries.get(real)
        if entry and all(entry.get(k) == v for k, v in _key(st).items()):
            digest = entry.get("digest")
            return digest if isinstance(digest, str) else None
        return None

    def digest(self, path: str | os.PathLike[str]) -> str:
        """``sha256:<hex>`` of ``path``: from the cache when size, mtime and inode match, else hashed."""
        real = os.path.realpath(path)
        st = os.stat(real)
        key = _key(st)
        with self._lock:
            entry = self._entries.get(real)
            if entry and all(entry.get(k) == v for k, v in key.items()) and isinstance(entry.get("digest"), str):
                self.stats.cache_hits += 1
                return str(entry["digest"])
        digest = sha256_file(real)
        after = os.stat(real)
        with self._lock:
            self.stats.hashed_files += 1
            self.stats.hashed_bytes += st.st_size
            if _key(after) == key:  # changed while we read it: do not remember a torn digest
                self._entries[real] = self._dirty[real] = {**key, "digest": digest}
        return digest

    def save(self) -> None:
        """Merge this process's new digests into the cache file (atomically, under a file lock)."""
        with self._lock:
            if not self._dirty:
                return
            dirty = dict(self._dirty)
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            current = self._read()
            current.update(dirty)
            # forget files that no longer exist, so the cache does not grow without bound
            current = {p: e for p, e in current.items() if os.path.exists(p)}
            atomicio.write_json(self.path, {"version": CACHE_VERSION, "files": dict(sorted(current.items()))})
        with self._lock:
            for p in dirty:
                self._dirty.pop(p, None)
