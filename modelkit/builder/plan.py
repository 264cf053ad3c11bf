"""From a resolved target to the exact ``/api/create`` request, and whether it must be sent.

``BuildSpec`` is what the builder needs from a target (its rendered Modelfile, the FROM and
ADAPTER values, the other create fields, ``quantize``). ``prepare()`` resolves the sources,
takes the digests of their files (from the digest cache when unchanged) and produces the
request and its hash. ``decide()`` compares that with the lock file and the server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelkit.builder.sources import Source, resolve_source
from modelkit.digests import DigestCache
from modelkit.lockfile import BuildRecord


@dataclass
class BuildSpec:
    """One target, as the builder sees it."""

    id: str
    name: str  #: the Ollama model name to create
    modelfile_text: str  #: rendered (what ``modelkit render`` prints)
    base_dir: Path  #: relative FROM/ADAPTER paths resolve against it
    from_: str
    adapters: list[str] = field(default_factory=list)
    #: the other create fields: template, system, parameters, messages, license (omit unset ones)
    fields: dict[str, Any] = field(default_factory=dict)
    quantize: str | None = None


@dataclass
class Blob:
    digest: str
    path: Path
    size: int


@dataclass
class Prepared:
    """A target whose inputs are resolved and digested: the request that would be sent."""

    spec: BuildSpec
    source: Source
    adapters: list[Source]
    request: dict[str, Any]  #: keyword arguments of ``Ollama.create`` (besides the name)
    inputs: dict[str, str]  #: "FROM model.safetensors" → digest, "FROM model" → model digest…
    blobs: list[Blob]
    modelfile_sha256: str
    inputs_hash: str


def sha256_text(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def prepare(spec: BuildSpec, digests: DigestCache, *, model_digest_of: Any = None, hf_download: Any = None) -> Prepared:
    """Resolve and digest the inputs of ``spec``. ``model_digest_of(name)`` gives a FROM model's digest."""
    source = resolve_source(spec.from_, spec.base_dir, hf_download=hf_download)
    adapters = [resolve_source(a, spec.base_dir, adapter=True, hf_download=hf_download) for a in spec.adapters]
    inputs: dict[str, str] = {}
    blobs: dict[str, Blob] = {}

    def digest_files(label: str, src: Source) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, path in src.files.items():
            d = digests.digest(path)
            out[name] = d
            inputs[f"{label} {name}"] = d
            blobs.setdefault(d, Blob(d, path, path.stat().st_size))
        return out

    request: dict[str, Any] = {}
    if source.kind == "model":
        request["from_"] = source.model
        base_digest = model_digest_of(source.model) if model_digest_of else None
        inputs[f"FROM {source.model}"] = base_digest or "missing"
    else:
        request["files"] = digest_files("FROM", source)
    if adapters:
        merged: dict[str, str] = {}
        for i, a in enumerate(adapters):
            label = "ADAPTER" if len(adapters) == 1 else f"ADAPTER#{i + 1}"
            merged.update(digest_files(label, a))
        request["adapters"] = merged
    for key, value in spec.fields.items():
        if value not in (None, "", [], {}):
            request[key] = value
    if spec.quantize:
        request["quantize"] = spec.quantize
    inputs_hash = sha256_text(canonical({"name": spec.name, "request": request, "inputs": inputs}))
    return Prepared(spec=spec, source=source, adapters=adapters, request=request, inputs=dict(sorted(inputs.items())),
                    blobs=list(blobs.values()), modelfile_sha256=sha256_text(spec.modelfile_text),
                    inputs_hash=inputs_hash)


def decide(prep: Prepared, record: BuildRecord | None, server_digest: str | None, *, force: bool) -> tuple[bool, str]:
    """``(build?, reason)`` for a prepared target given its lock record and the model on the server."""
    if force:
        return True, "--force"
    if record is None:
        return True, "never built on this server"
    if server_digest is None:
        return True, f"model {prep.spec.name} is missing on the server"
    changes = _changes(prep, record)
    if changes:
        return True, changes
    if server_digest != record.model_digest:
        return True, f"model on the server changed (digest {server_digest[:12]}, lock has {record.model_digest[:12]})"
    return False, "up to date"


def _changes(prep: Prepared, record: BuildRecord) -> str:
    if record.inputs_hash == prep.inputs_hash and record.modelfile_sha256 == prep.modelfile_sha256:
        return ""
    why: list[str] = []
    if record.model and record.model != prep.spec.name:
        why.append(f"model name changed ({record.model} → {prep.spec.name})")
    if record.modelfile_sha256 != prep.modelfile_sha256:
        why.append("rendered Modelfile changed")
    old, new = record.inputs, prep.inputs
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    if changed:
        why.append("changed: " + ", ".join(changed))
    if added:
        why.append("new input: " + ", ".join(added))
    if removed:
        why.append("input removed: " + ", ".join(removed))
    if not why:
        why.append("create request changed")  # e.g. quantize
    return "; ".join(why)
