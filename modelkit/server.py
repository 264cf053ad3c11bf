"""Starting and stopping an ``ollama serve`` process.

``LocalServer`` is used two ways:

* by the tests (and ``bench/``): an isolated server on a free loopback port with its own
  ``HOME`` and ``OLLAMA_MODELS``, stopped afterwards;
* by ``modelkit server start``: a detached server on the default host for the README's main
  job, remembered in a state file so that ``modelkit server stop`` can stop it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from modelkit import atomicio, paths
from modelkit.errors import ModelkitError, OllamaNotInstalled, ServerUnreachable
from modelkit.hosts import normalize_host

LISTENING = re.compile(r"Listening on (\S+):(\d+) \(version ([^)]*)\)")


@dataclass
class LocalServer:
    """An ``ollama serve`` child process. ``port=0`` lets the server pick a free port."""

    host: str = "127.0.0.1"
    port: int = 0
    models_dir: Path | None = None
    home: Path | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    binary: str | None = None
    detach: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    version: str | None = field(default=None, init=False)
    _log_offset: int = field(default=0, init=False, repr=False)

    @property
    def url(self) -> str:
        return normalize_host(f"{self.host}:{self.port}")

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["OLLAMA_HOST"] = f"{self.host}:{self.port}"
        if self.models_dir is not None:
            env["OLLAMA_MODELS"] = str(self.models_dir)
        if self.home is not None:
            env["HOME"] = str(self.home)
        env.update(self.env)
        return env

    def start(self, timeout: float = 60.0) -> LocalServer:
        binary = self.binary or paths.ollama_binary()
        if not binary:
            raise OllamaNotInstalled()
        for d in (self.models_dir, self.home):
            if d is not None:
                Path(d).mkdir(parents=True, exist_ok=True)
        if self.log_path is None:
            self.log_path = paths.state_dir() / f"ollama-{os.getpid()}-{time.time_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()  # a reused log: only what this process writes counts
            self.process = subprocess.Popen(
                [binary, "serve"],
                env=self.child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.detach else _die_with_parent,
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from modelkit.ollama_api import Ollama

        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ModelkitError(
                    f"ollama serve exited with code {self.process.returncode}: {self.log_tail(3)}",
                    hint=f"full log: {self.log_path}",
                )
            if self.port == 0:
                m = LISTENING.search(self.log_text())
                if m:
                    self.port = int(m.group(2))
            if self.port:
                try:
                    with Ollama(self.url, timeout=2.0) as api:
                        self.version = api.version()
                    return
                except ModelkitError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise ServerUnreachable(self.url, f"ollama serve did not answer within {timeout:.0f}s",
                                hint=f"see its log: {self.log_path}")

    def log_text(self) -> str:
        """What this server process wrote to its log (not earlier runs appended to the same file)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        _terminate(self.process.pid, timeout)
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started us dies (Linux),
    so a killed test run or benchmark does not leave servers behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM the process group, then SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1].split()[0] != "Z"
    except OSError:
        return True


# -- the detached server of `modelkit server start` ------------------------------------------


def _state_file(url: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9]+", "_", url.split("://", 1)[-1]).strip("_")
    return paths.state_dir() / f"server-{safe}.json"


@dataclass
class ManagedServer:
    url: str
    pid: int
    log_path: str
    version: str | None = None
    started: bool = True  # False: a server was already answering, nothing was started


def start_managed(url: str, timeout: float = 60.0) -> ManagedServer:
    """Start ``ollama serve`` detached on ``url`` unless a server already answers there."""
    from modelkit.ollama_api import Ollama

    try:
        with Ollama(url, timeout=3.0) as api:
            return ManagedServer(url=url, pid=0, log_path="", version=api.version(), started=False)
    except ServerUnreachable:
        pass
    from urllib.parse import urlsplit

    split = urlsplit(url)
    server = LocalServer(host=split.hostname or "127.0.0.1", port=split.port or 11434,
                         log_path=paths.state_dir() / "ollama-serve.log", detach=True)
    server.start(timeout)
    assert server.process is not None
    info = ManagedServer(url=server.url, pid=server.process.pid, log_path=str(server.log_path), version=server.version)
    atomicio.write_json(_state_file(server.url), info.__dict__)
    return info


def stop_managed(url: str) -> ManagedServer | None:
    """Stop the server ``modelkit server start`` started on ``url``; None if there is none."""
    state = _state_file(url)
    if not state.exists():
        return None
    info = ManagedServer(**json.loads(state.read_text()))
    if _alive(info.pid):
        _terminate(info.pid, 15.0)
    state.unlink(missing_ok=True)
    return info
