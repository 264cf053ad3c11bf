"""Ollama model names, validated by the rules of ``types/model/name.go`` (v0.11.4).

A name is ``[host/][namespace/]model[:tag]``; missing parts default to
``registry.ollama.ai``, ``library`` and ``latest``. Every part must be 1–80 bytes (host up
to 350), start with an ASCII letter, digit or ``_`` and continue with those or ``-``/``_``;
``.`` is allowed except in the namespace, ``:`` only in the host (a port).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
_MISSING = "!MISSING!"


@dataclass(frozen=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, s: str) -> ModelName:
        """``parse_name``: every part filled in (what the server reads, e.g. the registry host to pull from)."""
        return parse_name(s)

    def __str__(self) -> str:
        path = "/".join([p for p in (self.host, self.namespace) if p] + [self.model])
        return path + (f":{self.tag}" if self.tag else "")

    @property
    def short(self) -> str:
        """``ollama list``'s spelling: default host/namespace left out, tag always shown."""
        if self.host.lower() != DEFAULT_HOST:
            prefix = f"{self.host}/{self.namespace}/"
        elif self.namespace.lower() != DEFAULT_NAMESPACE:
            prefix = f"{self.namespace}/"
        else:
            prefix = ""
        return f"{prefix}{self.model}:{self.tag}"


def _cut_promised(s: str, sep: str) -> tuple[str, str, bool]:
    i = s.rfind(sep)
    if i < 0:
        return s, "", False
    return s[:i] or _MISSING, s[i + len(sep):] or _MISSING, True


def parse_bare(s: str) -> ModelName:
    host = namespace = tag = ""
    if s.rfind(":") > s.rfind("/"):
        s, tag, _ = _cut_promised(s, ":")
    s, model, promised = _cut_promised(s, "/")
    if not promised:
        return ModelName("", "", s, tag)
    s, namespace, promised = _cut_promised(s, "/")
    if not promised:
        return ModelName("", s, model, tag)
    scheme, sep, rest = s.partition("://")
    host = rest if sep else scheme
    return ModelName(host, namespace, model, tag)


def parse_name(s: str) -> ModelName:
    """``model.ParseName``: parse, then fill in the defaults."""
    n = parse_bare(s)
    return ModelName(n.host or DEFAULT_HOST, n.namespace or DEFAULT_NAMESPACE, n.model, n.tag or DEFAULT_TAG)


def _alnum_(c: str) -> bool:
    return ("A" <= c <= "Z") or ("a" <= c <= "z") or ("0" <= c <= "9") or c == "_"


def _part_problem(kind: str, part: str) -> str | None:
    size = len(part.encode("utf-8"))
    limit = 350 if kind == "host" else 80
    if part == _MISSING or size < 1:
        return f"the {kind} is empty"
    if size > limit:
        return f"the {kind} is longer than {limit} bytes"
    for i, c in enumerate(part):
        if i == 0:
            if not _alnum_(c):
                return f"the {kind} {part!r} must start with a letter, digit or '_'"
            continue
        if c in "_-":
            continue
        if c == ".":
            if kind == "namespace":
                return f"the namespace {part!r} may not contain '.'"
            continue
        if c == ":":
            if kind != "host":
                return f"the {kind} {part!r} may not contain ':'"
            continue
        if not _alnum_(c):
            return f"the {kind} {part!r} may not contain {c!r} (only ASCII letters, digits, '_', '-', '.')"
    return None


def name_problem(s: str) -> str | None:
    """Why Ollama rejects ``s`` as a model name, or None when it is valid."""
    n = parse_name(s)
    for kind, part in (("host", n.host), ("namespace", n.namespace), ("model", n.model), ("tag", n.tag)):
        problem = _part_problem(kind, part)
        if problem:
            return problem
    return None


def is_valid(s: str) -> bool:
    return name_problem(s) is None


def with_tag(name: str) -> str:
    """``smol`` → ``smol:latest``: the name with the default tag when it has none (as /api/tags lists it)."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:{DEFAULT_TAG}"
