"""Pulling models from Ollama registries through the server's ``/api/pull``.

The server does the transfer; we follow its progress stream, turn it into ``Progress`` /
``Status`` events, and turn its error strings into one-line ``ModelkitError``s that say
what to do. Interrupted pulls continue where they stopped because the server keeps partial
blobs (``sha256-…-partial`` plus per-part offsets) and re-requests only the missing byte
ranges. The server does not say that it is resuming, so modelkit remembers each unfinished
pull in a small state file (``<state>/pulls/``) and says so when the same pull is run again.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from modelkit import atomicio, paths
from modelkit.errors import ModelkitError, ServerError, UsageError
from modelkit.names import DEFAULT_HOST, ModelName, parse_name, with_tag
from modelkit.progress import Progress, ProgressCallback, Status, ignore

if TYPE_CHECKING:
    from modelkit.ollama_api import Ollama

DEFAULT_REGISTRY = DEFAULT_HOST
HF_HOSTS = ("hf.co", "huggingface.co")
_STEP = 0.10  # remember progress (and print plain lines) every 10 %


class LayerResult(BaseModel):
    digest: str
    size: int
    #: bytes an earlier, interrupted pull of this model had already fetched (modelkit's record)
    resumed_from: int | None = None


class PullResult(BaseModel):
    name: str
    host: str
    registry: str
    digest: str | None = None
    size: int | None = None
    layers: list[LayerResult]
    resumed: bool = False
    seconds: float


# -- resume records ------------------------------------------------------------------------


def _record_path(host: str, name: str) -> Path:
    key = hashlib.sha256(f"{host}\n{name}".encode()).hexdigest()[:24]
    return paths.state_dir() / "pulls" / f"{key}.json"


def unfinished_pull(host: str, name: str) -> dict | None:
    """modelkit's record of an earlier pull of ``name`` into ``host`` that did not finish."""
    path = _record_path(host, name)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("name") == name and record.get("host") == host else None


class _Recorder:
    def __init__(self, host: str, name: str):
        self.path = _record_path(host, name)
        self.record = {"name": name, "host": host, "started": datetime.now(timezone.utc).isoformat(), "layers": {}}

    def update(self, digest: str, total: int, completed: int) -> None:
        self.record["layers"][digest] = {"total": total, "completed": completed}
        atomicio.write_json(self.path, self.record)

    def done(self) -> None:
        self.path.unlink(missing_ok=True)


# -- the pull ------------------------------------------------------------------------------


def pull(api: Ollama, name: str, *, insecure: bool = False, on_progress: ProgressCallback = ignore) -> PullResult:
    """Pull ``name`` into the server behind ``api``; progress goes to ``on_progress``."""
    parsed = parse_name(name)
    earlier = unfinished_pull(api.host, name)
    earlier_layers: dict[str, dict] = (earlier or {}).get("layers", {})
    if earlier:
        on_progress(Status(f"resuming an interrupted pull of {name} (started {_ago(earlier.get('started'))}): "
                           "the server continues from the data it kept"))
    recorder = _Recorder(api.host, name)
    layers: dict[str, LayerResult] = {}
    steps: dict[str, int] = {}
    start = time.monotonic()
    last_status = None
    try:
        for p in api.pull(name, insecure=insecure):
            status = p.status or ""
            if p.digest:
                total, completed = int(p.total or 0), int(p.completed or 0)
                digest = p.digest
                note = None
                if digest not in layers:
                    before = earlier_layers.get(digest, {}).get("completed")
                    layers[digest] = LayerResult(digest=digest, size=total, resumed_from=before or None)
                    if before and total and before >= total:
                        note = "already there from the earlier pull"
                    elif before:
                        note = f"resuming: the earlier pull got to {_pct(before, total)}"
                layers[digest].size = total
                step = int((completed / total) / _STEP) if total else 0
                if steps.get(digest) != step:
                    steps[digest] = step
                    recorder.update(digest, total, completed)
                on_progress(Progress(key=digest, label=status or f"pulling {digest[7:19]}", completed=completed,
                                     total=total or None, note=note))
            elif status and status != last_status:
                on_progress(Status(status))
            last_status = status
    except ServerError as e:
        raise _explain(e, api.host, name, parsed, insecure) from None
    recorder.done()
    digest = size = None
    for entry in _safe_list(api):
        if entry.model == name or entry.model == with_tag(name):
            digest, size = (entry.digest or None), int(entry.size or 0)
    return PullResult(name=name, host=api.host, registry=parsed.host, digest=digest, size=size,
                      layers=list(layers.values()), resumed=bool(earlier),
                      seconds=round(time.monotonic() - start, 3))


def _safe_list(api: Ollama) -> list:
    try:
        return api.list()
    except ModelkitError:
        return []


def _ago(iso: str | None) -> str:
    from modelkit.humanize import ago

    try:
        return ago(datetime.fromisoformat(iso)) if iso else "earlier"
    except ValueError:
        return "earlier"


def _pct(done: int, total: int) -> str:
    return f"{done / total:.0%}" if total else f"{done} bytes"


# -- errors --------------------------------------------------------------------------------

_GET = re.compile(r'^pull model manifest: (?:GET|HEAD|Get|Head) "[^"]*": ')
_DIAL = re.compile(r"dial tcp(?: \S+)?: (?:lookup (\S+?)(?: on \S+)?: )?(?:connect: )?(.*)$")


def _explain(e: ServerError, host: str, name: str, parsed: ModelName, insecure: bool) -> ModelkitError:
    """The server's pull error as one line that says what went wrong and what to try."""
    text = _GET.sub("", e.message.removeprefix(f"{host}: "))
    registry = parsed.host
    if text == "invalid model name" or (e.status_code == 400 and "invalid" in text):
        return UsageError(f"invalid model name '{name}'",
                          hint="names are [host/namespace/]name[:tag]; a name with a registry host needs all three "
                               "parts, e.g. localhost:5000/library/name:tag")
    if "server gave HTTP response to HTTPS client" in text or "does not look like a TLS handshake" in text:
        return ModelkitError(f"registry {registry} speaks plain http, not https ({text})",
                             hint="pass --insecure to pull from an http registry")
    if "no Location header in response" in text:
        return ModelkitError(
            f"registry {registry} answered a blob request without a redirect, which Ollama 0.11.4 requires "
            "(a plain Docker registry does this)",
            hint="put a proxy in front of it that adds `Location: <same URL>` to 200 blob answers, or use a "
                 "registry that redirects blob downloads")
    m = _DIAL.search(text)
    if m or "connection refused" in text or "no such host" in text or "i/o timeout" in text:
        reason = m.group(2) if m else text
        if m and m.group(1):
            reason = f"cannot resolve {m.group(1)} ({reason})"
        hint = "check the registry address and that the server can reach it: the server pulls, not modelkit"
        if not insecure and registry not in (DEFAULT_REGISTRY, *HF_HOSTS):
            hint += "; pass --insecure for a plain-http registry"
        return ModelkitError(f"the server at {host} cannot reach registry {registry}: {reason}", hint=hint)
    if "file does not exist" in text or "manifest unknown" in text or "not found" in text.lower():
        return ModelkitError(f"'{name}' was not found in the registry {registry}",
                             hint="check the spelling and the tag; `modelkit list` shows what the server already has")
    if "tls" in text.lower() or "x509" in text:
        return ModelkitError(f"TLS error talking to registry {registry}: {text}",
                             hint="pass --insecure for a plain-http registry, or fix the server's CA certificates")
    if "unauthorized" in text.lower() or "401" in text:
        return ModelkitError(f"registry {registry} refused the pull: {text}",
                             hint="the model may be private; the server's key must be allowed to read it")
    return ModelkitError(f"pull of '{name}' failed: {text}",
                         hint="run the same command again to continue; the server keeps partial downloads")
