"""Printing at the edge: rich consoles and JSON for typed results."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

# soft_wrap: a line of text is never broken at the console width (80 columns when output is not a
# terminal: CI logs would get "score\n0"); tables still fit the width.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def to_jsonable(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # a pydantic model (not imported here: start-up time)
        return obj.model_dump(mode="json")
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return [to_jsonable(o) for o in obj]
    return obj


def print_json(obj: Any) -> None:
    """Plain JSON on stdout (no colour codes), one document."""
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def is_terminal() -> bool:
    return console.is_terminal
