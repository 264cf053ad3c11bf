"""Test-only registry parts on loopback: Debian's ``docker-registry`` and a blob proxy.

``LocalRegistry`` runs ``/usr/bin/docker-registry serve`` with a config file in a temp dir on a free
loopback port (filesystem storage, no auth): Ollama can push to it with ``insecure``.

Pulling from it needs help at Ollama v0.11.4 (ollama-facts.md): the server's blob download first
GETs the blob expecting a redirect and calls ``resp.Location()`` on the answer; a plain registry
answers 200 without a ``Location`` header and the pull fails with ``http: no Location header in
response``. ``BlobProxy`` forwards to the registry and adds ``Location: <same URL>`` to 200 blob
answers. It also counts the body bytes it sent per blob, can throttle a blob and can stall one —
which is how the tests interrupt a pull mid-transfer and prove that a re-run does not download
finished layers (or finished parts of a layer) again.
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from modelkit.server import _die_with_parent

BLOB_PATH = re.compile(r"^/v2/.+/blobs/(sha256:[0-9a-f]{64})$")
CHUNK = 64 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}: {log.read_text()[-2000:] if log else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class LocalRegistry:
    """``docker-registry serve`` on a free loopback port, storage and config under ``base``."""

    base: Path
    binary: str = "/usr/bin/docker-registry"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalRegistry:
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = self.base / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: warn\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.base / 'storage'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
        )
        log = self.base / "registry.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen([self.binary, "serve", str(config)], stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        _wait_port(self.port, 30, self.process, log)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class Request:
    run: int  #: ProxyState.run when the request arrived
    method: str
    path: str
    range: str | None
    digest: str | None
    status: int = 0
    sent: int = 0  #: body bytes written to the client
    stalled: bool = False


@dataclass
class ProxyState:
    run: int = 0
    add_location: bool = True
    #: bytes per second for every blob body (0 = as fast as possible)
    throttle: dict[str, float] = field(default_factory=dict)
    #: blobs whose GET is held (no answer) until released
    stall: set[str] = field(default_factory=set)
    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def next_run(self) -> int:
        """Tag the requests from now on with a new run number (returned)."""
        with self.lock:
            self.run += 1
            return self.run

    def gets(self, digest: str, run: int | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests
                    if r.digest == digest and r.method == "GET" and (run is None or r.run == run)]

    def sent_in(self, digest: str, run: int) -> int:
        return sum(r.sent for r in self.gets(digest, run))


class BlobProxy:
    """A reverse proxy in front of ``LocalRegistry`` (a thread of the test process)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.state = ProxyState()
        state, upstream = self.state, upstream_port

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                m = BLOB_PATH.match(self.path.split("?", 1)[0])
                digest = m.group(1) if m else None
                record = Request(state.run, self.command, self.path, self.headers.get("Range"), digest)
                with state.lock:
                    state.requests.append(record)
                if digest and digest in state.stall and self.command == "GET":
                    record.stalled = True  # hold the request: the client sees a transfer that hangs
                    while digest in state.stall and not state.released.wait(0.05):
                        pass
                conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, headers=headers)
                resp = conn.getresponse()
                out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in ("connection", "transfer-encoding")]
                if digest and resp.status == 200 and state.add_location:
                    host = self.headers.get("Host", f"127.0.0.1:{upstream}")
                    out_headers.append(("Location", f"http://{host}{self.path}"))
                record.status = resp.status
                self.send_response(resp.status)
                length = resp.getheader("Content-Length")
                for k, v in out_headers:
                    self.send_header(k, v)
                if length is None and self.command != "HEAD":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    conn.close()
                    return
                rate = state.throttle.get(digest or "", 0.0)
                try:
                    while chunk := resp.read(CHUNK):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        with state.lock:
                            record.sent += len(chunk)
                            if digest:
                                state.sent[digest] += len(chunk)
                        if rate:
                            time.sleep(len(chunk) / rate)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    conn.close()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="blob-proxy", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> BlobProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.state.released.set()
        self.server.shutdown()
        self.server.server_close()
