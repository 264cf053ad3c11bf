"""Progress events of long transfers (pulls, Hugging Face downloads), free of any UI.

Library functions take an optional ``on_progress`` callback and call it with ``Progress``
(a counter moved) or ``Status`` (a phase began); ``modelkit.cli.progress`` turns them into
rich bars on a terminal and throttled plain lines elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One task's counter: a layer of a pull, a file or a whole snapshot of a download."""

    key: str  #: stable id of the task (a digest, a file name)
    label: str  #: what to print ("pulling b179c9523d0e", "model.gguf")
    completed: int
    total: int | None = None
    unit: str = "B"  #: "B" (bytes) or "files"
    note: str | None = None  #: e.g. "resuming: 31% was already there"

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, max(0.0, self.completed / self.total))


@dataclass(frozen=True)
class Status:
    """A phase without a counter ("pulling manifest", "verifying sha256 digest")."""

    text: str


Event = Progress | Status
ProgressCallback = Callable[[Event], None]


def ignore(_: Event) -> None:
    """The default callback: report nothing."""
