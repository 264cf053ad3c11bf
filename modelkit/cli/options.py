"""Options shared by the commands, as ``Annotated`` types."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

HostOpt = Annotated[
    str | None,
    typer.Option(
        "--host",
        envvar="OLLAMA_HOST",
        show_envvar=True,
        help="Ollama server: host[:port] or URL. Default 127.0.0.1:11434.",
        rich_help_panel="Server",
    ),
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]


class ProgressChoice(str, Enum):
    auto = "auto"
    bars = "bars"
    plain = "plain"
    none = "none"


ProgressOpt = Annotated[
    ProgressChoice,
    typer.Option(
        "--progress",
        help="Progress on stderr: auto (bars on a terminal, plain lines otherwise), bars, plain or none.",
        case_sensitive=False,
    ),
]

ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project", "-p", "-C",
        help="Project directory or modelkit.toml (default: found from the current directory upwards).",
        show_default=False,
    ),
]

SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s",
        help="Override a template variable: NAME=VALUE (repeatable; VALUE read as TOML when it is: 0.2, true, [1, 2]).",
        show_default=False,
    ),
]


def parse_assignments(items: list[str] | None, flag: str, example: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` → ``{"a": "1", "b": "x=y"}``; a malformed item is a usage error."""
    from modelkit.errors import UsageError

    out: dict[str, str] = {}
    for item in items or []:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"{flag} {item!r}: expected NAME=VALUE", hint=f"e.g. {flag} {example}")
        out[name.strip()] = value
    return out


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``--set NAME=VALUE`` items (values are typed later, by the project: TOML when valid)."""
    return parse_assignments(items, "--set", "temperature=0.2")


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """``--option num_ctx=8192`` → {"num_ctx": 8192} (ints, floats, booleans, else strings)."""
    out: dict[str, Any] = {}
    for key, raw in parse_assignments(items, "--option", "num_ctx=8192").items():
        v: Any = raw.strip()
        if v.lower() in ("true", "false"):
            v = v.lower() == "true"
        else:
            for conv in (int, float):
                try:
                    v = conv(v)
                    break
                except ValueError:
                    pass
        out[key] = v
    return out
