"""What a server holds and runs: typed results for ``list`` and ``ps``, and how to pick and order them.

Plain pydantic models with raw values (bytes, datetimes); the CLI renders them as tables
or dumps them as JSON (ISO timestamps, integer bytes). ``select`` filters by name pattern,
family and quantization; ``sort_models`` orders by name, size, modification or expiry.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, computed_field

if TYPE_CHECKING:
    from modelkit.ollama_api import Ollama


class ModelEntry(BaseModel):
    """One model in ``/api/tags``."""

    name: str
    id: str
    digest: str
    size: int
    modified_at: datetime | None = None
    format: str | None = None
    family: str | None = None
    families: list[str] | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    parent_model: str | None = None


class RunningModel(BaseModel):
    """One loaded model in ``/api/ps``."""

    name: str
    id: str
    digest: str
    size: int
    size_vram: int
    context_length: int | None = None
    expires_at: datetime | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None

    @property
    def gpu_share(self) -> float:
        return self.size_vram / self.size if self.size else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gpu_percent(self) -> int:
        """Share of the model in GPU memory, 0–100 (0 on a CPU-only machine)."""
        return round(self.gpu_share * 100)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def processor(self) -> str:
        """Like ``ollama ps``: "100% CPU", "100% GPU" or "48%/52% CPU/GPU"."""
        gpu = round(self.gpu_share * 100)
        if gpu <= 0:
            return "100% CPU"
        if gpu >= 100:
            return "100% GPU"
        return f"{100 - gpu}%/{gpu}% CPU/GPU"


def short_id(digest: str | None) -> str:
    return (digest or "").removeprefix("sha256:")[:12]


def _details(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    return {
        "format": details.format or None,
        "family": details.family or None,
        "families": list(details.families) if details.families else None,
        "parameter_size": details.parameter_size or None,
        "quantization": details.quantization_level or None,
        "parent_model": details.parent_model or None,
    }


def list_models(api: Ollama) -> list[ModelEntry]:
    out = []
    for m in api.list():
        d = _details(m.details)
        out.append(
            ModelEntry(
                name=m.model or "",
                id=short_id(m.digest),
                digest=m.digest or "",
                size=int(m.size or 0),
                modified_at=m.modified_at,
                **d,
            )
        )
    return out


def running_models(api: Ollama) -> list[RunningModel]:
    out = []
    for m in api.ps():
        d = _details(m.details)
        out.append(
            RunningModel(
                name=m.name or m.model or "",
                id=short_id(m.digest),
                digest=m.digest or "",
                size=int(m.size or 0),
                size_vram=int(m.size_vram or 0),
                context_length=m.context_length,
                expires_at=m.expires_at,
                family=d.get("family"),
                parameter_size=d.get("parameter_size"),
                quantization=d.get("quantization"),
            )
        )
    return out


# -- picking and ordering -------------------------------------------------------------------------

M = TypeVar("M", ModelEntry, RunningModel)

#: sort keys and their natural direction (True = largest / newest / latest first)
SORT_KEYS: dict[str, bool] = {"name": False, "size": True, "modified": True, "until": False}
_GLOB = set("*?[")


def name_matches(name: str, pattern: str) -> bool:
    """A glob (``*``, ``?``, ``[``) matches the whole name, ``:latest`` optional; else a substring.
    Case-insensitive either way."""
    name, pattern = name.lower(), pattern.lower()
    if _GLOB & set(pattern):
        return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name.removesuffix(":latest"), pattern)
    return pattern in name


def _field_matches(values: Iterable[str | None], pattern: str) -> bool:
    pattern = pattern.lower()
    for v in values:
        if v is None:
            continue
        v = v.lower()
        if v == pattern or (_GLOB & set(pattern) and fnmatch.fnmatchcase(v, pattern)):
            return True
    return False


def select(models: Iterable[M], *, patterns: Sequence[str] = (), family: str | None = None,
           quantization: str | None = None) -> list[M]:
    """Models whose name matches any of ``patterns`` (all when none), of ``family`` (also matched
    against ``families``) and ``quantization`` (exact or glob, case-insensitive)."""
    out = []
    for m in models:
        if patterns and not any(name_matches(m.name, p) for p in patterns):
            continue
        if family is not None:
            families = [m.family, *(getattr(m, "families", None) or [])]
            if not _field_matches(families, family):
                continue
        if quantization is not None and not _field_matches([m.quantization], quantization):
            continue
        out.append(m)
    return out


_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def sort_models(models: Iterable[M], key: str = "name", *, reverse: bool = False) -> list[M]:
    """Order by ``key`` in its natural direction (name A→Z, size largest first, modified newest
    first, until soonest first); ``reverse`` flips it. Ties are broken by name."""
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; one of {', '.join(SORT_KEYS)}")

    def value(m: M) -> Any:
        if key == "name":
            return m.name.lower()
        if key == "size":
            return m.size
        when = getattr(m, "modified_at" if key == "modified" else "expires_at", None)
        return when if when is not None else _EPOCH

    by_name = sorted(models, key=lambda m: m.name.lower())
    return sorted(by_name, key=value, reverse=SORT_KEYS[key] != reverse)
