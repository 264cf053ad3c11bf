"""Generate the README's command reference from the CLI itself, so it stays true to `--help`.

    .venv/bin/python scripts/cli_reference.py           # rewrite the block in README.md
    .venv/bin/python scripts/cli_reference.py --check   # exit 1 when README.md is out of date

The block sits between the markers ``<!-- cli-reference:start -->`` and ``<!-- cli-reference:end -->``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"

# The order the reference follows: the life of a model, then the server.
ORDER = ["init", "render", "lint", "build", "bench", "compare", "pull", "list", "ps", "show", "rm", "cp",
         "doctor", "server start", "server stop", "server status"]


def _commands() -> dict[str, Any]:
    import typer.main

    sys.path.insert(0, str(ROOT))
    from modelkit.cli.app import app

    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, sub in group.commands.items():
            full = f"{prefix} {name}".strip()
            if hasattr(sub, "commands"):
                walk(sub, full)
            else:
                found[full] = sub

    walk(typer.main.get_command(app), "")
    return found


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _option(p: Any) -> tuple[str, str]:
    names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
    help_text = " ".join((p.help or "").split())
    if getattr(p, "envvar", None):
        help_text += f" Env: `{p.envvar}`."
    default = p.default
    if p.show_default and default not in (None, False, (), []) and not p.is_flag:
        default = getattr(default, "value", default)
        help_text += f" Default: `{default}`."
    return names, help_text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render() -> str:
    commands = _commands()
    missing = sorted(set(commands) - set(ORDER))
    if missing:
        raise SystemExit(f"cli_reference.py: add {missing} to ORDER")
    out = [START, ""]
    for name in ORDER:
        cmd = commands[name]
        args = " ".join(f"[{p.name.upper()}…]" if p.nargs == -1 else p.name.upper() if p.required else f"[{p.name.upper()}]"
                        for p in cmd.params if p.param_type_name == "argument")
        out.append(f"#### `modelkit {name}{' ' + args if args else ''}`")
        out.append("")
        out.append(_first_paragraph(cmd.help))
        out.append("")
        options = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
        if options:
            out.append("| option | |")
            out.append("| --- | --- |")
            for p in options:
                names, help_text = _option(p)
                out.append(f"| {names} | {help_text} |")
            out.append("")
    out.append(END)
    return "\n".join(out)


def main() -> int:
    text = README.read_text()
    if START not in text or END not in text:
        print(f"README.md has no {START} … {END} block", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + render() + tail
    if "--check" in sys.argv[1:]:
        if new != text:
            print("README.md's command reference is out of date: run .venv/bin/python scripts/cli_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
