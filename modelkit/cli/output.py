"""Printing at the edge: rich consoles and JSON for typed results."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

# Not a terminal (CI logs, pipes): rich would assume 80 columns, crop wide tables such as the
# benchmark's and break long lines ("score\n0"). Give tables 200 columns unless COLUMNS says
# otherwise, and never break a line of text (soft_wrap).
def _width(stream: object) -> int | None:
    isatty = getattr(stream, "isatty", None)
    if os.environ.get("COLUMNS") or (isatty is not None and isatty()):
        return None
    return 200


console = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))


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
