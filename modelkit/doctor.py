"""``modelkit doctor``: is the server reachable, which version, where models live, what the
machine has — and, for anything missing, how to fix it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from modelkit import paths
from modelkit.errors import ServerUnreachable
from modelkit.hosts import is_loopback, port_of, resolve_host
from modelkit.sysinfo import MachineInfo, machine_info

PINNED_VERSION = (0, 11, 4)


class Check(BaseModel):
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str
    fix: str | None = None


class DoctorReport(BaseModel):
    host: str
    reachable: bool
    server_version: str | None
    models_dir: str | None
    ollama_binary: str | None
    ollama_binary_version: str | None
    model_count: int | None
    running_count: int | None
    machine: MachineInfo
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def parse_version(text: str | None) -> tuple[int, ...] | None:
    import re

    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in m.groups()) if m else None


def binary_version(binary: str) -> str | None:
    """``ollama -v`` prints the client version even when no server answers."""
    try:
        out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10,
                             env={**os.environ, "OLLAMA_HOST": "127.0.0.1:9"})
    except (OSError, subprocess.SubprocessError):
        return None
    v = parse_version(out.stdout + out.stderr)
    return ".".join(map(str, v)) if v else None


def server_models_dir(url: str) -> str | None:
    """Where a local server keeps its models: read from the environment of the process
    listening on the port (``OLLAMA_MODELS``, else ``$HOME/.ollama/models``)."""
    if not is_loopback(url):
        return None
    import psutil

    port = port_of(url)
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for c in conns:
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            try:
                env = psutil.Process(c.pid).environ()
            except (psutil.Error, OSError):
                return None
            if env.get("OLLAMA_MODELS"):
                return env["OLLAMA_MODELS"]
            home = env.get("HOME") or str(Path.home())
            return str(Path(home) / ".ollama" / "models")
    return None


def unreachable_hint(url: str) -> str:
    binary = paths.ollama_binary()
    where = f"--host {url}" if url != resolve_host(None) else ""
    if binary:
        return (f"ollama is installed at {binary}: start it with `modelkit server start {where}`".replace("  ", " ").strip()
                + " or `ollama serve`, or point --host / OLLAMA_HOST at a running server")
    return "install Ollama with scripts/install-ollama.sh, then `modelkit server start`; or point --host / OLLAMA_HOST at a running server"


def diagnose(host: str | None = None) -> DoctorReport:
    """Run every check. Raises ``ServerUnreachable`` (with a fitting hint) when no server answers."""
    from modelkit.ollama_api import Ollama

    url = resolve_host(host)
    binary = paths.ollama_binary()
    try:
        with Ollama(url, timeout=10.0) as api:
            version = api.version()
            model_count = len(api.list())
            running_count = len(api.ps())
    except ServerUnreachable as e:
        raise ServerUnreachable(url, e.message.split(": ", 1)[-1], hint=unreachable_hint(url)) from None

    checks: list[Check] = []
    v = parse_version(version)
    if v is None or v == (0, 0, 0):
        checks.append(Check(name="server version", status="warn", detail=f"{version!r} (built without a version)",
                            fix="rebuild with scripts/install-ollama.sh, which sets the version ldflag"))
    elif v < PINNED_VERSION:
        checks.append(Check(name="server version", status="warn", detail=version,
                            fix="modelkit is tested against Ollama 0.11.4; upgrade the server"))
    else:
        checks.append(Check(name="server version", status="ok", detail=version))

    models_dir = server_models_dir(url)
    if models_dir:
        free = shutil.disk_usage(models_dir if os.path.exists(models_dir) else "/").free
        status = "ok" if free > 2 * 2**30 else "warn"
        checks.append(Check(name="models directory", status=status, detail=f"{models_dir} ({free / 2**30:.1f} GiB free)",
                            fix=None if status == "ok" else "free disk space or move OLLAMA_MODELS"))
    else:
        checks.append(Check(name="models directory", status="ok",
                            detail="not visible from here (remote server or another user's process)"))

    bv = binary_version(binary) if binary else None
    if binary:
        checks.append(Check(name="ollama binary", status="ok", detail=f"{binary} ({bv or 'version unknown'})"))
    else:
        checks.append(Check(name="ollama binary", status="warn" if not is_loopback(url) else "ok",
                            detail="not installed here (only needed to start a local server)",
                            fix="scripts/install-ollama.sh"))

    machine = machine_info()
    if machine.gpus:
        checks.append(Check(name="accelerator", status="ok", detail=", ".join(g.name for g in machine.gpus)))
    else:
        checks.append(Check(name="accelerator", status="ok", detail="no GPU found: CPU inference"))
    if machine.arch == "x86_64" and "avx2" not in machine.simd:
        checks.append(Check(name="cpu features", status="warn", detail="no AVX2: inference will be slow"))

    return DoctorReport(
        host=url, reachable=True, server_version=version, models_dir=models_dir, ollama_binary=binary,
        ollama_binary_version=bv, model_count=model_count, running_count=running_count, machine=machine,
        checks=checks,
    )
