"""Options shared by the commands, as ``Annotated`` types."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

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
