"""Project commands: init, render, lint (issue #3 fills these in)."""

from __future__ import annotations

from modelkit.errors import ModelkitError


def init_cmd() -> None:
    """Write a starter modelkit.toml and Modelfile template."""
    raise ModelkitError("`init` is not implemented yet")


def render_cmd() -> None:
    """Print the rendered Modelfiles of the project's targets."""
    raise ModelkitError("`render` is not implemented yet")


def lint_cmd() -> None:
    """Render and check the project's targets."""
    raise ModelkitError("`lint` is not implemented yet")
