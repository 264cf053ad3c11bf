"""Typed results and progress events of a build (no UI here: the CLI renders them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["built", "skipped", "failed", "would-build", "would-skip"]


class TargetResult(BaseModel):
    """What happened to one target."""

    id: str
    model: str
    status: Status
    reason: str  #: why it was (or would be) built or skipped, or why it failed
    duration_s: float = 0.0
    model_digest: str | None = None
    uploaded_blobs: int = 0
    uploaded_bytes: int = 0
    error: str | None = None
    hint: str | None = None


class BuildStats(BaseModel):
    """Counters over the whole build: the proof that a no-op build did no work."""

    hashed_files: int = 0
    hashed_bytes: int = 0
    digest_cache_hits: int = 0
    blobs_checked: int = 0
    uploaded_blobs: int = 0
    uploaded_bytes: int = 0
    creates: int = 0


class BuildReport(BaseModel):
    project: str
    server: str
    dry_run: bool = False
    targets: list[TargetResult] = Field(default_factory=list)
    stats: BuildStats = Field(default_factory=BuildStats)
    duration_s: float = 0.0
    bench: dict | None = None  #: the benchmark summary when ``--bench`` ran

    @property
    def ok(self) -> bool:
        return all(t.status != "failed" for t in self.targets)

    def built(self) -> list[TargetResult]:
        return [t for t in self.targets if t.status == "built"]


Phase = Literal["wait", "plan", "resolve", "hash", "upload", "create", "verify", "done", "skip", "fail"]


@dataclass(frozen=True)
class BuildEvent:
    """One step of one target. ``completed``/``total`` are set for counters (bytes)."""

    target: str
    phase: Phase
    text: str
    key: str | None = None  #: identifies a counter within a target (a blob digest, "create")
    completed: int | None = None
    total: int | None = None


EventCallback = Callable[[BuildEvent], None]


def ignore(_: BuildEvent) -> None:
    pass
