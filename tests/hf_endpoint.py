"""A Hugging Face Hub endpoint on loopback (test-only), for ``HF_ENDPOINT``.

It serves real files with the repository layout and the headers that ``huggingface_hub``'s
``hf_hub_download`` / ``snapshot_download`` / ``list_repo_files`` rely on:

* ``GET /api/models/{repo}/revision/{rev}`` — model info with ``sha`` (the commit) and siblings;
* ``GET /api/models/{repo}/tree/{rev}[/{path}]`` — the file listing (``oid``, ``size``, ``lfs``);
* ``HEAD|GET /{repo}/resolve/{rev}/{path}`` — ``X-Repo-Commit``, ``ETag`` (git blob sha1, or the
  sha256 for LFS files, which also get ``X-Linked-Etag`` / ``X-Linked-Size``), ``Content-Length``,
  ``Accept-Ranges``; a ``Range`` GET answers 206;
* errors as the Hub gives them: ``X-Error-Code`` ``RepoNotFound`` / ``RevisionNotFound`` /
  ``EntryNotFound`` (with ``X-Repo-Commit``).

Every request is recorded with the body bytes sent, so tests can prove what was (not) downloaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_MIN = 1024 * 1024
_LFS_SUFFIXES = (".gguf", ".safetensors", ".bin")
CHUNK = 1024 * 1024


@dataclass
class RepoFile:
    path: str
    source: Path | bytes
    _digests: dict[str, str] = field(default_factory=dict, repr=False)

    def data(self) -> bytes:
        return self.source if isinstance(self.source, bytes) else self.source.read_bytes()

    @property
    def size(self) -> int:
        return len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size

    @property
    def lfs(self) -> bool:
        return self.size >= LFS_MIN or self.path.endswith(_LFS_SUFFIXES)

    def sha256(self) -> str:
        if "sha256" not in self._digests:
            h = hashlib.sha256()
            self._feed(h)
            self._digests["sha256"] = h.hexdigest()
        return self._digests["sha256"]

    def git_oid(self) -> str:
        if "git" not in self._digests:
            h = hashlib.sha1(f"blob {self.size}\0".encode())
            self._feed(h)
            self._digests["git"] = h.hexdigest()
        return self._digests["git"]

    def _feed(self, h: "hashlib._Hash") -> None:
        if isinstance(self.source, bytes):
            h.update(self.source)
            return
        with open(self.source, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)

    def etag(self) -> str:
        return self.sha256() if self.lfs else self.git_oid()


@dataclass
class Revision:
    files: dict[str, RepoFile]
    commit: str = ""

    def __post_init__(self) -> None:
        if not self.commit:
            h = hashlib.sha1()
            for path in sorted(self.files):
                h.update(f"{path}\0{self.files[path].etag()}\n".encode())
            self.commit = h.hexdigest()


@dataclass
class Served:
    method: str
    path: str
    status: int
    bytes: int = 0
    range: str | None = None


@dataclass
class FakeHub:
    """Repositories by id; each has named revisions (branches/tags) of files."""

    repos: dict[str, dict[str, Revision]] = field(default_factory=dict)
    served: list[Served] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_repo(self, repo_id: str, files: dict[str, Path | bytes], revision: str = "main") -> Revision:
        rev = Revision({p: RepoFile(p, src) for p, src in files.items()})
        self.repos.setdefault(repo_id, {})[revision] = rev
        return rev

    def find(self, repo_id: str, rev: str) -> Revision | None:
        revs = self.repos.get(repo_id, {})
        if rev in revs:
            return revs[rev]
        return next((r for r in revs.values() if r.commit == rev), None)

    def downloads(self, suffix: str = "") -> list[Served]:
        with self.lock:
            return [s for s in self.served if s.method == "GET" and "/resolve/" in s.path and s.path.endswith(suffix)]

    def reset(self) -> None:
        with self.lock:
            self.served.clear()


_INFO = re.compile(r"^/api/models/([^/]+/[^/]+)/revision/([^/]+)$")
_TREE = re.compile(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?$")
_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


class HubServer:
    def __init__(self, hub: FakeHub):
        self.hub = hub
        hub_ = hub

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._route()

            def do_GET(self) -> None:
                self._route()

            def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = 0
                if self.command != "HEAD" and body:
                    self.wfile.write(body)
                    sent = len(body)
                self._record(status, sent)

            def _record(self, status: int, sent: int) -> None:
                with hub_.lock:
                    hub_.served.append(Served(self.command, self.path, status, sent, self.headers.get("Range")))

            def _json(self, obj: object, headers: dict[str, str] | None = None) -> None:
                self._send(200, {"Content-Type": "application/json", **(headers or {})}, json.dumps(obj).encode())

            def _error(self, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> None:
                body = json.dumps({"error": message}).encode()
                self._send(status, {"Content-Type": "application/json", "X-Error-Code": code,
                                    "X-Error-Message": message, **(extra or {})}, body)

            def _route(self) -> None:
                path = urlsplit(self.path).path
                if m := _INFO.match(path):
                    return self._info(m.group(1), unquote(m.group(2)))
                if m := _TREE.match(path):
                    return self._tree(m.group(1), unquote(m.group(2)), unquote(m.group(3) or ""))
                if m := _RESOLVE.match(path):
                    return self._resolve(m.group(1), unquote(m.group(2)), unquote(m.group(3)))
                self._error(404, "NotFound", f"no route for {path}")

            def _revision(self, repo_id: str, rev: str) -> Revision | None:
                if repo_id not in hub_.repos:
                    self._error(401, "RepoNotFound", "Repository not found")
                    return None
                found = hub_.find(repo_id, rev)
                if found is None:
                    self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
                return found

            def _info(self, repo_id: str, rev: str) -> None:
                r = self._revision(repo_id, rev)
                if r is None:
                    return
                self._json({"id": repo_id, "modelId": repo_id, "sha": r.commit, "private": False,
                            "siblings": [{"rfilename": p} for p in sorted(r.files)], "tags": []})

            def _tree(self, repo_id: str, rev: str, under: str) -> None:
                r = self._revision(repo_id, rev)
                if r is None:
                    return
                entries = []
                for p in sorted(r.files):
                    if under and not p.startswith(under.rstrip("/") + "/"):
                        continue
                    f = r.files[p]
                    entry: dict[str, object] = {"type": "file", "path": p, "size": f.size, "oid": f.git_oid()}
                    if f.lfs:
                        entry["lfs"] = {"oid": f.sha256(), "size": f.size, "pointerSize": 134}
                    entries.append(entry)
                self._json(entries)

            def _resolve(self, repo_id: str, rev: str, file: str) -> None:
                r = self._revision(repo_id, rev)
                if r is None:
                    return
                f = r.files.get(file)
                if f is None:
                    return self._error(404, "EntryNotFound", f"{file} does not exist on {rev}",
                                       {"X-Repo-Commit": r.commit})
                etag = f.etag()
                headers = {"X-Repo-Commit": r.commit, "ETag": f'"{etag}"', "Accept-Ranges": "bytes",
                           "Content-Type": "application/octet-stream"}
                if f.lfs:
                    headers.update({"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(f.size)})
                start, end, status = 0, f.size - 1, 200
                rng = self.headers.get("Range")
                if rng and (m := re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), f.size - 1) if m.group(2) else f.size - 1
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
                length = max(0, end - start + 1)
                headers["Content-Length"] = str(length)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                sent = 0
                if self.command == "GET":
                    try:
                        sent = self._stream(f, start, length)
                    except (BrokenPipeError, ConnectionResetError):
                        self.close_connection = True
                self._record(status, sent)

            def _stream(self, f: RepoFile, start: int, length: int) -> int:
                if isinstance(f.source, bytes):
                    self.wfile.write(f.source[start:start + length])
                    return length
                sent = 0
                with open(f.source, "rb") as src:
                    src.seek(start)
                    while sent < length and (chunk := src.read(min(CHUNK, length - sent))):
                        self.wfile.write(chunk)
                        sent += len(chunk)
                return sent

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-hub", daemon=True)

    def start(self) -> HubServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
