"""What a server holds and runs: typed results for ``list`` and ``ps``.

Plain pydantic models with raw values (bytes, datetimes); the CLI renders them as tables
or dumps them as JSON (ISO timestamps, integer bytes).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

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
