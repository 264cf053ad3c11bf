"""``modelkit.lock``: what each target was last built from, where, and into what.

One JSON document at the project root, keys sorted and one field per line so that a
rebuild shows up as a small, readable diff in git::

    {
      "version": 1,
      "targets": {
        "report-en": {
          "http://127.0.0.1:11434": {
            "built_at": "2025-01-01T12:00:00Z",
            "inputs": {"FROM": "sha256:…", "ADAPTER adapters/demo": "sha256:…"},
            "inputs_hash": "sha256:…",
            "model": "report-en:latest",
            "model_digest": "…64 hex…",
            "modelfile_sha256": "sha256:…",
            "modelkit_version": "0.1.0"
          }
        }
      }
    }

A target can be built on several servers (a laptop and CI), hence one record per server.
The file is written atomically after every successful target, so an interrupted build
leaves a lock that parses and records exactly the targets that finished.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelkit import atomicio
from modelkit.errors import UsageError

LOCK_NAME = "modelkit.lock"
LOCK_VERSION = 1


@dataclass
class BuildRecord:
    """One successful build of one target on one server."""

    model: str
    model_digest: str
    modelfile_sha256: str
    inputs_hash: str
    inputs: dict[str, str] = field(default_factory=dict)
    built_at: str = ""
    modelkit_version: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class LockFile:
    """The lock file of one project; thread-safe record/save (``-j N`` workers share it)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.targets: dict[str, dict[str, BuildRecord]] = {}

    @classmethod
    def load(cls, project_dir: Path) -> LockFile:
        lock = cls(project_dir / LOCK_NAME)
        if not lock.path.exists():
            return lock
        try:
            data = json.loads(lock.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("version")
            if version != LOCK_VERSION:
                raise ValueError(f"unsupported version {version!r}")
            for target, servers in (data.get("targets") or {}).items():
                lock.targets[target] = {srv: BuildRecord.from_json(rec) for srv, rec in servers.items()}
        except (ValueError, TypeError, AttributeError) as e:
            raise UsageError(
                f"{lock.path}: cannot read the lock file: {e}",
                hint="fix it, or delete it (the next build then rebuilds every target)",
            ) from None
        return lock

    def get(self, target: str, server: str) -> BuildRecord | None:
        with self._lock:
            return self.targets.get(target, {}).get(server)

    def record(self, target: str, server: str, rec: BuildRecord) -> None:
        """Remember ``rec`` and write the file now (atomically)."""
        with self._lock:
            self.targets.setdefault(target, {})[server] = rec
            self._write()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "targets": {
                t: {srv: asdict(rec) for srv, rec in sorted(servers.items())}
                for t, servers in sorted(self.targets.items())
            },
        }

    def _write(self) -> None:
        text = json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        atomicio.write_text(self.path, text)
