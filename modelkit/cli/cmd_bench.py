"""`modelkit bench` and `modelkit compare` (issue #5 fills these in)."""

from __future__ import annotations

from modelkit.errors import ModelkitError


def bench_cmd() -> None:
    """Run the report benchmark on models or targets."""
    raise ModelkitError("`bench` is not implemented yet")


def compare_cmd() -> None:
    """Compare two saved benchmark runs; exit 3 on a regression."""
    raise ModelkitError("`compare` is not implemented yet")
