"""`modelkit build` (issue #4 fills this in)."""

from __future__ import annotations

from modelkit.errors import ModelkitError


def build_cmd() -> None:
    """Lint, upload, create and verify the project's targets on the server."""
    raise ModelkitError("`build` is not implemented yet")
