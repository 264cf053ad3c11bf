"""The schema of ``modelkit.toml`` (pydantic), and reading it with errors that say where.

::

    [project]                      # optional
    templates = "modelfiles"       # the template folder (the sandbox's root)
    adapters = "adapters"          # where `adapter = "<name>"` looks
    env = ["MODELKIT_CACHE"]       # environment variables templates may read as env.NAME

    [defaults]                     # every target starts from these
    template = "report.Modelfile.j2"
    from = "{{ weights_dir }}/SmolLM2-135M-Instruct.Q4_1.gguf"
    vars = { lang = "en" }

    [targets.report-base]
    name = "report-smollm2:base"   # templated; default: the target id
    vars = { temperature = 0.7 }

    [targets.report-tuned]
    inherits = "report-base"       # start from another target (cycles are errors)
    name = "report-smollm2:t{{ temperature }}-{{ lang }}"
    matrix = { temperature = [0.2, 0.5], lang = ["en", "zh"] }   # one model per combination

``[build]`` and ``[bench]`` are free-form tables read by those commands.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelkit.errors import UsageError

#: names the resolver provides to templates; a project variable may not take them
RESERVED_VARS = frozenset({"env", "target", "name", "from", "adapter", "project_dir", "cache_dir", "weights_dir"})
TARGET_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_vars(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        if not VAR_NAME.match(key):
            raise ValueError(f"variable name {key!r} is not an identifier (letters, digits, _)")
        if key in RESERVED_VARS:
            raise ValueError(f"variable name {key!r} is reserved (provided by modelkit)")
    return value


class ProjectSection(_Strict):
    templates: str = "modelfiles"
    adapters: str = "adapters"
    env: list[str] = Field(default_factory=list)


class Defaults(_Strict):
    template: str | None = None
    from_: str | None = Field(None, alias="from")
    adapter: str | None = None
    quantize: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)

    @field_validator("vars")
    @classmethod
    def _vars(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_vars(v)


class TargetSpec(_Strict):
    name: str | None = None
    description: str | None = None
    template: str | None = None
    from_: str | None = Field(None, alias="from")
    adapter: str | None = None
    quantize: str | None = None
    inherits: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    matrix: dict[str, list[Any]] | None = None

    @field_validator("vars")
    @classmethod
    def _vars(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_vars(v)

    @field_validator("matrix")
    @classmethod
    def _matrix(cls, v: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        if v is None:
            return v
        _check_vars(v)
        for key, values in v.items():
            if not values:
                raise ValueError(f"matrix.{key} is an empty list")
        return v


class ProjectSpec(_Strict):
    project: ProjectSection = Field(default_factory=ProjectSection)
    defaults: Defaults = Field(default_factory=Defaults)
    targets: dict[str, TargetSpec] = Field(default_factory=dict)
    build: dict[str, Any] = Field(default_factory=dict)
    bench: dict[str, Any] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _ids(cls, v: dict[str, TargetSpec]) -> dict[str, TargetSpec]:
        for tid in v:
            if not TARGET_ID.match(tid):
                raise ValueError(f"target id {tid!r} must be letters, digits, '_', '-', '.'")
        return v


# -- reading ---------------------------------------------------------------------------------

_FIELDS = {
    (): list(ProjectSpec.model_fields),
    ("project",): list(ProjectSection.model_fields),
    ("defaults",): ["template", "from", "adapter", "quantize", "vars"],
    ("targets", "*"): ["name", "description", "template", "from", "adapter", "quantize", "inherits", "vars", "matrix"],
}


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "from_") or "(top level)"


def find_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best effort: the line of ``loc`` (a key path) in the TOML text."""
    keys = [str(k).replace("from_", "from") for k in loc if not isinstance(k, int)]
    lines = text.splitlines()
    if keys:
        full = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(r"\"?" + re.escape(k) + r"\"?" for k in keys) + r"\s*\]")
        for i, ln in enumerate(lines):
            if full.match(ln):
                return i + 1
    for depth in range(len(keys), 0, -1):
        table, key = keys[:depth - 1], keys[depth - 1]
        start = 0
        if table:
            header = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(re.escape(t) for t in table) + r"\s*\]")
            hits = [i for i, ln in enumerate(lines) if header.match(ln)]
            if not hits:
                continue
            start = hits[0] + 1
        pat = re.compile(r"\s*(\"?)" + re.escape(key) + r"\1\s*=|\s*\[\s*" +
                         r"\s*\.\s*".join(re.escape(k) for k in keys[:depth]) + r"\s*\]")
        for i in range(start, len(lines)):
            if i > start and table and re.match(r"\s*\[", lines[i]) and not pat.match(lines[i]):
                break
            if pat.match(lines[i]):
                return i + 1
    return None


def _friendly(err: dict[str, Any], text: str, file: str) -> UsageError:
    loc = tuple(err["loc"])
    where = _dotted(loc)
    line = find_line(text, loc)
    at = f"{file}:{line}" if line else file
    if err["type"] == "extra_forbidden":
        parent = tuple("*" if len(loc) >= 2 and loc[0] == "targets" and i == 1 else p for i, p in enumerate(loc[:-1]))
        known = _FIELDS.get(parent, [])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + (
            f"keys allowed here: {', '.join(known)}" if known else "remove it")
        return UsageError(f"{at}: unknown key {where!r}", hint=hint)
    msg = err["msg"].removeprefix("Value error, ")
    return UsageError(f"{at}: {where}: {msg}", hint="see the project file format in README.md")


def parse_spec(text: str, file: str = "modelkit.toml") -> ProjectSpec:
    """Validate the text of a project file; every problem is a ``UsageError`` naming where it is."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{file}: invalid TOML: {e}", hint="check quoting and brackets on that line") from None
    try:
        spec = ProjectSpec.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        first = _friendly(errors[0], text, file)
        if len(errors) > 1:
            first.message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise first from None
    check_inheritance(spec, text, file)
    return spec


def check_inheritance(spec: ProjectSpec, text: str = "", file: str = "modelkit.toml") -> None:
    for tid, target in spec.targets.items():
        chain = [tid]
        current = target
        while current.inherits is not None:
            parent = current.inherits
            if parent not in spec.targets:
                line = find_line(text, ("targets", chain[-1], "inherits"))
                close = difflib.get_close_matches(parent, list(spec.targets), n=1)
                raise UsageError(f"{file}:{line or '?'}: targets.{chain[-1]}.inherits: no target {parent!r}",
                                 hint=f"did you mean {close[0]!r}?" if close else "targets: " + ", ".join(spec.targets))
            if parent in chain:
                cycle = " → ".join(chain[chain.index(parent):] + [parent])
                line = find_line(text, ("targets", chain[-1], "inherits"))
                raise UsageError(f"{file}:{line or '?'}: inheritance cycle: {cycle}",
                                 hint="`inherits` must eventually reach a target that inherits nothing")
            chain.append(parent)
            current = spec.targets[parent]


def read_spec(path: Path) -> tuple[ProjectSpec, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    return parse_spec(text, path.name), text


def parse_set_value(raw: str) -> Any:
    """``--set k=v``: a TOML value when it reads as one (0.2, true, [1, 2], "x"), else the text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
